// Segments that could not be committed after repeated attempts are moved out
// of the writer's way into <staging>/quarantine/<table>/, with a small JSON
// note beside each saying where it came from and why. Nothing here is ever
// deleted: `otlp2delta staging retry` moves a segment back to be committed.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fsyncDir, fsyncFile } from '../delta/fsync.ts';
import { listSegments, segmentName } from './segment.ts';

export const QUARANTINE = 'quarantine';

export type QuarantineNote = {
  table: string;
  /** The table directory the segment was meant for, when the writer knew it. */
  tableDir?: string;
  seq: string;
  /** The writer's txn appId, whose committed version a retry numbers past. */
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

/** Moves a segment into quarantine: note first, then the segment, each made durable. */
export async function quarantineSegment(stagingRoot: string, segPath: string, note: QuarantineNote): Promise<string> {
  const dir = quarantineDir(stagingRoot, note.table);
  await fsp.mkdir(dir, { recursive: true });
  // The folders may be new: their names must survive a crash before the segment moves into them.
  await fsyncDir(path.dirname(dir));
  await fsyncDir(stagingRoot);
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

/**
 * Moves a quarantined segment back into its table's staging folder, to be
 * committed by the next server run. It gets a new number past every number
 * the writer has used for the table (`committedSeq`: the writer's txn version
 * in the table): a commit carries its segment number as the txn version, and a
 * segment numbered at or below the committed one would be taken for committed
 * and deleted. The caller holds the staging lock, so no writer numbers
 * segments meanwhile. The segment moves first; a crash before the note goes
 * leaves a note without a segment, which listing ignores.
 */
export async function moveBack(stagingRoot: string, tableStagingDir: string, seg: QuarantinedSegment, committedSeq: bigint): Promise<string> {
  let seq = committedSeq;
  for (const s of await listSegments(tableStagingDir)) if (s.seq > seq) seq = s.seq;
  const q = await highestQuarantinedSeq(stagingRoot, seg.table);
  if (q !== undefined && q > seq) seq = q;
  const dest = path.join(tableStagingDir, segmentName(seq + 1n));
  await fsp.mkdir(tableStagingDir, { recursive: true });
  await fsyncDir(path.dirname(tableStagingDir));
  await fsp.rename(seg.path, dest);
  await fsyncDir(tableStagingDir);
  await fsyncDir(path.dirname(seg.path));
  await fsp.rm(notePath(seg.path), { force: true });
  await fsyncDir(path.dirname(seg.path));
  return dest;
}
