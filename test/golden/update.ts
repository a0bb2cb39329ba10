// Regenerates the golden row files from a fresh replay of every capture: `npx tsx test/golden/update.ts`.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { replayAllCaptures, rowsOfRun } from '../e2e/replay-all.ts';
import { GOLDEN_DIR, goldenPath, goldenText, listGoldenFiles } from './golden.ts';

const result = await replayAllCaptures();
const bad = result.outcomes.filter((o) => o.status !== 200);
if (bad.length > 0) {
  // A golden written from a failed replay would enshrine the failure.
  for (const o of bad) console.error(`${o.capture.id}: HTTP ${o.status} ${Buffer.from(o.body).toString('utf8').slice(0, 300)}`);
  process.exitCode = 1;
} else {
  const written = new Set<string>();
  for (const run of result.runs) {
    const [client, name] = run.split('/') as [string, string];
    const file = goldenPath(client, name);
    const text = goldenText(rowsOfRun(result, run));
    writeFileSync(file, text);
    written.add(path.basename(file));
    console.log(`wrote ${path.relative(process.cwd(), file)} (${text.split('\n').length - 1} rows)`);
  }
  for (const stale of listGoldenFiles().filter((f) => !written.has(f))) {
    rmSync(path.join(GOLDEN_DIR, stale));
    console.log(`removed stale ${stale}`);
  }
}
