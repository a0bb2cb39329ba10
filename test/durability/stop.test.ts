// A clean stop of the real CLI under load: SIGTERM drains and commits everything acknowledged,
// exits 0 in time, leaves no segments and releases the staging lock; a second SIGTERM is harmless.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogsTable, idCounts, Ledger, ledgerProblems, logsBody, postLogs, sleep, type Outcome } from '../support/load.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const TABLE = 'stop.otel.stop_logs';
const EXIT_DEADLINE_MS = 10_000;
/** Socket errors a client may meet once the server stops listening or closes idle connections. */
const STOPPED_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

type Cli = { child: ChildProcess; url: string; log: string[]; exit: Promise<number | null> };

const children: ChildProcess[] = [];

async function startCli(warehouse: string, flushMs: number): Promise<Cli> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTLP2DELTA_')) env[k] = v;
  const args = ['bin/otlp2delta', 'serve', '--port', '0', '--warehouse', warehouse, '--flush-interval-ms', String(flushMs)];
  const child = spawn(process.execPath, args, { cwd: REPO, env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  const log: string[] = [];
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start line within 30 s:\n${log.join('\n')}`)), 30_000);
    let partial = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        log.push(line);
        const m = / listening on (http:\/\/\S+) /.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      }
    });
    void exit.then((code) => reject(new Error(`server exited with ${code} before starting:\n${log.join('\n')}`)));
  });
  return { child, url, log, exit };
}

async function exitWithin(cli: Cli, ms: number): Promise<number | null | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)));
  try {
    return await Promise.race([cli.exit, late]);
  } finally {
    clearTimeout(timer);
  }
}

function leftovers(stagingRoot: string): string[] {
  const out: string[] = [];
  const visit = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) visit(path.join(dir, e.name));
      else if (e.name.endsWith('.wal') || e.name.endsWith('.ndjson') || e.name === 'LOCK') out.push(path.relative(stagingRoot, path.join(dir, e.name)));
    }
  };
  if (existsSync(stagingRoot)) visit(stagingRoot);
  return out;
}

type Sent = { startedAt: number; outcome: Outcome };

/**
 * Sends continuously from `lanes` lanes until `until()` is true, half of them
 * on keep-alive connections and half on a new connection per request; ids
 * start with `label`, unique per call.
 */
async function sendUntil(url: string, label: string, lanes: number, until: () => boolean, ledger: Ledger, sent: Sent[]): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: lanes });
  let n = 0;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      while (!until()) {
        const ids = Array.from({ length: 20 }, (_, k) => `${label}${n}-${k}`);
        n += 1;
        const startedAt = Date.now();
        const outcome = await postLogs(url, TABLE, logsBody(ids, 200), { agent: lane % 2 === 0 ? agent : undefined, timeoutMs: 20_000 });
        ledger.record(ids, outcome);
        sent.push({ startedAt, outcome });
        // Once the port is closed, retrying at full speed only burns the CPU the drain needs.
        if (outcome.kind === 'error') await sleep(20);
      }
    }),
  );
  agent.destroy();
}

/** What is wrong with the answers around a stop that began at `signalAt`. */
function stopProblems(sent: Sent[], signalAt: number): string[] {
  const bad = new Set<string>();
  for (const { startedAt, outcome: o } of sent) {
    if (o.kind === 'answer') {
      if (o.status === 503 && !/^\d+$/.test(o.retryAfter ?? '')) bad.add('503 without Retry-After');
      else if (o.status !== 200 && o.status !== 503) bad.add(`${o.status}: ${o.body.slice(0, 200)}`);
    } else if (!STOPPED_CODES.has(o.code)) bad.add(`socket error ${o.code}: ${o.message}`);
    // A request well under way when the signal came is answered, never cut off.
    else if (startedAt < signalAt - 100) bad.add(`request started ${signalAt - startedAt} ms before SIGTERM got ${o.code}`);
  }
  return [...bad];
}

let warehouse: string;
let tableDir: string;
const ledger = new Ledger();

beforeAll(async () => {
  warehouse = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-stop-'));
  tableDir = await createLogsTable(warehouse, TABLE);
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await rm(warehouse, { recursive: true, force: true });
});

describe('serve under SIGTERM', () => {
  it('drains, commits every acknowledged record, and exits 0 in time', { timeout: 90_000 }, async () => {
    const cli = await startCli(warehouse, 5000);
    const sent: Sent[] = [];
    let exited = false;
    void cli.exit.then(() => (exited = true));
    const load = sendUntil(cli.url, 'one', 16, () => exited, ledger, sent);
    await sleep(1500);
    const signalAt = Date.now();
    cli.child.kill('SIGTERM');
    const code = await exitWithin(cli, EXIT_DEADLINE_MS);
    await load;
    expect(code, cli.log.join('\n')).toBe(0);

    expect(stopProblems(sent, signalAt), ledger.summary()).toEqual([]);
    expect(sent.filter((s) => s.startedAt < signalAt && s.outcome.kind === 'answer' && s.outcome.status === 200).length).toBeGreaterThan(20);
    // Requests kept coming during the stop and were turned away (503 or a
    // closed connection), however short the drain; none that came well after
    // the signal was taken.
    const turnedAway = sent.filter((s) => s.startedAt > signalAt && (s.outcome.kind === 'error' || s.outcome.status === 503));
    expect(turnedAway.length, 'requests turned away after the stop began').toBeGreaterThan(0);
    const after = sent.filter((s) => s.startedAt > signalAt + 200);
    expect(after.every((s) => s.outcome.kind === 'error' || s.outcome.status === 503), ledger.summary()).toBe(true);
    // After exit nothing listens on the port any more.
    expect(await postLogs(cli.url, TABLE, logsBody(['late']))).toMatchObject({ kind: 'error', code: 'ECONNREFUSED' });

    expect(cli.log.some((l) => /all accepted rows are committed/.test(l)), cli.log.join('\n')).toBe(true);
    expect(leftovers(path.join(warehouse, '.otlp2delta', 'staging'))).toEqual([]);
    expect(ledgerProblems(ledger, await idCounts(tableDir)), ledger.summary()).toEqual([]);
  });

  it('keeps draining through a second SIGTERM and still exits 0 with everything committed', { timeout: 90_000 }, async () => {
    // A long flush interval leaves a large backlog for the drain to commit.
    const cli = await startCli(warehouse, 60_000);
    const sent: Sent[] = [];
    let exited = false;
    void cli.exit.then(() => (exited = true));
    const load = sendUntil(cli.url, 'two', 16, () => exited, ledger, sent);
    await sleep(2000);
    const signalAt = Date.now();
    cli.child.kill('SIGTERM');
    await sleep(30);
    cli.child.kill('SIGTERM');
    const code = await exitWithin(cli, EXIT_DEADLINE_MS);
    await load;
    expect(code, cli.log.join('\n')).toBe(0);
    expect(cli.log.some((l) => /SIGTERM again/.test(l)), cli.log.join('\n')).toBe(true);
    expect(cli.log.some((l) => /all accepted rows are committed/.test(l)), cli.log.join('\n')).toBe(true);

    expect(stopProblems(sent, signalAt), ledger.summary()).toEqual([]);
    expect(leftovers(path.join(warehouse, '.otlp2delta', 'staging'))).toEqual([]);
    expect(ledgerProblems(ledger, await idCounts(tableDir)), ledger.summary()).toEqual([]);
  });

  it('starts again on the same warehouse: the lock was released', { timeout: 90_000 }, async () => {
    const cli = await startCli(warehouse, 200);
    expect(cli.log.join('\n')).not.toMatch(/in use by process/);
    const sent: Sent[] = [];
    let stopAfter = Date.now() + 1000;
    await sendUntil(cli.url, 'again', 4, () => Date.now() > stopAfter, ledger, sent);
    expect(sent.every((s) => s.outcome.kind === 'answer' && s.outcome.status === 200), ledger.summary()).toBe(true);
    stopAfter = 0;
    cli.child.kill('SIGTERM');
    expect(await exitWithin(cli, EXIT_DEADLINE_MS), cli.log.join('\n')).toBe(0);
    expect(leftovers(path.join(warehouse, '.otlp2delta', 'staging'))).toEqual([]);
    expect(ledgerProblems(ledger, await idCounts(tableDir)), ledger.summary()).toEqual([]);
  });
});
