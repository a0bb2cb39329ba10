// Start-up checks of the folders a command is told to use: that the path can
// be a folder at all, and that the folder takes writes. Both fail with the
// real cause, named after the option, instead of an errno from deep inside.
import { randomUUID } from 'node:crypto';
import { promises as fsp, statSync } from 'node:fs';
import path from 'node:path';
import { fsyncDir } from '../delta/fsync.ts';

/**
 * Why `dir` cannot be a folder, or undefined when it is one or can be created:
 * the path, or the nearest part of it that exists, is a file.
 */
export function folderPathProblem(dir: string): string | undefined {
  let at = path.resolve(dir);
  for (;;) {
    let st;
    try {
      st = statSync(at);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTDIR: a part above is a file; keep going up to find it.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return `cannot be inspected: ${errnoText(e)}`;
      const up = path.dirname(at);
      if (up === at) return undefined;
      at = up;
      continue;
    }
    if (st.isDirectory()) return undefined;
    return at === path.resolve(dir) ? 'is a file, not a folder' : `cannot be a folder: ${at} is a file`;
  }
}

/** "EROFS (read-only file system)" from a Node error. */
export function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === undefined) return err.message;
  const what = /^[A-Z]+: ([^,]+)/.exec(err.message)?.[1];
  return what === undefined ? err.code : `${err.code} (${what})`;
}

/** The nearest existing folder at or above `dir`, where a failed mkdir's cause shows. */
async function nearestExisting(dir: string): Promise<string> {
  let at = dir;
  while (!(await fsp.stat(at).then((s) => s.isDirectory(), () => false))) {
    const up = path.dirname(at);
    if (up === at) break;
    at = up;
  }
  return at;
}

/** Creates, syncs and removes a probe file in `dir`, then syncs `dir`: what every later write needs. */
async function probe(dir: string): Promise<void> {
  const file = path.join(dir, `.write-probe-${process.pid}-${randomUUID()}`);
  const fh = await fsp.open(file, 'wx');
  try {
    await fh.writeFile('probe\n');
    await fh.sync();
  } finally {
    await fh.close();
    await fsp.rm(file, { force: true });
  }
  await fsyncDir(dir);
}

/**
 * Makes sure `dir` exists and takes writes, or throws naming `label` and the
 * cause: `warehouse /x is not writable: EROFS (read-only file system)`.
 */
export async function ensureWritableFolder(dir: string, label: string): Promise<void> {
  const abs = path.resolve(dir);
  const problem = folderPathProblem(abs);
  if (problem !== undefined) throw new Error(`${label} ${abs} ${problem}`);
  try {
    await fsp.mkdir(abs, { recursive: true });
  } catch (e) {
    // A recursive mkdir on a read-only disk can report ENOENT; the probe of the
    // folder it would have been created in tells the real cause.
    const parent = await nearestExisting(abs);
    const probeError = await probe(parent).then(() => undefined, (pe: unknown) => pe);
    if (probeError === undefined) throw new Error(`${label} ${abs} cannot be created: ${errnoText(e)}`);
    throw new Error(`${label} ${abs} cannot be created: ${parent} is not writable: ${errnoText(probeError)}`);
  }
  try {
    await probe(abs);
  } catch (e) {
    throw new Error(`${label} ${abs} is not writable: ${errnoText(e)}`);
  }
}
