// Flushing files and directory entries to stable storage, so that a commit
// never references bytes a power loss could still take back.
import { promises as fsp } from 'node:fs';

/** fsync of an existing file's data; a read-only descriptor is enough on Linux. */
export async function fsyncFile(path: string): Promise<void> {
  const fh = await fsp.open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Makes the names created or removed in a directory durable. */
export async function fsyncDir(path: string): Promise<void> {
  await fsyncFile(path);
}
