// A lock file for folders that only one process may write (staging, capture).
//
// The lock names its holder exactly: pid, the process's start time (field 22 of
// /proc/<pid>/stat), the boot it runs in and the host. A pid alone is not enough:
// after a kill -9 in a container the restarted server is PID 1 again, or another
// process has the old pid, and the lock would look held forever. A lock counts
// as held only while that very process runs; where /proc is missing, while a
// process with that pid runs.
//
// Taking it is atomic: the record is written to a temporary name and hard-linked
// to the lock name, which fails when the name exists, so a reader never sees a
// half-written lock. Breaking a stale lock is serialised per stale lock: the
// breaker first creates a mark file named after the lock's inode and contents
// (exclusive create, so one breaker wins), checks that the lock is still that
// same file and only then unlinks it. A starter that would remove a lock taken
// in the meantime therefore cannot exist, and of any number of starters racing
// over one stale lock exactly one ends up holding it. A breaker killed half-way
// leaves a mark whose holder is dead; the next breaker uses the next mark.
import { createHash, randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LOCK_BREAK_WAIT_MS } from '../config/limits.ts';
import { fsyncDir } from '../delta/fsync.ts';

/** Who holds a lock, as read from the lock file. */
export type LockHolder = {
  pid: number;
  /** Clock ticks after boot at which the process started; absent where /proc is missing. */
  start?: string | undefined;
  boot?: string | undefined;
  host?: string | undefined;
  /** When the lock was taken (ISO time). */
  since?: string | undefined;
  /** Unique per taking: tells two locks of the same process apart. */
  nonce?: string | undefined;
};

/** Why a lock could not be taken, for the caller's message. */
export type HeldBy = {
  pid: number;
  host: string | undefined;
  since: string | undefined;
  /** The holder is this very process (the folder was opened twice). */
  thisProcess: boolean;
  /** False when the holder cannot be checked from here (another host, or a lock naming only a pid). */
  verified: boolean;
};

export type PidLock = {
  file: string;
  /** Removes the lock if it is still ours. */
  release(): Promise<void>;
};

/** Whether a process with this pid exists (EPERM: it exists but is not ours to signal). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const hasProc = fsp.access('/proc/self/stat').then(
  () => true,
  () => false,
);

/**
 * Start time of a process in clock ticks after boot: null when no such process
 * runs, undefined when this platform has no /proc to tell.
 */
export async function processStart(pid: number): Promise<string | null | undefined> {
  if (!(await hasProc)) return undefined;
  let stat: string;
  try {
    stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? undefined;
}

const bootId = fsp.readFile('/proc/sys/kernel/random/boot_id', 'utf8').then(
  (t) => t.trim() || undefined,
  () => undefined,
);

async function ownIdentity(): Promise<LockHolder> {
  return { pid: process.pid, start: (await processStart(process.pid)) ?? undefined, boot: await bootId, host: os.hostname() };
}

/** Nonces of the locks this process holds: the same process opening a folder twice is refused too. */
const heldHere = new Set<string>();

/** A lock file's record; the older form holds only a pid. Undefined when it names no process. */
export function parseLock(text: string): LockHolder | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) > 0 ? { pid: Number(t) } : undefined;
  try {
    const r = JSON.parse(t) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    if (!Number.isSafeInteger(r.pid) || (r.pid as number) <= 0) return undefined;
    return { pid: r.pid as number, start: str(r.start), boot: str(r.boot), host: str(r.host), since: str(r.since), nonce: str(r.nonce) };
  } catch {
    return undefined;
  }
}

/** Whether the holder still runs: 'held', 'stale', or 'unknown' when it cannot be checked from here. */
async function holderState(h: LockHolder): Promise<'held' | 'stale' | 'unknown'> {
  if (h.nonce !== undefined && heldHere.has(h.nonce)) return 'held';
  const me = await ownIdentity();
  if (h.host !== undefined && h.host !== me.host) return 'unknown';
  if (h.boot !== undefined && me.boot !== undefined && h.boot !== me.boot) return 'stale';
  if (h.start !== undefined) {
    const start = await processStart(h.pid);
    if (start === null) return 'stale';
    if (start !== undefined) return start === h.start ? 'held' : 'stale';
  }
  // Only a pid to go by. Our own pid in a lock we do not hold was a previous process's.
  if (h.pid === process.pid) return 'stale';
  if (!processAlive(h.pid)) return 'stale';
  return h.start === undefined && h.host === undefined ? 'unknown' : 'held';
}

type Seen = { text: string; ino: number };

