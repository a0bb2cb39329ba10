// Produces sql/ddl/ from schemas/, so the SQL people run to create tables is
// always the layout the service writes.
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createTableDdl, duckdbCreateTableDdl } from '../tables/ddl-generate.ts';
import { schemaFor, TABLE_KINDS } from '../tables/schema.ts';

export const GENERATE_COMMAND = 'npm run generate';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function header(kind: string): string {
  return `-- Generated from schemas/${kind}.json by ${GENERATE_COMMAND}; do not edit.\n`;
}

/** Every generated file, keyed by its path relative to the project root. */
export function generatedSqlFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const kind of TABLE_KINDS) {
    const schema = schemaFor(kind);
    files.set(
      `sql/ddl/otel_${kind}.sql`,
      header(kind) +
        '-- Replace <catalog>.<schema>.<table_prefix> with the three-part name sent in X-Databricks-UC-Table-Name.\n' +
        createTableDdl(schema, `<catalog>.<schema>.<table_prefix>_otel_${kind}`),
    );
    files.set(
      `sql/ddl/duckdb/otel_${kind}.sql`,
      header(kind) +
        `-- The ${kind} layout as a DuckDB table, for loading or querying the same rows locally.\n` +
        duckdbCreateTableDdl(schema, `otel_${kind}`),
    );
  }
  return files;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Writes the files, or with --check only reports stale ones; returns the exit code. */
export function main(args: string[] = process.argv.slice(2)): number {
  const check = args.includes('--check');
  let stale = 0;
  for (const [rel, content] of generatedSqlFiles()) {
    const path = join(ROOT, rel);
    if (readOrUndefined(path) === content) continue;
    if (check) {
      console.error(`${rel} is out of date`);
      stale++;
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    console.log(`wrote ${rel}`);
  }
  if (stale > 0) console.error(`run ${GENERATE_COMMAND} to update`);
  return stale > 0 ? 1 : 0;
}

const invokedAs = process.argv[1];
if (invokedAs !== undefined && pathToFileURL(realpathSync(invokedAs)).href === import.meta.url) {
  process.exitCode = main();
}
