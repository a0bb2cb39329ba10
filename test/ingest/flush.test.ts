// flushTable's promise: rows staged before the call are committed when it resolves,
// even while a commit round that sealed earlier is still running.
import { afterEach, describe, expect, it } from 'vitest';
import { parseTableName } from '../../src/tables/names.ts';
import { loadCaptures, replayCapture } from '../support/fixtures.ts';
import { checkDeltaTable } from '../support/delta-check.ts';
import { startTestService, type TestService } from '../support/service.ts';

let svc: TestService | undefined;
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
});

describe('Pipeline.flushTable', () => {
  it('commits rows that arrived while an earlier round was running', async () => {
    svc = await startTestService({ flushIntervalMs: 3_600_000 });
    const name = 'main.agent_telemetry.codex_otel_logs';
    const dir = await svc.createTable(name, 'logs');
    const [first, second] = loadCaptures().filter((c) => c.id.startsWith('codex/json-basic/') && c.signal === 'logs');
    expect((await replayCapture(svc.url, first!)).status).toBe(200);
    const earlier = svc.service.pipeline.flushAll();
    expect((await replayCapture(svc.url, second!)).status).toBe(200);
    await svc.service.pipeline.flushTable(parseTableName(name));
    expect(await svc.service.pipeline.pendingRows()).toBe(0);
    await earlier;
    const check = await checkDeltaTable(dir, 'logs');
    expect(check.rows.length).toBe(13);
  });
});
