// POST /api/2.0/sql/statements: runs one read-only statement and answers at
// once in the shape of Databricks' statement execution API (JSON_ARRAY
// results inline, every value a string), so its clients can read the tables.
// The answer is cut at row_limit and byte_limit (each capped by the engine's
// own maximum) while it is read, never after.
import { randomUUID } from 'node:crypto';
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import { RETRY_AFTER_MIN_S, SQL_RESULT_BYTES_MAX, SQL_RESULT_ROWS_MAX } from '../config/limits.ts';
import { OWNER, type Caller } from '../access/types.ts';
import type { QueryResult } from '../duckdb/db.ts';
import { isOtlpError } from '../errors.ts';
import { cellText } from '../query/format.ts';
import { QueryError } from '../query/read-only.ts';
import type { ServiceMetrics } from '../observe/metrics.ts';
import { readBody } from './body.ts';

/** What the route needs from the query engine; `caller` is who the HTTP edge authenticated. */
export type StatementRunner = { execute(statement: string, limits: { rowLimit: number; byteLimit: number }, caller?: Caller): Promise<QueryResult> };

/** Request bodies are a statement and a few options; a megabyte is plenty. */
const REQUEST_BYTES_MAX = 1024 * 1024;
/** Rows answered inline at most; more is marked truncated. */
export const ROW_LIMIT_MAX = SQL_RESULT_ROWS_MAX;

type Env = { Bindings: HttpBindings };
type Request = { statement: string; rowLimit: number; byteLimit: number };

class BadRequest extends Error {}

const PRIMITIVE_TYPES: [RegExp, string][] = [
  [/^VARCHAR/, 'STRING'],
  [/^BIGINT$/, 'LONG'],
  [/^INTEGER$/, 'INT'],
  [/^SMALLINT$/, 'SHORT'],
  [/^TINYINT$/, 'BYTE'],
  [/^DOUBLE$/, 'DOUBLE'],
  [/^FLOAT$/, 'FLOAT'],
  [/^BOOLEAN$/, 'BOOLEAN'],
  [/^DATE$/, 'DATE'],
  [/^TIMESTAMP/, 'TIMESTAMP'],
  [/^(DECIMAL|HUGEINT|UBIGINT|UHUGEINT)/, 'DECIMAL'],
  [/^(UINTEGER)$/, 'LONG'],
  [/^(USMALLINT|UTINYINT)$/, 'INT'],
  [/^BLOB$/, 'BINARY'],
  [/^INTERVAL$/, 'INTERVAL'],
];

/** The Databricks type_name of a DuckDB type. */
export function typeName(duckdb: string): string {
  if (duckdb.endsWith(']')) return 'ARRAY';
  if (duckdb.startsWith('MAP(')) return 'MAP';
  if (duckdb.startsWith('STRUCT(')) return 'STRUCT';
  return PRIMITIVE_TYPES.find(([re]) => re.test(duckdb))?.[1] ?? 'STRING';
}

