// `otlp2delta sql`: read-only SQL over the warehouse's tables and views, from
// an argument, a file, standard input or an interactive prompt.
import { readFile } from 'node:fs/promises';
import { SQL_RESULT_BYTES_MAX, SQL_RESULT_ROWS_MAX, SQL_TIMEOUT_MS } from '../config/limits.ts';
import type { QueryResult } from '../duckdb/db.ts';
import { QueryEngine, QueryError } from '../query/engine.ts';
import { formatResult, OUTPUT_FORMATS, type OutputFormat } from '../query/format.ts';
import { splitStatements } from '../query/sql-text.ts';
import { runRepl } from './sql-repl.ts';
import { auditFromCommandLine, commandLineUser } from '../access/offline-audit.ts';
import type { AuditEvent } from '../access/types.ts';
import { warehouseFromArgs } from './table-arg.ts';
import { parseCommandArgs, UsageError } from './usage.ts';

export const SQL_HELP = `usage: otlp2delta sql "<statement>" [--warehouse DIR] [--format table|csv|json|ndjson] [--timeout-ms N] [--show-generated-sql]
       otlp2delta sql -f FILE [--warehouse DIR] [--format ...]
       otlp2delta sql [--warehouse DIR]          (interactive prompt)

Runs read-only SQL (DuckDB dialect) over the warehouse. A three-part name
catalog.schema.table reads that table's current Delta snapshot; each
catalog.schema also offers the normalised views usage_facts, sessions,
daily_active_users, active_time, lines_of_code, commits_and_prs,
tool_decisions, api_requests, agent_events, agent_activity and
metric_increments (see docs/usage-views.md). Statements are separated by ';'.
Only reads run: SELECT, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN.
Grants, in Unity Catalog syntax (the warehouse's owner runs them here):
  GRANT <privilege>[, ...] ON CATALOG|SCHEMA|TABLE <name> TO <principal>
  REVOKE <privilege>[, ...] ON CATALOG|SCHEMA|TABLE <name> FROM <principal>
  SHOW GRANTS [<principal>] ON CATALOG|SCHEMA|TABLE <name>
with USE CATALOG, USE SCHEMA, MODIFY, SELECT or ALL PRIVILEGES; a principal
with @ or . goes in backquotes (\`alice@example.com\`).
A result is cut at ${SQL_RESULT_ROWS_MAX} rows or ${SQL_RESULT_BYTES_MAX} bytes (a note on standard error says so).

Without a statement or -f, statements are read from standard input, with an
interactive prompt (history in ~/.otlp2delta_history) when it is a terminal.

options:
  -f, --file FILE    run the statements in FILE ('-' for standard input)
  --format F         table (default), csv, json (an array) or ndjson
  --warehouse DIR    folder holding the tables (env OTLP2DELTA_WAREHOUSE, default ./warehouse of
                     the working directory)
  --timeout-ms N     cancel a statement that runs longer than N ms (default ${SQL_TIMEOUT_MS})
  --show-generated-sql
                     end an error message with the SQL the statement was rewritten to (table
                     names become views over the tables' current files)
  -h, --help         show this help`;

/** The note shown when a result was cut at the limits. */
export function truncationNote(result: QueryResult): string | undefined {
  if (!result.truncated) return undefined;
  return `(result cut at ${result.rows.length} rows: results hold at most ${SQL_RESULT_ROWS_MAX} rows and ${SQL_RESULT_BYTES_MAX} bytes; add a LIMIT or aggregate)`;
}

/** Runs each statement in turn, printing its result; stops at the first failure. */
export async function runScript(
  engine: QueryEngine,
  text: string,
  format: OutputFormat,
  out: (s: string) => void,
  note: (s: string) => void = () => undefined,
): Promise<void> {
  const { statements, rest } = splitStatements(text);
  const all = rest === '' ? statements : [...statements, rest];
  if (all.length === 0) throw new UsageError('no statement to run', SQL_HELP);
  for (const [i, statement] of all.entries()) {
    if (i > 0 && format === 'table') out('');
    const result = await engine.execute(statement);
    // Only GRANT and REVOKE answer with no columns at all.
    out(result.columns.length === 0 && format === 'table' ? 'OK' : formatResult(result, format));
    const cut = truncationNote(result);
    if (cut) note(cut);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function runSql(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { file: { type: 'string', short: 'f' }, format: { type: 'string' }, warehouse: { type: 'string' }, 'timeout-ms': { type: 'string' }, 'show-generated-sql': { type: 'boolean' } },
    SQL_HELP,
  );
  if (values.help) {
    process.stdout.write(`${SQL_HELP}\n`);
    return 0;
  }
  const format = (values.format ?? 'table') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}`, SQL_HELP);
  if (positionals.length > 1) throw new UsageError('give the statements as one argument (quote them)', SQL_HELP);
  if (positionals.length === 1 && values.file !== undefined) throw new UsageError('give a statement or -f FILE, not both', SQL_HELP);
  const timeoutRaw = values['timeout-ms'];
  const timeoutMs = timeoutRaw === undefined ? SQL_TIMEOUT_MS : Number(timeoutRaw);
  if (!/^\d+$/.test(timeoutRaw ?? '1') || !Number.isSafeInteger(timeoutMs) || timeoutMs < 1) {
    throw new UsageError(`--timeout-ms must be a positive integer, got ${JSON.stringify(timeoutRaw)}`, SQL_HELP);
  }
  const warehouse = warehouseFromArgs(values.warehouse);
  // GRANT, REVOKE and SHOW GRANTS are audited; their rows are committed before the command exits.
  const audited: AuditEvent[] = [];
  const engine = await QueryEngine.open({
    warehouse,
    timeoutMs,
    showGeneratedSql: values['show-generated-sql'] ?? false,
    audit: { sink: { record: (e) => audited.push({ ...e, userAgent: 'otlp2delta-cli' }) }, reads: false, owner: commandLineUser() },
  });
  const out = (s: string) => process.stdout.write(`${s}\n`);
  try {
    if (positionals.length === 0 && values.file === undefined && process.stdin.isTTY) {
      return await runRepl(engine, { input: process.stdin, output: process.stdout, format });
    }
    const text =
      positionals[0] ?? (values.file === undefined || values.file === '-' ? await readStdin() : await readFile(values.file, 'utf8'));
    await runScript(engine, text, format, out, (s) => process.stderr.write(`${s}\n`));
    return 0;
  } catch (e) {
    if (e instanceof QueryError) {
      process.stderr.write(`otlp2delta sql: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    engine.close();
    await auditFromCommandLine(warehouse, audited);
  }
}
