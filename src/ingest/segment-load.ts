// Turns one staged segment into one Parquet data file: the intact records are
// copied, in order, to a plain NDJSON file beside the table's data (not in
// the staging folder, which may be the full disk), DuckDB loads that, and it
// is deleted. Two steps, so a writer can copy the next segment out while
// DuckDB writes the previous one.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { newDataFileName } from '../delta/table.ts';
import type { Db } from '../duckdb/db.ts';
import { writeParquet, type WrittenFile } from '../parquet/write.ts';
import type { TableSchema } from '../tables/schema.ts';
import type { ScanResult } from '../wal/frame.ts';
import { extractPayloads } from '../wal/segment.ts';

export type SegmentLoad = { scan: ScanResult; file?: WrittenFile & { fileName: string; outPath: string } };

/** A load that DuckDB refused for what the segment holds (as opposed to a disk or memory problem). */
export class SegmentDataError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
  }
}

/** DuckDB and errno failures that say nothing about the data: retried forever, never quarantined. */
const ENVIRONMENT_RE = /^(IO|Out of Memory|Interrupt|Connection|FATAL) Error|No space left|ENOSPC|EIO|EMFILE|ENFILE|EACCES|EROFS/i;

function isEnvironmental(e: unknown): boolean {
  if (typeof (e as NodeJS.ErrnoException)?.code === 'string') return true;
  return ENVIRONMENT_RE.test((e as Error)?.message ?? String(e));
}

/** Hidden (Delta readers skip `.` names) and named for its writer, so a restart removes only its own leftovers. */
export const loadFilePrefix = (writerId: string): string => `.otlp2delta-load-${writerId}-`;

/** Deletes load files a crash left behind in a table directory. */
export async function removeStaleLoadFiles(tableDir: string, writerId: string): Promise<void> {
  const prefix = loadFilePrefix(writerId);
  const names = await fsp.readdir(tableDir).catch(() => [] as string[]);
  for (const n of names) if (n.startsWith(prefix) && n.endsWith('.ndjson')) await fsp.rm(path.join(tableDir, n), { force: true });
}

/** A segment's intact records copied out for DuckDB, not yet turned into Parquet. */
export type ExtractedSegment = { scan: ScanResult; loadPath: string };

/**
 * Copies the intact records of a segment to its load file beside the table's
 * data. Separate from the Parquet step so a writer can extract the next
 * segment while DuckDB writes the previous one. The caller owns the load
 * file: `writeExtracted` deletes it, and so does `discardExtracted`.
 */
export async function extractSegment(opts: { tableDir: string; segPath: string; loadTag: string }): Promise<ExtractedSegment> {
  const loadPath = path.join(opts.tableDir, `${opts.loadTag}.ndjson`);
  try {
    return { scan: await extractPayloads(opts.segPath, loadPath), loadPath };
  } catch (e) {
    await fsp.rm(loadPath, { force: true });
    throw e;
  }
}

export async function discardExtracted(x: ExtractedSegment): Promise<void> {
  await fsp.rm(x.loadPath, { force: true });
}

/** Turns an extracted segment into one Parquet data file in `tableDir`, then deletes the load file. */
export async function writeExtracted(
  x: ExtractedSegment,
  opts: { db: Db; schema: TableSchema; tableDir: string; runDuckDb?: <T>(job: () => Promise<T>) => Promise<T>; beforeParquet?: () => void },
): Promise<SegmentLoad> {
  const { scan, loadPath } = x;
  try {
    if (scan.records.every((r) => r.payloadBytes === 0)) return { scan };
    const fileName = newDataFileName();
    const outPath = path.join(opts.tableDir, fileName);
    opts.beforeParquet?.();
    let written: WrittenFile;
    try {
      written = await writeParquet(opts.db, opts.schema, loadPath, outPath, scan.lineBytesMax, opts.runDuckDb);
    } catch (e) {
      if (isEnvironmental(e)) throw e;
      throw new SegmentDataError((e as Error).message, { cause: e });
    }
    return { scan, file: { ...written, fileName, outPath } };
  } finally {
    await fsp.rm(loadPath, { force: true });
  }
}