function parseRequest(raw: Buffer): Request {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new BadRequest('the body must be a JSON object such as {"statement": "SELECT 1"}');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('the body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.statement !== 'string' || b.statement.trim() === '') throw new BadRequest('"statement" must be a non-empty string');
  if (b.format !== undefined && b.format !== 'JSON_ARRAY') throw new BadRequest('"format" must be JSON_ARRAY, the only format served');
  if (b.disposition !== undefined && b.disposition !== 'INLINE') throw new BadRequest('"disposition" must be INLINE; results are always inline');
  if (Array.isArray(b.parameters) && b.parameters.length > 0) throw new BadRequest('statement parameters are not supported; write the values into the statement');
  let rowLimit = ROW_LIMIT_MAX;
  if (b.row_limit !== undefined) {
    if (typeof b.row_limit !== 'number' || !Number.isSafeInteger(b.row_limit) || b.row_limit < 1) throw new BadRequest('"row_limit" must be a positive integer');
    rowLimit = Math.min(b.row_limit, ROW_LIMIT_MAX);
  }
  let byteLimit = SQL_RESULT_BYTES_MAX;
  if (b.byte_limit !== undefined) {
    if (typeof b.byte_limit !== 'number' || !Number.isSafeInteger(b.byte_limit) || b.byte_limit < 1) throw new BadRequest('"byte_limit" must be a positive integer');
    byteLimit = Math.min(b.byte_limit, SQL_RESULT_BYTES_MAX);
  }
  return { statement: b.statement, rowLimit, byteLimit };
}

/** The response body for a finished statement. */
export function statementResponse(result: QueryResult): Record<string, unknown> {
  const rows = result.rows;
  const columns = result.columns.map((c, position) => ({ name: c.name, type_name: typeName(c.type), type_text: c.type, position }));
  const data = rows.map((r) => result.columns.map((c, i) => (r[i] === null || r[i] === undefined ? null : cellText(r[i] ?? null, c.type))));
  return {
    statement_id: randomUUID(),
    status: { state: 'SUCCEEDED' },
    manifest: {
      format: 'JSON_ARRAY',
      schema: { column_count: columns.length, columns },
      total_row_count: rows.length,
      total_chunk_count: 1,
      truncated: result.truncated,
    },
    result: { chunk_index: 0, row_offset: 0, row_count: rows.length, data_array: data },
  };
}

const failure = (c: Context<Env>, status: 400 | 403 | 413 | 429 | 500 | 503, error_code: string, message: string) => {
  // Busy and stopping are the only refusals worth retrying.
  if (status === 429 || status === 503) c.header('Retry-After', String(RETRY_AFTER_MIN_S));
  return c.json({ error_code, message }, status);
};

const QUERY_FAILURES: Record<QueryError['code'], [400 | 403 | 429 | 503, string]> = {
  read_only: [400, 'PERMISSION_DENIED'],
  invalid: [400, 'INVALID_PARAMETER_VALUE'],
  failed: [400, 'BAD_REQUEST'],
  timeout: [400, 'DEADLINE_EXCEEDED'],
  busy: [429, 'RESOURCE_EXHAUSTED'],
  closed: [503, 'TEMPORARILY_UNAVAILABLE'],
  forbidden: [403, 'PERMISSION_DENIED'],
};

/**
 * `caller` is who the HTTP edge authenticated; undefined when auth is off, and
 * then the statement runs as the warehouse's owner, as it always has.
 */
export async function handleStatement(c: Context<Env>, runner: StatementRunner, metrics?: ServiceMetrics, caller?: Caller): Promise<Response> {
  const started = process.hrtime.bigint();
  let outcome = 'internal';
  try {
    return await answer(c, runner, (o) => (outcome = o), caller ?? OWNER);
  } finally {
    metrics?.sqlStatements.inc({ outcome });
    metrics?.sqlSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
  }
}

async function answer(c: Context<Env>, runner: StatementRunner, outcome: (o: string) => void, caller: Caller): Promise<Response> {
  let request: Request;
  try {
    request = parseRequest(await readBody(c.env.incoming, REQUEST_BYTES_MAX));
  } catch (e) {
    outcome('bad_request');
    if (e instanceof BadRequest) return failure(c, 400, 'INVALID_PARAMETER_VALUE', e.message);
    if (isOtlpError(e) && e.kind === 'too_large') return failure(c, 413, 'INVALID_PARAMETER_VALUE', e.message);
    throw e;
  }
  try {
    const result = await runner.execute(request.statement, { rowLimit: request.rowLimit, byteLimit: request.byteLimit }, caller);
    outcome(result.truncated ? 'truncated' : 'succeeded');
    return c.json(statementResponse(result));
  } catch (e) {
    if (e instanceof QueryError) {
      outcome(e.code);
      const [status, code] = QUERY_FAILURES[e.code];
      return failure(c, status, code, e.message);
    }
    return failure(c, 500, 'INTERNAL_ERROR', `the statement could not be run: ${(e as Error).message}`);
  }
}
