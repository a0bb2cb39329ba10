// Crash rounds against real server processes: every record answered 200 must be in the Delta table exactly once, whatever kill -9 hits.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDeltaTable } from '../support/delta-check.ts';
import {
  copyWithoutLogTemps,
  createLogsTable,
  healthz,
  killAll,
  Ledger,
  logTempFiles,
  prng,
  runClients,
  stagingLeftovers,
  startServer,
  tail,
  verifyRows,
  waitExit,
  waitReady,
  type Exit,
} from './harness.ts';

// CRASH_SEED replays a failing run's client side (the failpoints' own coin flips stay random).
const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 2 ** 31);
const TABLE = 'durable.crash.otel_logs';
const PHASES = ['after-stage', 'before-parquet', 'after-parquet', 'after-commit'] as const;
type Phase = (typeof PHASES)[number];
// after-stage is tried once per request (hundreds a second), the others once
// per commit (a few a second): these odds crash each round within about a
// second while still letting some requests through first.
const ODDS: Record<Phase, number> = { 'after-stage': 0.01, 'before-parquet': 0.3, 'after-parquet': 0.3, 'after-commit': 0.3 };
const ROUNDS = 16;
const CLIENTS = 12;
/** A failpoint round still running after this did not crash as planned; the test kills it and fails. */
const ROUND_MS_MAX = 10_000;

type RoundInfo = {
  round: number;
  mode: Phase | 'kill -9 after start' | 'kill -9 from spawn';
  flushMs: number;
  reachedPort: boolean;
  exit?: Exit;
  killedByTest: boolean;
  acked: number;
  ms: number;
};

const describeRound = (r: RoundInfo) =>
  `round ${r.round} ${r.mode} flush=${r.flushMs}ms ${r.reachedPort ? 'served' : 'died before the port opened'} ` +
  `exit=${r.exit ? `${r.exit.code ?? ''}${r.exit.signal ?? ''}` : '?'}${r.killedByTest ? ' (killed by test)' : ''} ` +
  `acked-records=${r.acked} ${r.ms}ms`;

let workDir: string | undefined;
let passed = false;

afterAll(async () => {
  killAll();
  // A failed run keeps its warehouse and staging for inspection.
  if (workDir && passed) await rm(workDir, { recursive: true, force: true });
});