/** The lock's text and inode, read through one descriptor so both belong to the same file. */
async function readLock(file: string): Promise<Seen | undefined> {
  let fh;
  try {
    fh = await fsp.open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const st = await fh.stat();
    return { text: await fh.readFile('utf8'), ino: st.ino };
  } finally {
    await fh.close();
  }
}

/** Writes `text` under a temporary name and links it to `name`; false when `name` exists. */
async function createWhole(name: string, text: string, durable: boolean): Promise<boolean> {
  const tmp = `${name}.${randomUUID()}.tmp`;
  try {
    const fh = await fsp.open(tmp, 'wx');
    try {
      await fh.writeFile(text);
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.link(tmp, name);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}

const markName = (file: string, seen: Seen, gen: number): string =>
  `${file}.break-${createHash('sha256').update(`${seen.ino}\0${seen.text}`).digest('hex').slice(0, 16)}.${gen}`;

/**
 * Removes the stale lock `seen` if it is still in place. False when another
 * live starter is breaking it right now (try again shortly).
 */
async function breakStale(file: string, seen: Seen, me: LockHolder): Promise<boolean> {
  const record = `${JSON.stringify({ ...me, nonce: randomUUID() })}\n`;
  for (let gen = 0; gen < 64; gen++) {
    const mark = markName(file, seen, gen);
    if (!(await createWhole(mark, record, false))) {
      const other = parseLock((await readLock(mark))?.text ?? '');
      // A vanished mark: its breaker finished, so the stale lock is gone already.
      if (other === undefined || (await holderState(other)) !== 'stale') return false;
      continue;
    }
    try {
      const now = await readLock(file);
      if (now !== undefined && now.ino === seen.ino && now.text === seen.text) await fsp.rm(file, { force: true });
      return true;
    } finally {
      // The stale lock is gone either way, so no mark for it is needed any more.
      for (let g = gen; g >= 0; g--) await fsp.rm(markName(file, seen, g), { force: true });
    }
  }
  throw new Error(`could not break the stale lock ${file}: 64 starters were killed while breaking it`);
}

function heldBy(h: LockHolder, state: 'held' | 'unknown'): HeldBy {
  // Held with our own pid: by the start time too, so it is this very process.
  const thisProcess = state === 'held' && h.pid === process.pid;
  return { pid: h.pid, host: h.host, since: h.since, thisProcess, verified: state === 'held' };
}

/**
 * Takes the lock `file`, or throws `inUse(...)` while another running process
 * (or this one) holds it. A lock whose holder no longer runs is taken over.
 */
export async function acquirePidLock(file: string, inUse: (holder: number, by: HeldBy) => Error): Promise<PidLock> {
  const me = await ownIdentity();
  const nonce = randomUUID();
  const record = `${JSON.stringify({ ...me, since: new Date().toISOString(), nonce })}\n`;
  const deadline = Date.now() + LOCK_BREAK_WAIT_MS;
  for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
    if (await createWhole(file, record, true)) {
      heldHere.add(nonce);
      await fsyncDir(path.dirname(file));
      return { file, release: () => releaseLock(file, nonce) };
    }
    const seen = await readLock(file);
    if (seen !== undefined) {
      const holder = parseLock(seen.text);
      const state = holder === undefined ? 'stale' : await holderState(holder);
      if (holder !== undefined && state !== 'stale') throw inUse(holder.pid, heldBy(holder, state));
      if (await breakStale(file, seen, me)) continue;
    }
    if (Date.now() > deadline) throw new Error(`could not take the lock ${file}: other starters kept it changing for ${LOCK_BREAK_WAIT_MS} ms`);
    await new Promise((r) => setTimeout(r, wait));
  }
}

/** The lock for holders that release it by removing the file themselves. */
export async function takePidLock(file: string, inUse: (holder: number, by: HeldBy) => Error): Promise<void> {
  await acquirePidLock(file, inUse);
}

async function releaseLock(file: string, nonce: string): Promise<void> {
  heldHere.delete(nonce);
  const seen = await readLock(file).catch(() => undefined);
  if (seen !== undefined && parseLock(seen.text)?.nonce === nonce) await fsp.rm(file, { force: true });
}

/** The sentence after "in use by": who holds it and what to do about it. */
export function describeHolder(file: string, by: HeldBy): string {
  const since = by.since === undefined ? '' : `, locked since ${by.since}`;
  if (by.thisProcess) return `this process (pid ${by.pid}${since}); it is already open here`;
  if (by.verified) return `process ${by.pid}, which is running (on this host${since}); stop that server first`;
  const where = by.host === undefined ? 'a lock naming only its pid' : `host ${by.host}`;
  return (
    `process ${by.pid} (${where}${since}), which cannot be checked from here; ` +
    `stop that server, or if it no longer runs, delete ${file}`
  );
}
