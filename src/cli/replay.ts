// `otlp2delta replay`: sends captures, recorded fixtures and Collector files
// to a server (--to) or straight into a warehouse (--warehouse).
import { discoverInputs } from '../replay/inputs.ts';
import { httpTarget } from '../replay/http-target.ts';
import { progressReporter, summaryText } from '../replay/progress.ts';
import { readInputs, replayExitCode, runReplay } from '../replay/run.ts';
import type { Target } from '../replay/target.ts';
import { openWarehouseTarget } from '../replay/warehouse-target.ts';
import { parseTableName } from '../tables/names.ts';
import { warehouseFromArgs } from './table-arg.ts';
import { parseCommandArgs, UsageError } from './usage.ts';

export const REPLAY_HELP = `usage: otlp2delta replay <DIR|FILE...> --to URL [--token T] [options]
       otlp2delta replay <DIR|FILE...> --warehouse DIR [--create-tables] [options]

Sends recorded OTLP requests again: captures written by 'serve --capture', recorded
fixtures (NNNN.meta.json + NNNN.body.bin) and OpenTelemetry Collector file exporter
output (JSON lines, plain, gzip or zstd). Directories are searched recursively.
Exits 0 only when every request and every record was accepted.

options:
  --to URL                  server base URL (e.g. http://127.0.0.1:4318); each request
                            goes to its recorded path, Collector lines to /api/2.0/otel/v1/<signal>
  --token T                 send Authorization: Bearer T (env OTLP2DELTA_TOKEN)
  --warehouse DIR           ingest into the tables under DIR directly, without HTTP,
                            and commit everything before exiting
  --create-tables           with --warehouse: create missing tables in the layout of their signal
  --staging DIR             with --warehouse: write-ahead folder
                            (default <warehouse>/.otlp2delta/replay-staging)
  --table-prefix C.S.P      send every request to C.S.P_otel_metrics, C.S.P_otel_logs or
                            C.S.P_otel_spans, whatever table it recorded
  --default-table-prefix C.S.P
                            the same, only for requests that recorded no table
                            (Collector files need one of the two)
  --concurrency N           requests in flight at once (default 4)
  --rate R                  at most R requests per second, retries included (default: no limit)
  --retry-for S             keep retrying a request refused with 429/503 for up to S seconds
                            (default 300), waiting as Retry-After says
  --timeout S               longest wait for one answer from the server (default 60)
  --quiet                   no progress output
  --json                    print the summary as one JSON object
  -h, --help                show this help`;

const OPTIONS = {
  to: { type: 'string' },
  token: { type: 'string' },
  warehouse: { type: 'string' },
  'create-tables': { type: 'boolean' },
  staging: { type: 'string' },
  'table-prefix': { type: 'string' },
  'default-table-prefix': { type: 'string' },
  concurrency: { type: 'string' },
  rate: { type: 'string' },
  'retry-for': { type: 'string' },
  timeout: { type: 'string' },
  quiet: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

function number(name: string, raw: string | undefined, fallback: number, min: number, max: number, integer = true): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  const shape = integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  if (!shape.test(raw.trim()) || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(raw)}`, REPLAY_HELP);
  }
  return n;
}

function prefix(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    const t = parseTableName(raw, name);
    return `${t.catalog}.${t.schema}.${t.table}`;
  } catch (e) {
    throw new UsageError((e as Error).message, REPLAY_HELP);
  }
}

type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values'];

/** The options that pick and shape the target, checked before any input is read. */
function checkTargetOptions(values: Values): void {
  if ((values.to === undefined) === (values.warehouse === undefined)) {
    throw new UsageError('give exactly one of --to URL or --warehouse DIR', REPLAY_HELP);
  }
  if (values.to !== undefined && (values['create-tables'] || values.staging !== undefined)) {
    throw new UsageError('--create-tables and --staging go with --warehouse', REPLAY_HELP);
  }
  if (values.warehouse !== undefined && values.token !== undefined) throw new UsageError('--token goes with --to', REPLAY_HELP);
}

async function openTarget(values: Values, concurrency: number): Promise<Target> {
  if (values.to !== undefined) {
    return httpTarget({
      url: values.to,
      token: values.token ?? process.env.OTLP2DELTA_TOKEN,
      connections: concurrency,
      retryForMs: number('--retry-for', values['retry-for'], 300, 0, 86_400) * 1000,
      timeoutMs: number('--timeout', values.timeout, 60, 1, 3600) * 1000,
    });
  }
  return openWarehouseTarget({
    warehouse: warehouseFromArgs(values.warehouse),
    staging: values.staging,
    createTables: values['create-tables'] ?? false,
    log: (line) => process.stderr.write(`replay: ${line}\n`),
  });
}

/**
 * The first SIGINT/SIGTERM stops starting requests; those in flight finish and,
 * for a warehouse, everything is committed, so a later run knows where to resume.
 * A second one ends the process at once.
 */
function interruptHandler(): { requested: () => boolean; remove(): void } {
  let requested = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (requested) {
      remove();
      process.kill(process.pid, sig);
      return;
    }
    requested = true;
    process.stderr.write(`\notlp2delta replay: ${sig}: finishing the requests in flight (again to stop at once)\n`);
  };
  const remove = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { requested: () => requested, remove };
}

export async function runReplayCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, REPLAY_HELP);
  if (values.help) {
    process.stdout.write(`${REPLAY_HELP}\n`);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('give at least one capture folder or file to replay', REPLAY_HELP);
  checkTargetOptions(values);
  const concurrency = number('--concurrency', values.concurrency, 4, 1, 256);
  const rate = values.rate === undefined ? undefined : number('--rate', values.rate, 0, 0.001, 1_000_000, false);
  const tablePrefix = prefix('--table-prefix', values['table-prefix']);
  const defaultTablePrefix = prefix('--default-table-prefix', values['default-table-prefix']);
  const inputs = await discoverInputs(positionals);
  if (inputs.length === 0) throw new Error(`found no captures or Collector files in ${positionals.join(', ')}`);
  const collector = inputs.find((i) => i.kind === 'collector');
  if (collector && tablePrefix === undefined && defaultTablePrefix === undefined) {
    throw new UsageError(`${collector.file} is Collector file output, which names no table: give --table-prefix C.S.P`, REPLAY_HELP);
  }
  const target = await openTarget(values, concurrency);
  const progress = progressReporter(process.stderr, values.quiet === true || values.json === true);
  const interrupt = interruptHandler();
  let stats;
  let problem: string | undefined;
  try {
    const bytes = inputs.reduce((n, i) => n + i.bytes, 0);
    stats = await runReplay(readInputs(inputs), bytes, target, {
      concurrency, rate, tablePrefix, defaultTablePrefix, onProgress: (s) => progress.update(s), stopRequested: interrupt.requested,
    });
  } finally {
    progress.finish();
    problem = await target.close();
    interrupt.remove();
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ ...stats, commitProblem: problem ?? null })}\n`);
  else process.stdout.write(`${summaryText(stats)}\n`);
  if (problem !== undefined) process.stderr.write(`otlp2delta replay: ${problem}\n`);
  if (interrupt.requested()) {
    process.stderr.write('otlp2delta replay: interrupted; the inputs after the requests counted above were not sent\n');
    return 130;
  }
  return problem !== undefined ? 1 : replayExitCode(stats);
}