describe('durability: kill -9 in every phase, then recovery', () => {
  it('keeps every acknowledged record exactly once across crash rounds', async () => {
    const rnd = prng(SEED);
    workDir = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-crash-'));
    const warehouse = path.join(workDir, 'warehouse');
    const staging = path.join(workDir, 'staging');
    const dir = await createLogsTable(warehouse, TABLE);
    const ledger = new Ledger();
    const rounds: RoundInfo[] = [];
    const context = () => `seed ${SEED} (CRASH_SEED=${SEED} to replay), work dir ${workDir}\n${rounds.map(describeRound).join('\n')}`;
    const problems: string[] = [];

    for (let r = 0; r < ROUNDS; r++) {
      const started = Date.now();
      const phase = r % 2 === 0 ? PHASES[(r / 2) % PHASES.length]! : undefined;
      const mode: RoundInfo['mode'] = phase ?? (r % 4 === 1 ? 'kill -9 after start' : 'kill -9 from spawn');
      const flushMs = rnd.between(50, 300);
      const server = startServer({
        label: `round ${r}`,
        warehouse,
        staging,
        flushMs,
        ...(phase ? { failpoints: `${phase}=${ODDS[phase]}` } : {}),
      });
      const info: RoundInfo = { round: r, mode, flushMs, reachedPort: false, killedByTest: false, acked: 0, ms: 0 };
      rounds.push(info);
      const ackedBefore = ledger.ackedRecords;
      const kill = () => {
        info.killedByTest = true;
        server.child.kill('SIGKILL');
      };
      // From spawn, the kill may land in start-up or in the recovery of segments an earlier round left.
      const killAt = phase ? ROUND_MS_MAX : mode === 'kill -9 from spawn' ? rnd.between(200, 2500) : undefined;
      let timer = killAt === undefined ? undefined : setTimeout(kill, killAt);
      const url = await waitReady(server);
      info.reachedPort = url !== undefined;
      if (url !== undefined) {
        if (mode === 'kill -9 after start') timer = setTimeout(kill, rnd.between(150, 1500));
        await runClients({
          clients: CLIENTS,
          label: `r${r}`,
          seed: rnd.int(2 ** 31),
          table: TABLE,
          ledger,
          pickUrl: () => url,
          stop: () => server.exit !== undefined,
          maxRequestsPerClient: 500,
          deadline: started + ROUND_MS_MAX + 5_000,
        });
      }
      info.exit = await waitExit(server, ROUND_MS_MAX + 20_000);
      clearTimeout(timer);
      info.acked = ledger.ackedRecords - ackedBefore;
      info.ms = Date.now() - started;
      if (info.exit.signal !== 'SIGKILL') problems.push(`round ${r}: expected death by SIGKILL\n${tail(server)}`);
      if (phase && info.killedByTest) problems.push(`round ${r}: failpoint ${phase} never fired in ${ROUND_MS_MAX} ms\n${tail(server)}`);
    }

    // Recovery with no failpoints, no traffic, then a clean stop that must drain everything.
    const final = startServer({ label: 'final', warehouse, staging, flushMs: 100 });
    const finalUrl = await waitReady(final);
    expect(finalUrl, `final start failed\n${tail(final)}\n${context()}`).toBeDefined();
    // One request first: a SIGTERM right on the start line is its own test below.
    expect(await healthz(finalUrl!)).toBe('200');
    final.child.kill('SIGTERM');
    const finalExit = await waitExit(final);
    expect(finalExit, `clean stop\n${tail(final)}\n${context()}`).toEqual({ code: 0, signal: null });

    expect(stagingLeftovers(staging), `staging after a clean stop\n${context()}`).toEqual([]);
    // Temp files a killed commit left are asserted on last, so everything else is still checked when they are there.
    const logTemps = logTempFiles(dir);
    const checked = logTemps.length === 0 ? dir : await copyWithoutLogTemps(dir, path.join(workDir, 'table-copy'));
    const check = await checkDeltaTable(checked, 'logs').catch((e: Error) => {
      throw new Error(`${e.message}\n${context()}`);
    });
    const { problems: rowProblems, seen } = verifyRows(check.rows, ledger);
    expect(rowProblems.slice(0, 40), `${rowProblems.length} row problem(s)\n${context()}`).toEqual([]);

    expect(problems, context()).toEqual([]);
    // The run must have exercised what it claims: self-inflicted crashes in every phase, and real traffic.
    for (const p of PHASES) {
      const crashed = rounds.filter((x) => x.mode === p && x.exit?.signal === 'SIGKILL' && !x.killedByTest);
      expect(crashed.length, `phase ${p} never crashed\n${context()}`).toBeGreaterThan(0);
    }
    expect(ledger.ackedRecords, context()).toBeGreaterThan(500);
    // A round whose failpoint fires while recovery commits what the last one staged (data or
    // audit rows) dies before the port opens; the others must carry the traffic.
    expect(rounds.filter((x) => x.acked > 0).length, context()).toBeGreaterThanOrEqual(ROUNDS / 4);

    const notAcked = ledger.records.size - ledger.ackedRecords;
    const notAckedLanded = [...seen.keys()].filter((rid) => !ledger.acked.has(ledger.records.get(rid)!.req)).length;
    console.info(
      `crash rounds: seed ${SEED}; ${ledger.acked.size} requests / ${ledger.ackedRecords} records acknowledged, all present once; ` +
        `${notAckedLanded} of ${notAcked} unacknowledged records landed (at most once); table v${check.version}, ` +
        `${check.files.length} files, ${check.orphans.length} orphan files, ${logTemps.length} _delta_log temp files; outcomes ${JSON.stringify(Object.fromEntries(ledger.outcomes))}\n` +
        rounds.map(describeRound).join('\n'),
    );
    expect(logTemps, `temp files left in _delta_log; the strict reader rejects the table while they are there\n${context()}`).toEqual([]);
    passed = true;
  }, 180_000);

  // A supervisor may treat the start line as "ready" and stop the server at
  // once; that stop must still be clean (drain, exit 0), not the default
  // SIGTERM death. Several tries, because the window is short.
  it('stops cleanly on a SIGTERM sent as soon as the start line appears', async () => {
    const TRIES = 10;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-sigterm-'));
    try {
      const exits: string[] = [];
      for (let i = 0; i < TRIES; i++) {
        const s = startServer({ label: `sigterm ${i}`, warehouse: path.join(dir, 'w'), staging: path.join(dir, `s${i}`), flushMs: 100 });
        expect(await waitReady(s), tail(s)).toBeDefined();
        s.child.kill('SIGTERM');
        const exit = await waitExit(s);
        exits.push(`${exit.code ?? ''}${exit.signal ?? ''}`);
      }
      expect(exits, 'exit per try (0 = clean stop, SIGTERM = died before its signal handler was installed)').toEqual(Array(TRIES).fill('0'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
