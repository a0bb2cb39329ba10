// The staging folder's lock and writer id: a live holder keeps others out, a dead one's lock is
// taken over, release frees the folder, and the writer id survives reopening.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStaging } from '../../src/wal/staging.ts';

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
  const child = spawn('sleep', ['5'], { stdio: 'ignore' });
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

describe('staging lock', () => {
  it('writes a LOCK holding this pid and removes it on release', async () => {
    const s = await openStaging(dir);
    expect(s.root).toBe(path.resolve(dir));
    expect((await fsp.readFile(path.join(dir, 'LOCK'), 'utf8')).trim()).toBe(String(process.pid));
    await s.release();
    await expect(fsp.stat(path.join(dir, 'LOCK'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a folder whose LOCK names a live process, naming the folder and the holder', async () => {
    const pid = await liveProcess();
    await fsp.writeFile(path.join(dir, 'LOCK'), `${pid}\n`);
    const err = await openStaging(dir).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toContain(path.resolve(dir));
    expect(err?.message).toContain(String(pid));
    expect(err?.message).toMatch(/--staging/);
    // The holder's lock is left as it was.
    expect((await fsp.readFile(path.join(dir, 'LOCK'), 'utf8')).trim()).toBe(String(pid));
  });

  it('takes over a LOCK left by a process that no longer runs', async () => {
    const pid = await deadPid();
    await fsp.writeFile(path.join(dir, 'LOCK'), `${pid}\n`);
    const s = await openStaging(dir);
    expect((await fsp.readFile(path.join(dir, 'LOCK'), 'utf8')).trim()).toBe(String(process.pid));
    await s.release();
  });

  it('takes over an empty or unreadable LOCK, as a crash while writing it leaves', async () => {
    for (const content of ['', 'garbage\n', '0\n', '-5\n']) {
      await fsp.writeFile(path.join(dir, 'LOCK'), content);
      const s = await openStaging(dir);
      expect((await fsp.readFile(path.join(dir, 'LOCK'), 'utf8')).trim(), JSON.stringify(content)).toBe(String(process.pid));
      await s.release();
    }
  });

  it('can be opened again once released', async () => {
    const first = await openStaging(dir);
    await first.release();
    const second = await openStaging(dir);
    await second.release();
  });
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
