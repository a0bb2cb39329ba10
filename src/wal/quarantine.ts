// Segments that could not be committed after repeated attempts are moved out
// of the writer's way into <staging>/quarantine/<table>/, with a small JSON
// note beside each saying where it came from and why. Nothing here is ever
// deleted except by a successful `otlp2delta staging retry`.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fsyncDir, fsyncFile } from '../delta/fsync.ts';
import { segmentName } from './segment.ts';

export const QUARANTINE = 'quarantine';

export type QuarantineNote = {
  table: string;
  /** The table directory the segment was meant for, when the writer knew it. */
  tableDir?: string;
  seq: string;
  /** The live writer's txn appId; the retry commits under an identity derived from it. */
  appId: string;
  rows: number;
  bytes: number;
  attempts: number;
  reason: string;
  quarantinedAt: string;
};

export type QuarantinedSegment = { table: string; seq: bigint; path: string; bytes: number; note?: QuarantineNote };

export const quarantineDir = (stagingRoot: string, table: string): string => path.join(stagingRoot, QUARANTINE, table);
export const notePath = (segPath: string): string => segPath.replace(/\.wal$/, '.json');

/**
 * The txn appId a retried quarantined segment commits under. The live writer
 * commits segment N as (appId, version N) and Delta keeps only the highest
 * version per appId, so once later segments committed, (appId, N) would read
 * as done. A quarantined segment therefore gets an appId of its own, unique to
 * its writer and number (numbers are never reused: a writer numbers new
 * segments past its quarantined ones), with version 0. A repeated retry finds
 * that txn in the table and commits nothing.
 */
export const quarantineAppId = (appId: string, seq: bigint): string => `${appId}-quarantine-${seq}`;

/** Moves a segment into quarantine: note first, then the segment, each made durable. */
export async function quarantineSegment(stagingRoot: string, segPath: string, note: QuarantineNote): Promise<string> {
  const dir = quarantineDir(stagingRoot, note.table);
  await fsp.mkdir(dir, { recursive: true });
  const dest = path.join(dir, path.basename(segPath));
  const noteFile = notePath(dest);
  await fsp.writeFile(`${noteFile}.tmp`, `${JSON.stringify(note, null, 2)}\n`);
  await fsyncFile(`${noteFile}.tmp`);
  await fsp.rename(`${noteFile}.tmp`, noteFile);
  await fsp.rename(segPath, dest);
  await fsyncDir(dir);
  await fsyncDir(path.dirname(segPath));
  return dest;
}

async function readNote(file: string): Promise<QuarantineNote | undefined> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as QuarantineNote;
  } catch {
    return undefined;
  }
}

const readdirOrEmpty = (dir: string) =>
  fsp.readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  });

/** Quarantined segments, by table then number; `table` narrows to one table. */
export async function listQuarantined(stagingRoot: string, table?: string): Promise<QuarantinedSegment[]> {
  const tables = table ? [table] : (await readdirOrEmpty(path.join(stagingRoot, QUARANTINE))).sort();
  const out: QuarantinedSegment[] = [];
  for (const t of tables) {
    const dir = quarantineDir(stagingRoot, t);
    const seqs = (await readdirOrEmpty(dir)).flatMap((n) => {
      const m = /^(\d{20})\.wal$/.exec(n);
      return m ? [BigInt(m[1]!)] : [];
    });
    for (const seq of seqs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      const p = path.join(dir, segmentName(seq));
      const { size } = await fsp.stat(p);
      const note = await readNote(notePath(p));
      out.push({ table: t, seq, path: p, bytes: size, ...(note ? { note } : {}) });
    }
  }
  return out;
}

/** Highest quarantined segment number of a table, so a writer never numbers a new segment the same. */
export async function highestQuarantinedSeq(stagingRoot: string, table: string): Promise<bigint | undefined> {
  const q = await listQuarantined(stagingRoot, table);
  return q.length === 0 ? undefined : q[q.length - 1]!.seq;
}

/** Deletes a quarantined segment and its note once its rows are committed. */
export async function releaseQuarantined(seg: QuarantinedSegment): Promise<void> {
  await fsp.rm(notePath(seg.path), { force: true });
  await fsp.rm(seg.path, { force: true });
  await fsyncDir(path.dirname(seg.path));
}
