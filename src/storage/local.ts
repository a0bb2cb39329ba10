// A folder on a local POSIX filesystem as an object store. Conditional writes
// use link(2), which creates the name or fails with EEXIST atomically; every
// write is fsync'd (file and folder entry) before it resolves. NFS, SMB and
// some FUSE filesystems do not keep these promises.
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fsyncDir, fsyncFile } from '../delta/fsync.ts';
import type { ObjectInfo, ObjectStore } from './types.ts';

const isMissing = (e: unknown): boolean => {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/**
 * The hidden name a write goes to before it takes its final name. The pid
 * lets a later process tell an abandoned temp file from a live writer's.
 */
export function tempNameFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomUUID()}.tmp`);
}

async function writeNew(file: string, body: Uint8Array | string): Promise<void> {
  const fh = await fsp.open(file, 'wx');
  try {
    await fh.writeFile(body);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class LocalStore implements ObjectStore {
  readonly description: string;

  constructor(private readonly root: string) {
    this.description = root;
  }

  localPath(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return await fsp.readFile(this.localPath(key));
    } catch (e) {
      if (isMissing(e) || (e as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
      throw e;
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const st = await fsp.stat(this.localPath(key)).catch((e: unknown) => {
      if (isMissing(e)) return undefined;
      throw e;
    });
    if (!st?.isFile()) return undefined;
    return { key, size: st.size, lastModified: st.mtimeMs };
  }

  async list(prefix: string, opts: { startAfter?: string } = {}): Promise<ObjectInfo[]> {
    // A prefix ending in a slash is a folder; otherwise it also filters the names in its folder.
    const folder = prefix === '' || prefix.endsWith('/') ? prefix : prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const out: ObjectInfo[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries;
      try {
        entries = await fsp.readdir(this.localPath(rel), { withFileTypes: true });
      } catch (e) {
        if (isMissing(e)) return;
        throw e;
      }
      for (const entry of entries) {
        const key = rel + entry.name;
        if (entry.isDirectory()) {
          if (prefix.startsWith(key + '/') || (key + '/').startsWith(prefix)) await walk(key + '/');
          continue;
        }
        if (!entry.isFile() || !key.startsWith(prefix)) continue;
        if (opts.startAfter !== undefined && key <= opts.startAfter) continue;
        const info = await this.head(key);
        if (info) out.push(info);
      }
    };
    await walk(folder);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    const file = this.localPath(key);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const tmp = tempNameFor(file);
    try {
      await writeNew(tmp, body);
      await fsp.rename(tmp, file);
    } finally {
      await fsp.rm(tmp, { force: true });
    }
    await fsyncDir(path.dirname(file));
  }

  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    const file = this.localPath(key);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const tmp = tempNameFor(file);
    try {
      await writeNew(tmp, body);
      try {
        // rename would replace an existing object; link refuses to.
        await fsp.link(tmp, file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw e;
      }
    } finally {
      await fsp.rm(tmp, { force: true });
    }
    await fsyncDir(path.dirname(file));
    return true;
  }

  async upload(key: string, localFile: string): Promise<void> {
    const file = this.localPath(key);
    if (path.resolve(localFile) === file) {
      await fsyncFile(file);
      await fsyncDir(path.dirname(file));
      return;
    }
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const tmp = tempNameFor(file);
    try {
      await fsp.copyFile(localFile, tmp);
      await fsyncFile(tmp);
      await fsp.rename(tmp, file);
    } finally {
      await fsp.rm(tmp, { force: true });
    }
    await fsyncDir(path.dirname(file));
  }

  async download(key: string, localFile: string): Promise<boolean> {
    try {
      await fsp.copyFile(this.localPath(key), localFile);
      return true;
    } catch (e) {
      if (isMissing(e)) return false;
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    await fsp.rm(this.localPath(key), { force: true });
  }
}
