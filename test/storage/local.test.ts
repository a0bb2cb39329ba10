import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalStore } from '../../src/storage/local.ts';
import { joinKey } from '../../src/storage/types.ts';
import { storeContract } from './contract.ts';

storeContract('local folder', async () => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'local-store-'));
  return {
    // The store the locations of local paths use: the filesystem's root, keys are absolute paths.
    store: new LocalStore('/'),
    root: joinKey(dir),
    partBytes: 64 * 1024,
    close: () => fsp.rm(dir, { recursive: true, force: true }),
  };
});
