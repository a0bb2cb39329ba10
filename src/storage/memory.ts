// An object store held in memory, with faults that a remote store shows and a
// local folder never does, so the Delta code can be tested against them:
// answers lost after a write landed, throttling, listings cut short, and a
// store that ignores the condition of a conditional write.
import { promises as fsp } from 'node:fs';
import { compareKeys } from './compare.ts';
import { OutcomeUnknownError, StoreBusyError, type ObjectInfo, type ObjectStore } from './types.ts';

/** Faults to inject; counters count down as calls consume them. */
export type MemoryFaults = {
  /** The next N writes (put, putIfAbsent, upload) land, then throw OutcomeUnknownError. */
  lostAnswers: number;
  /** The next N calls of any kind throw StoreBusyError without doing anything. */
  busyCalls: number;
  /** The next N listings return only the first half of their answer (a truncated prefix). */
  truncatedLists: number;
  /** putIfAbsent replaces an existing object and reports true, like a store without conditional writes. */
  ignoreCondition: boolean;
};

type Entry = { body: Uint8Array; lastModified: number };

export class MemoryStore implements ObjectStore {
  readonly description: string;
  readonly faults: MemoryFaults = { lostAnswers: 0, busyCalls: 0, truncatedLists: 0, ignoreCondition: false };
  private readonly objects = new Map<string, Entry>();

  constructor(name = 'memory') {
    this.description = `mem://${name}`;
  }

  localPath(): undefined {
    return undefined;
  }

  /** Keys held, sorted (tests inspect the store directly). */
  keys(): string[] {
    return [...this.objects.keys()].sort(compareKeys);
  }

  private async enter(op: string, key: string): Promise<void> {
    // A store answers asynchronously; concurrent callers interleave at this point.
    await Promise.resolve();
    if (this.faults.busyCalls > 0) {
      this.faults.busyCalls--;
      throw new StoreBusyError(`${op} ${this.description}/${key}: the store is busy (injected)`);
    }
  }

  private landed(op: string, key: string): void {
    if (this.faults.lostAnswers > 0) {
      this.faults.lostAnswers--;
      throw new OutcomeUnknownError(`${op} ${this.description}/${key}: the answer was lost (injected)`);
    }
  }

  private write(key: string, body: Uint8Array | string): void {
    const bytes = typeof body === 'string' ? new Uint8Array(Buffer.from(body, 'utf8')) : new Uint8Array(body);
    this.objects.set(key, { body: bytes, lastModified: Date.now() });
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    await this.enter('get', key);
    const entry = this.objects.get(key);
    return entry ? new Uint8Array(entry.body) : undefined;
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    await this.enter('head', key);
    const entry = this.objects.get(key);
    return entry ? { key, size: entry.body.byteLength, lastModified: entry.lastModified } : undefined;
  }

  async list(prefix: string, opts: { startAfter?: string } = {}): Promise<ObjectInfo[]> {
    await this.enter('list', prefix);
    const { startAfter } = opts;
    const out = this.keys()
      .filter((k) => k.startsWith(prefix) && (startAfter === undefined || compareKeys(k, startAfter) > 0))
      .map((key) => {
        const e = this.objects.get(key) as Entry;
        return { key, size: e.body.byteLength, lastModified: e.lastModified };
      });
    if (this.faults.truncatedLists > 0) {
      this.faults.truncatedLists--;
      return out.slice(0, Math.floor(out.length / 2));
    }
    return out;
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    await this.enter('put', key);
    this.write(key, body);
    this.landed('put', key);
  }

  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    await this.enter('putIfAbsent', key);
    if (this.objects.has(key) && !this.faults.ignoreCondition) return false;
    this.write(key, body);
    this.landed('putIfAbsent', key);
    return true;
  }

  async upload(key: string, localFile: string): Promise<void> {
    await this.enter('upload', key);
    const body = await fsp.readFile(localFile);
    this.write(key, body);
    this.landed('upload', key);
  }

  async download(key: string, localFile: string): Promise<boolean> {
    await this.enter('download', key);
    const entry = this.objects.get(key);
    if (!entry) return false;
    await fsp.writeFile(localFile, entry.body);
    return true;
  }

  async delete(key: string): Promise<void> {
    await this.enter('delete', key);
    this.objects.delete(key);
  }
}
