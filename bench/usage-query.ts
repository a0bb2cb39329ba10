// Usage-query benchmark: a Claude Code metrics table of 1M token-usage points
// (half the sessions cumulative, half delta), written straight to Parquet by
// DuckDB and committed as a Delta table, then timed: the usage_facts view
// (cold and warm), the whole `usage` report, and a raw Databricks-style query.
// The view's total is checked against the total the data was built with.
// Usage: npx tsx bench/usage-query.ts [--rows 1000000] [--files 4] [--runs 3] [--keep]
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { appendFiles, createDeltaTable, makeAdd, newDataFileName } from '../src/delta/table.ts';
import { openDuckDb, type Db } from '../src/duckdb/db.ts';
import { sqlString } from '../src/duckdb/sql.ts';
import { QueryEngine } from '../src/query/engine.ts';
import { usageReport } from '../src/query/usage-report.ts';
import { duckdbType, quoteIdent, schemaFor } from '../src/tables/schema.ts';

const { values } = parseArgs({ options: { rows: { type: 'string' }, files: { type: 'string' }, runs: { type: 'string' }, keep: { type: 'boolean' } } });
const ROWS = Number(values.rows ?? 1_000_000);
const FILES = Number(values.files ?? 4);
const RUNS = Number(values.runs ?? 3);
const POINTS_PER_SESSION = 1000; // 250 exports of 4 token types
const SESSIONS = Math.ceil(ROWS / POINTS_PER_SESSION);
const BASE_NS = BigInt(Date.parse('2026-10-22T00:00:00Z')) * 1_000_000n;
const SPAN_NS = 30n * 86_400n * 1_000_000_000n;
const AS_OF = '2026-11-20';

// Every session exports each of its 4 token types 250 times; the cumulative
// ones end at 250 x 10 x (k + 1), the delta ones add 10 x (k + 1) each time:
// either way 2,500 x (1 + 2 + 3 + 4) = 25,000 tokens per full session.
const EXPECTED_TOKENS = expectedTokens();

function expectedTokens(): number {
  let total = 0;
  for (let i = 0; i < ROWS; i += 4) {
    const point = Math.floor((i % POINTS_PER_SESSION) / 4);
    const isLastOfSession = point === 249 || i + 4 >= ROWS;
    for (let k = 0; k < 4 && i + k < ROWS; k++) {
      const session = Math.floor((i + k) / POINTS_PER_SESSION);
      if (session % 2 === 1) total += 10 * (k + 1);
      else if (isLastOfSession) total += (point + 1) * 10 * (k + 1);
    }
  }
  return total;
}

/** The metrics layout's columns, with the sum struct filled from row number i and the rest NULL or constant. */
function generatorSql(from: number, to: number): string {
  const cols = schemaFor('metrics').columns;
  const type = (name: string) => duckdbType(cols.find((c) => c.name === name)!.type);
  const exprs: Record<string, string> = {
    name: `'claude_code.token.usage'`,
    description: `'Number of tokens used'`,
    unit: `'tokens'`,
    metric_type: `'sum'`,
    sum: `{
      'start_time_unix_nano': CASE WHEN session % 2 = 0 THEN session_start ELSE session_start + point * 10000000000 END,
      'time_unix_nano': session_start + (point + 1) * 10000000000,
      'value': CASE WHEN session % 2 = 0 THEN (point + 1) * 10.0 * (k + 1) ELSE 10.0 * (k + 1) END,
      'exemplars': [],
      'attributes': map(['user.email', 'session.id', 'model', 'type', 'terminal.type'],
                        ['user' || (session % 50) || '@example.com', 'session-' || session,
                         ['claude-sonnet', 'claude-opus', 'claude-haiku'][session % 3 + 1],
                         ['input', 'output', 'cacheRead', 'cacheCreation'][k + 1], 'xterm']),
      'flags': 0,
      'aggregation_temporality': CASE WHEN session % 2 = 0 THEN 'AGGREGATION_TEMPORALITY_CUMULATIVE' ELSE 'AGGREGATION_TEMPORALITY_DELTA' END,
      'is_monotonic': true
    }`,
    metadata: 'map([], [])',
    resource: `{'attributes': map(['service.name', 'service.version'], ['claude-code', '2.1.197']), 'dropped_attributes_count': 0}`,
    instrumentation_scope: `{'name': 'com.anthropic.claude_code', 'version': '2.1.197', 'attributes': map([], []), 'dropped_attributes_count': 0}`,
  };
  const select = cols.map((c) => `CAST(${exprs[c.name] ?? 'NULL'} AS ${type(c.name)}) AS ${quoteIdent(c.name)}`).join(',\n  ');
  return `SELECT ${select} FROM (
    SELECT i // ${POINTS_PER_SESSION} AS session, (i % ${POINTS_PER_SESSION}) // 4 AS point, i % 4 AS k,
           ${BASE_NS} + (i // ${POINTS_PER_SESSION}) * ${SPAN_NS / BigInt(SESSIONS)} AS session_start
    FROM range(${from}, ${to}) r(i))`;
}

