// The recorded real-client corpus replayed with `otlp2delta replay`, into a warehouse and into a server, against the golden rows.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { describeGoldenDiff, GOLDEN_DIR, goldenText, listGoldenFiles, UPDATE_COMMAND } from '../golden/golden.ts';
import { REAL_CLIENTS_DIR } from '../support/paths.ts';
import { startTestService } from '../support/service.ts';
import { kindOfName, removeTempDirs, replayToServer, tempDir, warehouseRows } from './support.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Gemini's trace exporter sends no table header; its other signals go to main.agent_telemetry.gemini_otel_*. */
const GEMINI_PREFIX = 'main.agent_telemetry.gemini';

afterAll(removeTempDirs);

/** Every golden file together, as one sorted text (the goldens are per run; the replay lands all runs at once). */
function allGoldens(): string {
  const lines = listGoldenFiles().flatMap((f) => readFileSync(path.join(GOLDEN_DIR, f), 'utf8').split('\n').filter(Boolean));
  lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return lines.map((l) => `${l}\n`).join('');
}

function expectGolden(actual: string): void {
  const golden = allGoldens();
  if (actual !== golden) {
    expect.fail(`replayed rows differ from test/golden (if the change is intended: ${UPDATE_COMMAND}): ${describeGoldenDiff(actual, golden)}`);
  }
}

describe('the real-client corpus, replayed', () => {
  it('through `otlp2delta replay --warehouse` lands exactly the golden rows', async () => {
    const warehouse = await tempDir('corpus-wh');
    const args = ['bin/otlp2delta', 'replay', REAL_CLIENTS_DIR, '--warehouse', warehouse, '--create-tables', '--default-table-prefix', GEMINI_PREFIX];
    const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^summary: 25 requests, 624 records, 624 accepted, 0 rejected, 0 retried, /);
    expect(run.status).toBe(0);
    expectGolden(goldenText(await warehouseRows(warehouse)));
  }, 60_000);

  it('through replay --to a fresh server lands exactly the golden rows', async () => {
    const svc = await startTestService();
    try {
      const tables = new Set(allGoldens().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { table: string }).table));
      for (const table of tables) await svc.createTable(table, kindOfName(table));
      const stats = await replayToServer([REAL_CLIENTS_DIR], svc.url, { defaultTablePrefix: GEMINI_PREFIX });
      expect(stats).toMatchObject({ requests: 25, records: 624, rejectedRequests: 0, rejectedRecords: 0 });
      await svc.stop({ keep: true });
      expectGolden(goldenText(await warehouseRows(svc.warehouse)));
    } finally {
      await svc.stop();
    }
  }, 60_000);
});
