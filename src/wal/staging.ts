// The staging folder of one server process: a lock so two processes never
// share it, a stable writer id (the Delta txn appId that makes replayed commits
// recognisable), and one sub-folder of segments per table.
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { acquirePidLock, describeHolder, type PidLock } from '../fs/pid-lock.ts';
import { fsyncDir, fsyncFile } from '../delta/fsync.ts';

export type Staging = {
  root: string;
  writerId: string;
  /** The appId of this writer's txn actions; the same across restarts. */
  appId: string;
  tableDir(fullName: string): string;
  /** Tables (catalog.schema.table) that have a staging folder. */
  listTables(): Promise<string[]>;
  release(): Promise<void>;
};

const LOCK = 'LOCK';
const WRITER_ID = 'writer-id';
const TABLES = 'tables';

function takeLock(root: string): Promise<PidLock> {
  const file = path.join(root, LOCK);
  return acquirePidLock(
    file,
    (_pid, by) => new Error(`staging folder ${root} is in use by ${describeHolder(file, by)}; each server needs its own --staging folder`),
  );
}

async function readOrCreateWriterId(root: string): Promise<string> {
  const file = path.join(root, WRITER_ID);
  const existing = (await fsp.readFile(file, 'utf8').catch(() => '')).trim();
  if (/^[0-9a-f-]{36}$/.test(existing)) return existing;
  const id = randomUUID();
  await fsp.writeFile(file, `${id}\n`);
  await fsyncFile(file);
  await fsyncDir(root);
  return id;
}

export async function openStaging(root: string): Promise<Staging> {
  const abs = path.resolve(root);
  await fsp.mkdir(path.join(abs, TABLES), { recursive: true });
  const lock = await takeLock(abs);
  let writerId: string;
  try {
    writerId = await readOrCreateWriterId(abs);
  } catch (e) {
    await lock.release();
    throw e;
  }
  return {
    root: abs,
    writerId,
    appId: `otlp2delta-${writerId}`,
    tableDir: (fullName) => path.join(abs, TABLES, fullName),
    async listTables() {
      const names = await fsp.readdir(path.join(abs, TABLES));
      return names.filter((n) => /^[a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+$/.test(n)).sort();
    },
    release: () => lock.release(),
  };
}