async function buildTable(db: Db, dir: string): Promise<{ seconds: number; bytes: number }> {
  const schema = schemaFor('metrics');
  await createDeltaTable(dir, { schema, properties: { ...schema.tableProperties } });
  const t = performance.now();
  const adds = [];
  let bytes = 0;
  for (let f = 0; f < FILES; f++) {
    const from = Math.floor((ROWS * f) / FILES);
    const to = Math.floor((ROWS * (f + 1)) / FILES);
    const name = newDataFileName();
    await db.run(`COPY (${generatorSql(from, to)}) TO ${sqlString(path.join(dir, name))} (FORMAT parquet, COMPRESSION zstd)`);
    const size = (await stat(path.join(dir, name))).size;
    bytes += size;
    adds.push(makeAdd(name, size, JSON.stringify({ numRecords: to - from }), Date.now()));
  }
  await appendFiles(dir, { adds, readVersion: 0 });
  return { seconds: (performance.now() - t) / 1000, bytes };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

async function median(fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push((await timed(fn)).ms);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

const round = (n: number, d = 0) => Math.round(n * 10 ** d) / 10 ** d;

async function main(): Promise<void> {
  const warehouse = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-bench-usage-'));
  const dir = path.join(warehouse, 'bench', 'agent_telemetry', 'claude_otel_metrics');
  await mkdir(path.dirname(dir), { recursive: true });
  const db = await openDuckDb();
  try {
    const build = await buildTable(db, dir);
    console.log(`wrote ${ROWS.toLocaleString()} rows in ${FILES} files (${(build.bytes / 2 ** 20).toFixed(1)} MiB) in ${build.seconds.toFixed(1)} s`);
    const factsSql = `SELECT day, agent, token_type, sum(tokens) AS tokens FROM bench.agent_telemetry.usage_facts GROUP BY ALL`;
    const rawSql = `SELECT attributes['user.email'] AS email, sum(sum.value) AS v FROM bench.agent_telemetry.claude_otel_metrics WHERE name = 'claude_code.token.usage' GROUP BY 1`;
    const engine = await QueryEngine.open({ warehouse });
    try {
      const cold = await timed(() => engine.execute(factsSql));
      const total = cold.value.rows.reduce((n, r) => n + Number(r[3]), 0);
      if (total !== EXPECTED_TOKENS) throw new Error(`usage_facts sums ${total} tokens; the data holds ${EXPECTED_TOKENS}`);
      const result = {
        rows: ROWS,
        files: FILES,
        sessions: SESSIONS,
        parquetMiB: round(build.bytes / 2 ** 20, 1),
        writeSeconds: round(build.seconds, 1),
        tokensChecked: total,
        usageFactsColdMs: round(cold.ms),
        usageFactsWarmMs: round(await median(() => engine.execute(factsSql))),
        usageReportMs: round(await median(() => usageReport(engine, { schema: 'bench.agent_telemetry', days: 30, asOf: AS_OF }))),
        rawTableQueryMs: round(await median(() => engine.execute(rawSql))),
        machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
        runs: RUNS,
      };
      console.log(result);
      await writeResults(result);
    } finally {
      engine.close();
    }
  } finally {
    db.close();
    if (values.keep) console.log(`kept ${warehouse}`);
    else await rm(warehouse, { recursive: true, force: true });
  }
}

async function writeResults(r: Record<string, unknown>): Promise<void> {
  const out = path.join(path.dirname(new URL(import.meta.url).pathname), 'results');
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, 'usage-query.json'), `${JSON.stringify(r, null, 2)}\n`);
  const md = [
    `Usage query over ${Number(r.rows).toLocaleString('en-US')} metric rows (${r.sessions} Claude Code sessions, half cumulative, half delta; ${r.files} zstd Parquet files, ${r.parquetMiB} MiB; ${r.machine}; median of ${r.runs} runs)`,
    '',
    '| what | time |',
    '|---|---:|',
    `| write the rows (DuckDB, generate + Parquet) and commit | ${r.writeSeconds} s |`,
    `| usage_facts by day, agent, token type: first query (snapshot load, view creation) | ${r.usageFactsColdMs} ms |`,
    `| same, again | ${r.usageFactsWarmMs} ms |`,
    `| the whole \`usage\` report (5 queries over the views) | ${r.usageReportMs} ms |`,
    `| raw table: attributes['user.email'], sum(sum.value) | ${r.rawTableQueryMs} ms |`,
    '',
    `The view's total (${Number(r.tokensChecked).toLocaleString('en-US')} tokens) equals the total the rows were built with.`,
    '',
  ].join('\n');
  await writeFile(path.join(out, 'usage-query.md'), md);
}

await main();
