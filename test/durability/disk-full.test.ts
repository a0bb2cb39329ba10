// Staging on a 256 KiB tmpfs: when it fills, requests get 503 or 429 with Retry-After (never 500,
// never a crash), acknowledged rows survive and are committed once space returns, and intake resumes.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createLogsTable,
  idCounts,
  Ledger,
  ledgerProblems,
  logsBody,
  pool,
  postLogs,
  sleep,
  startLoadService,
  type Outcome,
} from '../support/load.ts';

const TABLE = 'full.otel.full_logs';
const TMPFS_SIZE = '256k';
const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** The server under test, in this process (root) or in a child with its own mount namespace. */
type Target = {
  url: string;
  /** Commits what is staged (in-process) or waits for the interval flush to have done so (child). */
  flush(): Promise<void>;
  /** Segment files in the staging folder. */
  segments(): string[];
  /** Stops cleanly; resolves true when everything staged was committed. */
  stop(): Promise<boolean>;
  logs: string[];
};

let root: string;
let warehouse: string;
let tableDir: string;
let staging: string;
let mounted = false;
let target: Target | undefined;

const listSegmentFiles = (stagingRoot: string): string[] => {
  const out: string[] = [];
  const visit = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) visit(path.join(dir, e.name));
      else if (e.name.endsWith('.wal') || e.name.endsWith('.ndjson')) out.push(path.join(dir, e.name));
    }
  };
  visit(stagingRoot);
  return out;
};

function tryMount(dir: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim();
  }
}

async function inProcessTarget(): Promise<Target> {
  // A flush interval far past the test: staging only drains when the test says so.
  const svc = await startLoadService({ warehouse, staging, flushIntervalMs: '3600000' });
  return {
    url: svc.url,
    flush: () => svc.service.pipeline.flushAll(),
    segments: () => listSegmentFiles(staging),
    stop: () => svc.stop({ keep: true }),
    logs: svc.logs,
  };
}

/**
 * Without root, a user and mount namespace (unshare -rm) lets the server mount
 * its own tmpfs. Its mounts are visible from here through /proc/<pid>/root.
 */
async function namespaceTarget(): Promise<Target> {
  const flushMs = 1500;
  const script = `mount -t tmpfs -o size=${TMPFS_SIZE} tmpfs "$1" && exec "$2" bin/otlp2delta serve --port 0 --warehouse "$3" --staging "$1" --flush-interval-ms ${flushMs}`;
  const child = spawn('unshare', ['-rm', 'sh', '-c', script, 'sh', staging, process.execPath, warehouse], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server in namespace did not start:\n${logs.join('\n')}`)), 30_000);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        logs.push(line);
        const m = / listening on (http:\/\/\S+) /.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      }
    });
    void exited.then((code) => reject(new Error(`unshare -rm failed (exit ${code}):\n${logs.join('\n')}`)));
  });
  const seen = () => path.join('/proc', String(child.pid), 'root', staging);
  return {
    url,
    flush: () => sleep(flushMs * 2 + 500),
    segments: () => listSegmentFiles(seen()),
    async stop() {
      child.kill('SIGTERM');
      return (await exited) === 0;
    },
    logs,
  };
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-full-'));
  warehouse = path.join(root, 'warehouse');
  staging = path.join(root, 'staging');
  await mkdir(staging, { recursive: true });
  tableDir = await createLogsTable(warehouse, TABLE);
  const forceNamespace = process.env.OTLP2DELTA_TEST_DISK_FULL === 'unshare';
  const mountError = forceNamespace ? 'skipped on request' : tryMount(staging);
  if (mountError === undefined) {
    mounted = true;
    target = await inProcessTarget();
    return;
  }
  try {
    target = await namespaceTarget();
  } catch (e) {
    throw new Error(
      `disk-full test needs a tiny tmpfs for staging: mount as root failed (${mountError}) and so did a user+mount namespace (${(e as Error).message})`,
    );
  }
});

afterAll(async () => {
  await target?.stop().catch(() => undefined);
  if (mounted) execFileSync('umount', [staging]);
  await rm(root, { recursive: true, force: true });
});

function problemsIn(outcomes: Outcome[]): string[] {
  const bad = new Set<string>();
  for (const o of outcomes) {
    if (o.kind === 'error') bad.add(`socket error ${o.code}: ${o.message}`);
    else if (o.status === 429 || o.status === 503) {
      if (!/^\d+$/.test(o.retryAfter ?? '') || Number(o.retryAfter) < 1) bad.add(`${o.status} without a valid Retry-After`);
    } else if (o.status !== 200) bad.add(`${o.status}: ${o.body.slice(0, 200)}`);
  }
  return [...bad];
}

it('answers 503 or 429 when staging is full, keeps what it acknowledged, and resumes once commits free space', { timeout: 120_000 }, async () => {
  const t = target!;
  const ledger = new Ledger();
  const outcomes: Outcome[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  let n = 0;
  const send = async (label: string) => {
    // ~6 KiB staged per request: the tmpfs holds a few dozen of them.
    const ids = Array.from({ length: 8 }, (_, k) => `${label}${n}-${k}`);
    n += 1;
    const o = await postLogs(t.url, TABLE, logsBody(ids, 400), { agent, timeoutMs: 20_000 });
    ledger.record(ids, o);
    outcomes.push(o);
    return o;
  };

  // Fill: keep sending until the disk has refused a good number of writes.
  const fullAnswers = () => ledger.count(503);
  for (let round = 0; round < 40 && fullAnswers() < 20; round++) await pool(8, 8, () => send('fill').then(() => undefined));
  expect(problemsIn(outcomes), `${ledger.summary()}\n${t.logs.join('\n')}`).toEqual([]);
  expect(ledger.count(200), ledger.summary()).toBeGreaterThan(10);
  expect(fullAnswers(), `the disk never filled: ${ledger.summary()}`).toBeGreaterThanOrEqual(20);
  const ackedBeforeFull = ledger.count(200);
  // Still full: more requests are refused, not lost, and not answered 500.
  for (let i = 0; i < 10; i++) await send('still');
  expect(problemsIn(outcomes), ledger.summary()).toEqual([]);
  expect(ledger.count(200) - ackedBeforeFull, 'acknowledged while the disk was full').toBeLessThanOrEqual(2);

  // Space returns once the staged rows are committed and their segments deleted.
  await t.flush();
  expect(t.segments(), 'segments left after the commit').toEqual([]);
  const resumedFrom = ledger.count(200);
  await pool(20, 4, () => send('after').then(() => undefined));
  expect(problemsIn(outcomes), ledger.summary()).toEqual([]);
  expect(ledger.count(200) - resumedFrom, `intake did not resume: ${ledger.summary()}`).toBe(20);

  // Fill and drain once more, to show the cycle repeats without damage.
  const fullBefore = fullAnswers();
  for (let round = 0; round < 40 && fullAnswers() < fullBefore + 5; round++) await pool(8, 8, () => send('again').then(() => undefined));
  expect(fullAnswers(), 'the disk did not fill a second time').toBeGreaterThanOrEqual(fullBefore + 5);
  await t.flush();
  agent.destroy();

  expect(await t.stop(), t.logs.join('\n')).toBe(true);
  expect(problemsIn(outcomes), ledger.summary()).toEqual([]);
  expect(ledgerProblems(ledger, await idCounts(tableDir)), ledger.summary()).toEqual([]);
  expect(t.logs.filter((l) => /internal error/.test(l)), 'internal errors logged').toEqual([]);
});
