// Counts the rows a Delta table holds: replays _delta_log's add/remove actions
// (JSON commits from version 0; checkpoints are not needed while those remain)
// to find the live data files, then has DuckDB count the rows in them.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { openDuckDb } from '../../src/duckdb/db.ts';

const COMMIT_FILE = /^(\d{20})\.json$/;

/** Absolute paths of the data files the latest version of the table references. */
export function activeFiles(tableDir: string): string[] {
  const logDir = path.join(tableDir, '_delta_log');
  const commits = readdirSync(logDir)
    .filter((f) => COMMIT_FILE.test(f))
    .sort();
  // Replaying JSON alone is only right when every commit since version 0 is still there.
  commits.forEach((name, i) => {
    if (Number(COMMIT_FILE.exec(name)![1]) !== i) {
      throw new Error(`${logDir} lacks commit ${i} (log cleaned up?): rows cannot be counted from the JSON commits alone`);
    }
  });
  const live = new Set<string>();
  for (const name of commits) {
    for (const line of readFileSync(path.join(logDir, name), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const action = JSON.parse(line) as { add?: { path: string }; remove?: { path: string } };
      if (action.add) live.add(action.add.path);
      if (action.remove) live.delete(action.remove.path);
    }
  }
  // Paths in the log are URL-encoded and relative to the table root.
  return [...live].map((p) => path.join(tableDir, ...p.split('/').map(decodeURIComponent)));
}

const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** Row count per table directory, read through DuckDB from the live Parquet files. */
export async function countRows(tableDirs: string[]): Promise<Map<string, { files: number; rows: number }>> {
  const db = await openDuckDb();
  const out = new Map<string, { files: number; rows: number }>();
  try {
    for (const dir of tableDirs) {
      const files = activeFiles(dir);
      let rows = 0;
      if (files.length > 0) {
        const [row] = await db.all(`SELECT count(*) AS n FROM read_parquet([${files.map(sqlString).join(', ')}])`);
        rows = Number(row?.['n'] ?? NaN);
      }
      out.set(dir, { files: files.length, rows });
    }
  } finally {
    db.close();
  }
  return out;
}
