// Builds small Delta tables by hand (DuckDB writes the Parquet, log lines written here) for checker self-tests.
import type { DuckDBConnection } from '@duckdb/node-api';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deltaSchemaString, duckdbType, quoteIdent, schemaFor, type TableKind } from '../../src/tables/schema.ts';

/** JSON text with bigints written as bare integers, as a Delta writer must. */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `@@${x}@@` : x)).replace(/"@@(-?\d+)@@"/g, '$1');
}

/** A SELECT producing `rows` (SQL expressions per column, absent = NULL) with
 * every column cast to its table type; ORDER BY keeps the file's row order. */
export function selectSql(kind: TableKind, rows: Array<Record<string, string>>, castOverride: Record<string, string> = {}): string {
  const cols = schemaFor(kind).columns;
  const parts = rows.map((r, i) => {
    const exprs = cols.map((c) => `CAST(${r[c.name] ?? 'NULL'} AS ${castOverride[c.name] ?? duckdbType(c.type)}) AS ${quoteIdent(c.name)}`);
    return `SELECT ${i} AS ord, ${exprs.join(', ')}`;
  });
  return `SELECT * EXCLUDE (ord) FROM (${parts.join(' UNION ALL ')}) ORDER BY ord`;
}

export async function writeParquet(conn: DuckDBConnection, file: string, sql: string): Promise<string> {
  await conn.run(`COPY (${sql}) TO '${file.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION zstd)`);
  return file;
}

export type HandTable = { kind: TableKind; parquet: string; stats: unknown; sizeDelta?: number };

/** Lays out `dir`: one data file, v0 (protocol + metaData) and v1 (commitInfo + add + txn). */
export function writeHandTable(dir: string, t: HandTable): { dir: string; dataPath: string } {
  mkdirSync(join(dir, '_delta_log'), { recursive: true });
  const dataPath = `part-00000-${randomUUID()}-c000.zstd.parquet`;
  copyFileSync(t.parquet, join(dir, dataPath));
  const v0 = [
    { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
    {
      metaData: {
        id: randomUUID(),
        format: { provider: 'parquet', options: {} },
        schemaString: deltaSchemaString(schemaFor(t.kind).columns),
        partitionColumns: [],
        configuration: { 'otel.schemaVersion': 'v1' },
        createdTime: 1700000000000,
      },
    },
  ];
  const add = {
    path: dataPath,
    partitionValues: {},
    size: statSync(join(dir, dataPath)).size + (t.sizeDelta ?? 0),
    modificationTime: 1700000000123,
    dataChange: true,
    stats: toJson(t.stats),
  };
  const v1 = [
    { commitInfo: { timestamp: 1700000000123, operation: 'WRITE', operationParameters: { mode: 'Append' } } },
    { add },
    { txn: { appId: 'lane-1', version: 9007199254740993n, lastUpdated: 1700000000123 } },
  ];
  writeFileSync(join(dir, '_delta_log', '00000000000000000000.json'), v0.map(toJson).join('\n') + '\n');
  writeFileSync(join(dir, '_delta_log', '00000000000000000001.json'), v1.map(toJson).join('\n') + '\n');
  return { dir, dataPath };
}
