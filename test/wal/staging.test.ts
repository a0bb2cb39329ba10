// The staging folder's lock and writer id: the lock names its holder exactly (pid, start time,
// boot, host), so only that very process keeps others out; a lock whose pid now belongs to another
// process (PID 1 after a restart in a container) is taken over; starters racing over one stale lock
// end with exactly one holder; release frees the folder; the writer id survives reopening.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStaging } from '../../src/wal/staging.ts';

const RACER = fileURLToPath(new URL('./lock-racer.ts', import.meta.url));
const BOOT = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

let dir: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'otlp2delta-staging-'));
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await fsp.rm(dir, { recursive: true, force: true });
});

/** A process that stays alive, standing in for another server holding the folder. */
async function liveProcess(): Promise<number> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return child.pid!;
}

/** The pid of a process that has exited (and been reaped), so nothing answers to it. */
async function deadPid(): Promise<number> {
  const child = spawn('true', [], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

/** Field 22 of /proc/<pid>/stat: the process's start, in clock ticks after boot. */
function startOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

type Holder = { pid: number; start?: string; boot?: string; host?: string; since?: string; nonce?: string };

const writeLock = (h: Holder) => fsp.writeFile(path.join(dir, 'LOCK'), `${JSON.stringify({ boot: BOOT, host: os.hostname(), ...h })}\n`);
const readLock = async (): Promise<Holder> => JSON.parse(await fsp.readFile(path.join(dir, 'LOCK'), 'utf8')) as Holder;
const refusal = (p: Promise<unknown>): Promise<Error | undefined> =>
  p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );

describe('staging lock', () => {
  it('writes a LOCK naming this very process and removes it on release', async () => {
    const s = await openStaging(dir);
    expect(s.root).toBe(path.resolve(dir));
    expect(await readLock()).toMatchObject({ pid: process.pid, start: startOf(process.pid), boot: BOOT, host: os.hostname() });
    await s.release();
    await expect(fsp.stat(path.join(dir, 'LOCK'))).rejects.toMatchObject({ code: 'ENOENT' });
    // Nothing but the lock's own name is left behind: no temporary or breaking files.
    expect((await fsp.readdir(dir)).sort()).toEqual(['tables', 'writer-id']);
  });

  it('refuses a LOCK of a running process with its start time, naming the folder, the pid and what to do', async () => {
    const pid = await liveProcess();
    await writeLock({ pid, start: startOf(pid), since: '2026-01-02T03:04:05.000Z', nonce: 'n' });
    const before = await fsp.readFile(path.join(dir, 'LOCK'), 'utf8');
    const err = await refusal(openStaging(dir));
    expect(err?.message).toContain(path.resolve(dir));
    expect(err?.message).toContain(`process ${pid}, which is running`);
    expect(err?.message).toContain('2026-01-02T03:04:05.000Z');
    expect(err?.message).toMatch(/stop that server first/);
    expect(err?.message).toMatch(/--staging/);
    // The holder's lock is left as it was.
    expect(await fsp.readFile(path.join(dir, 'LOCK'), 'utf8')).toBe(before);
  });

  it('takes over a LOCK whose pid now belongs to another process (PID 1, the parent) with another start time', async () => {
    for (const pid of [1, process.ppid]) {
      await writeLock({ pid, start: String(Number(startOf(pid)) + 1), nonce: 'old' });
      const s = await openStaging(dir);
      expect(await readLock(), `pid ${pid}`).toMatchObject({ pid: process.pid, start: startOf(process.pid) });
      await s.release();
    }
  });

  it('takes over a LOCK from an earlier boot, even when its pid and start time match a process now', async () => {
    await writeLock({ pid: 1, start: startOf(1), boot: '00000000-0000-4000-8000-000000000000' });
    const s = await openStaging(dir);
    expect((await readLock()).pid).toBe(process.pid);
    await s.release();
  });

  it('takes over a LOCK left by a process that no longer runs, in the current and in the pid-only form', async () => {
    for (const write of [async (pid: number) => writeLock({ pid, start: '1' }), (pid: number) => fsp.writeFile(path.join(dir, 'LOCK'), `${pid}\n`)]) {
      await write(await deadPid());
      const s = await openStaging(dir);
      expect((await readLock()).pid).toBe(process.pid);
      await s.release();
    }
  });

  it('refuses what it cannot check, saying how to proceed: a pid-only LOCK of a running pid, a LOCK from another host', async () => {
    const pid = await liveProcess();
    await fsp.writeFile(path.join(dir, 'LOCK'), `${pid}\n`);
    const legacy = await refusal(openStaging(dir));
    expect(legacy?.message).toContain(`process ${pid} (a lock naming only its pid)`);
    expect(legacy?.message).toContain(`if it no longer runs, delete ${path.join(path.resolve(dir), 'LOCK')}`);

    await writeLock({ pid: await deadPid(), start: '1', host: 'elsewhere.example' });
    const foreign = await refusal(openStaging(dir));
    expect(foreign?.message).toMatch(/host elsewhere\.example.*cannot be checked from here/);
    expect(foreign?.message).toContain(`delete ${path.join(path.resolve(dir), 'LOCK')}`);
  });

  it('takes over an empty or unreadable LOCK, as a crash of an older version while writing it leaves', async () => {
    for (const content of ['', 'garbage\n', '0\n', '-5\n', '{"pid":"x"}']) {
      await fsp.writeFile(path.join(dir, 'LOCK'), content);
      const s = await openStaging(dir);
      expect((await readLock()).pid, JSON.stringify(content)).toBe(process.pid);
      await s.release();
    }
  });

  it('is never shared within one process either: a second open is refused until the first is released', async () => {
    const first = await openStaging(dir);
    const [a, b] = await Promise.all([refusal(openStaging(dir)), refusal(openStaging(dir))]);
    for (const err of [a, b]) expect(err?.message).toContain(`this process (pid ${process.pid}`);
    await first.release();
    const second = await openStaging(dir);
    await second.release();
  });

  it('release leaves a LOCK alone that is no longer its own', async () => {
    const s = await openStaging(dir);
    const other = await liveProcess();
    await writeLock({ pid: other, start: startOf(other), nonce: 'theirs' });
    await s.release();
    expect((await readLock()).nonce).toBe('theirs');
  });
});

type Racer = { child: ChildProcess; lines: string[]; said(prefix: string): Promise<string> };

function racer(): Racer {
  const child = spawn(process.execPath, ['--import', 'tsx', RACER, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let buf = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  const said = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = lines.find((l) => l.startsWith(prefix));
        if (line !== undefined) return resolve(line);
        if (child.exitCode !== null) return reject(new Error(`racer exited ${child.exitCode}: ${lines.join(' | ')}`));
        waiters.push(check);
      };
      child.once('exit', () => waiters.splice(0).forEach((w) => w()));
      check();
    });
  return { child, lines, said };
}

