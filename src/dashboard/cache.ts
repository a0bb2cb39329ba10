// Panel answers kept per table version: the key holds every table's latest
// Delta commit, so a commit anywhere in the warehouse (data, prices,
// directory, budgets) makes a new key and the old answers age out.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { listLog } from '../delta/snapshot.ts';
import { listTableNames } from '../query/warehouse.ts';

/** Answers kept; each is a few hundred rows at most, so this bounds memory at a few MB. */
const CACHE_ENTRIES_MAX = 64;

/** The latest commit of every table (but those in `except`), as one key. */
export async function warehouseVersion(root: string, except: readonly string[] = []): Promise<string> {
  const parts: string[] = [];
  for (const name of await listTableNames(root)) {
    if (except.includes(name)) continue;
    const { commits } = await listLog(path.join(root, ...name.split('.')));
    parts.push(`${name}@${commits[commits.length - 1] ?? -1}`);
  }
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

export class AnswerCache<T> {
  private readonly entries = new Map<string, Promise<T>>();

  /** The cached answer for `key`, or `compute`'s; a failed computation is not kept. */
  get(key: string, compute: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const p = compute();
    this.entries.set(key, p);
    p.catch(() => this.entries.delete(key));
    while (this.entries.size > CACHE_ENTRIES_MAX) this.entries.delete(this.entries.keys().next().value as string);
    return p;
  }
}
