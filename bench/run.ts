// Entry for `npm run bench`: runs each benchmark in turn, then writes the combined target summary.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { main as ackLatency, type AckLatencyResult } from './ack-latency.ts';
import { RESULTS_DIR } from './lib/ack-report.ts';
import { buildSummary, summaryMarkdown, writeSummary } from './lib/summary.ts';
import { main as throughput, type ThroughputResult } from './throughput.ts';
import { main as grpcLatency } from './grpc-latency.ts';
import { main as columnarCost } from './columnar-cost.ts';

// Options only one benchmark (or this runner) understands; ack-latency rejects
// unknown ones, so they are taken out of what it gets. Booleans take no value.
const THROUGHPUT_ONLY = new Set(['scenarios', 'collector-duration-s', 'agent-clients', 'agent-rate', 'collector-clients', 'limit-s', 'probe-interval-ms']);
const RUNNER_ONLY = new Set(['only']);
const GRPC_ONLY = new Set(['grpc-clients']);
const BOOLEAN = new Set(['keep', 'loop-probe']);

function without(argv: string[], names: Set<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const name = arg.startsWith('--') ? arg.slice(2).split('=')[0]! : '';
    if (!names.has(name)) {
      out.push(arg);
      continue;
    }
    if (!arg.includes('=') && !BOOLEAN.has(name)) i += 1; // skip its value too
  }
  return out;
}

const BENCHMARKS: { name: string; run: (argv: string[]) => Promise<number>; argv: (all: string[]) => string[] }[] = [
  { name: 'ack-latency', run: ackLatency, argv: (a) => without(a, new Set([...THROUGHPUT_ONLY, ...RUNNER_ONLY, ...GRPC_ONLY])) },
  { name: 'throughput', run: throughput, argv: (a) => without(a, new Set([...RUNNER_ONLY, ...GRPC_ONLY])) },
  { name: 'grpc-latency', run: grpcLatency, argv: (a) => without(a, RUNNER_ONLY) },
  // In process and short: the write path's CPU per row, reference against columnar.
  { name: 'columnar-cost', run: columnarCost, argv: () => [] },
];

/** A result file written by this run (not one left from an earlier run), or undefined. */
function freshResult<T extends { date: string }>(file: string, since: number): T | undefined {
  const p = path.join(RESULTS_DIR, file);
  if (!existsSync(p)) return undefined;
  const r = JSON.parse(readFileSync(p, 'utf8')) as T;
  return Date.parse(r.date) >= since ? r : undefined;
}

async function runAll(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: false, options: { only: { type: 'string' } } });
  const only = typeof values.only === 'string' ? new Set(values.only.split(',')) : undefined;
  const started = Date.now();
  let failed = 0;
  // One at a time, so the benchmarks never compete for the cores.
  for (const b of BENCHMARKS) {
    if (only && !only.has(b.name)) continue;
    process.stdout.write(`# ${b.name}\n\n`);
    try {
      if ((await b.run(b.argv(argv))) !== 0) failed += 1;
    } catch (e) {
      failed += 1;
      process.stderr.write(`${b.name}: ${(e as Error)?.stack ?? String(e)}\n`);
    }
  }
  const summary = buildSummary(freshResult<AckLatencyResult>('ack-latency.json', started), freshResult<ThroughputResult>('throughput.json', started));
  const files = writeSummary(summary);
  process.stdout.write(
    `\n# summary\n\n${summaryMarkdown(summary)}\nwrote ${path.relative(process.cwd(), files.json)} and ${path.relative(process.cwd(), files.md)} ` +
      `(whole run ${Math.round((Date.now() - started) / 1000)} s)\n`,
  );
  return failed === 0 ? 0 : 1;
}

// Options (e.g. --duration-s 5) go to every benchmark that takes them; --only ack-latency,throughput picks benchmarks.
runAll(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`bench: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