/** Starts `n` racers, lets them all go at once, and returns the one holding the folder. */
async function race(n: number): Promise<Racer> {
  const racers = Array.from({ length: n }, racer);
  await Promise.all(racers.map((r) => r.said('ready')));
  for (const r of racers) r.child.stdin!.write('go\n');
  const outcomes = await Promise.all(racers.map((r) => Promise.race([r.said('won'), r.said('refused')])));
  const winners = racers.filter((_, i) => outcomes[i] === 'won');
  expect(winners, outcomes.join('\n')).toHaveLength(1);
  const winner = winners[0]!;
  for (const o of outcomes.filter((x) => x !== 'won')) expect(o).toContain(`process ${winner.child.pid}, which is running`);
  expect((await readLock()).pid).toBe(winner.child.pid);
  return winner;
}

describe('starters racing over one stale lock', () => {
  it('exactly one wins, over a stale PID 1 lock and then each time the winner is killed with SIGKILL', async () => {
    await writeLock({ pid: 1, start: String(Number(startOf(1)) + 7) });
    let winner = await race(6);
    for (let round = 0; round < 3; round++) {
      winner.child.kill('SIGKILL');
      await new Promise((r) => winner.child.once('exit', r));
      // Its lock stays behind, naming a process that is gone: the state a kill -9 leaves.
      expect((await readLock()).pid).toBe(winner.child.pid);
      const next = await race(6);
      expect(next.child.pid).not.toBe(winner.child.pid);
      winner = next;
    }
    // No breaking or temporary files are left behind once it is settled.
    expect((await fsp.readdir(dir)).filter((n) => n.startsWith('LOCK.'))).toEqual([]);
  }, 90_000);
});

describe('writer id', () => {
  it('is a UUID, stable across reopen, and names the txn appId', async () => {
    const a = await openStaging(dir);
    expect(a.writerId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(a.appId).toBe(`otlp2delta-${a.writerId}`);
    await a.release();
    const b = await openStaging(dir);
    expect(b.writerId).toBe(a.writerId);
    await b.release();
    expect((await fsp.readFile(path.join(dir, 'writer-id'), 'utf8')).trim()).toBe(a.writerId);
  });

  it('differs between staging folders', async () => {
    const other = await fsp.mkdtemp(path.join(os.tmpdir(), 'otlp2delta-staging-'));
    try {
      const a = await openStaging(dir);
      const b = await openStaging(other);
      expect(a.writerId).not.toBe(b.writerId);
      await a.release();
      await b.release();
    } finally {
      await fsp.rm(other, { recursive: true, force: true });
    }
  });

  it('survives a crash that left a stale lock', async () => {
    const a = await openStaging(dir);
    // No release: the process "died"; its pid is replaced by one that is gone.
    await fsp.writeFile(path.join(dir, 'LOCK'), `${await deadPid()}\n`);
    const b = await openStaging(dir);
    expect(b.writerId).toBe(a.writerId);
    await b.release();
  });
});

describe('table folders', () => {
  it('lists only folders named like catalog.schema.table, sorted', async () => {
    const s = await openStaging(dir);
    for (const name of ['b.s.t', 'a.s.t', 'a.s.t2', 'not-a-table', 'A.S.T', 'a.s']) {
      await fsp.mkdir(s.tableDir(name), { recursive: true });
    }
    expect(await s.listTables()).toEqual(['a.s.t', 'a.s.t2', 'b.s.t']);
    expect(s.tableDir('a.s.t')).toBe(path.join(path.resolve(dir), 'tables', 'a.s.t'));
    await s.release();
  });
});
