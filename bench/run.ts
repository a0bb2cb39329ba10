// Entry for `npm run bench`: runs each benchmark in turn, one at a time so they
// never compete for the cores, and exits non-zero if any of them failed.
import { main as ackLatency } from './ack-latency.ts';

const BENCHMARKS: { name: string; run: (argv: string[]) => Promise<number> }[] = [{ name: 'ack-latency', run: ackLatency }];

async function runAll(argv: string[]): Promise<number> {
  let failed = 0;
  for (const b of BENCHMARKS) {
    process.stdout.write(`# ${b.name}\n\n`);
    try {
      if ((await b.run(argv)) !== 0) failed += 1;
    } catch (e) {
      failed += 1;
      process.stderr.write(`${b.name}: ${(e as Error)?.stack ?? String(e)}\n`);
    }
  }
  return failed === 0 ? 0 : 1;
}

// Options (e.g. --duration-s 5) go to every benchmark.
runAll(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`bench: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
