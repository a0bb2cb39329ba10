// kill -9 while exporters send over OTLP/gRPC: every record acknowledged (OK)
// is in the Delta table exactly once after recovery, as over HTTP. Reuses the
// HTTP crash test's server children, records and ledger.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDeltaTable } from '../support/delta-check.ts';
import { createLogsTable, encode, killAll, Ledger, makeRecords, prng, tail, verifyRows, waitExit, waitReady, startServer, type Server, copyWithoutLogTemps, logTempFiles, stagingLeftovers } from '../durability/harness.ts';
import { rawClient, Status } from './grpc-client.ts';

const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 2 ** 31);
const TABLE = 'durable.crash.grpc_otel_logs';
const CLIENTS = 8;
const ROUND_MS_MAX = 8_000;
/** Failpoint rounds crash the server from inside; the others are killed by the test. */
const ROUNDS: { failpoints?: string }[] = [{ failpoints: 'after-stage=0.02' }, {}, { failpoints: 'after-commit=0.3' }, {}];

let workDir: string | undefined;
let passed = false;

afterAll(async () => {
  killAll();
  if (workDir && passed) await rm(workDir, { recursive: true, force: true });
});

function grpcTargetOf(s: Server): string | undefined {
  for (const line of s.log) {
    const m = /OTLP\/gRPC on http:\/\/(\S+)$/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

describe('durability over OTLP/gRPC', () => {
  it('keeps every acknowledged record exactly once across kill -9 rounds', async () => {
    const rnd = prng(SEED);
    workDir = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-grpc-crash-'));
    const warehouse = path.join(workDir, 'warehouse');
    const staging = path.join(workDir, 'staging');
    const dir = await createLogsTable(warehouse, TABLE);
    const ledger = new Ledger();
    let servedRounds = 0;
    const context = () => `seed ${SEED} (CRASH_SEED=${SEED} to replay), work dir ${workDir}; outcomes ${JSON.stringify(Object.fromEntries(ledger.outcomes))}`;

    for (let r = 0; r < ROUNDS.length; r++) {
      const round = ROUNDS[r]!;
      const started = Date.now();
      const server = startServer({ label: `grpc round ${r}`, warehouse, staging, flushMs: rnd.between(50, 250), ...(round.failpoints ? { failpoints: round.failpoints } : {}) });
      const url = await waitReady(server);
      // A failpoint may fire while recovery commits what the last round staged: the server then dies before its port opens.
      if (url === undefined) {
        expect((await waitExit(server, 20_000)).signal, `round ${r}\n${tail(server)}`).toBe('SIGKILL');
        continue;
      }
      const target = grpcTargetOf(server);
      expect(target, tail(server)).toBeDefined();
      servedRounds += 1;
      const killer = setTimeout(() => server.child.kill('SIGKILL'), round.failpoints ? ROUND_MS_MAX : rnd.between(300, 1500));
      const client = rawClient(target!);
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, c) => {
          const crnd = prng(SEED * 31 + r * 101 + c);
          for (let q = 0; server.exit === undefined && Date.now() < started + ROUND_MS_MAX + 2_000; q++) {
            const req = `g${r}-c${c}-q${q}`;
            const records = makeRecords(crnd, req, crnd.between(1, 6));
            // Sent once and never retried: a record whose call failed may land at most once.
            const a = await client.send('logs', encode(records, true).body, { 'x-databricks-uc-table-name': TABLE }, { deadlineMs: 5_000 });
            ledger.note(records, req, a.code === Status.OK ? '200' : `grpc-${a.code}`);
          }
        }),
      );
      client.close();
      const exit = await waitExit(server, 20_000);
      clearTimeout(killer);
      expect(exit.signal, `round ${r}\n${tail(server)}`).toBe('SIGKILL');
    }

    const final = startServer({ label: 'final', warehouse, staging, flushMs: 100 });
    expect(await waitReady(final), tail(final)).toBeDefined();
    final.child.kill('SIGTERM');
    expect(await waitExit(final), `clean stop\n${tail(final)}`).toEqual({ code: 0, signal: null });
    expect(stagingLeftovers(staging), context()).toEqual([]);
    const temps = logTempFiles(dir);
    const checked = temps.length === 0 ? dir : await copyWithoutLogTemps(dir, path.join(workDir, 'table-copy'));
    const check = await checkDeltaTable(checked, 'logs');
    const { problems } = verifyRows(check.rows, ledger);
    expect(problems.slice(0, 40), `${problems.length} row problem(s)\n${context()}`).toEqual([]);
    expect(servedRounds, context()).toBeGreaterThanOrEqual(2);
    expect(ledger.ackedRecords, context()).toBeGreaterThan(200);
    passed = true;
  }, 90_000);
});
