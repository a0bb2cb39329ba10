// A lock file holding the owner's pid, for folders that only one process may
// write (staging, capture). A lock whose process is gone is stale and taken over.
import { promises as fsp } from 'node:fs';

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

/**
 * Creates `file` holding our pid, or throws `inUse(pid)` while another live
 * process holds it. Our own pid in an old lock means a previous process that
 * had the same pid died: the lock is stale.
 */
export async function takePidLock(file: string, inUse: (holder: number) => Error): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fsp.writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number((await fsp.readFile(file, 'utf8').catch(() => '')).trim());
    if (holder !== process.pid && processAlive(holder)) throw inUse(holder);
    await fsp.rm(file, { force: true });
  }
  throw new Error(`could not take the lock ${file}: another process keeps taking it`);
}
