// The table file check: every active file of a snapshot must be on disk with
// the size its add action recorded. Also words what is wrong and the repair
// command, so describe, optimize, repair and query errors all say the same.
import { realpathSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { DEFAULT_WAREHOUSE, FSCK_STAT_CONCURRENCY } from '../config/limits.ts';
import type { AddAction } from '../delta/actions.ts';
import { parseJson } from '../delta/json.ts';
import type { Snapshot } from '../delta/snapshot.ts';
import { dataFilePath } from '../delta/table.ts';
import { isRemoteLocation, locate } from '../storage/location.ts';

/** A local path made absolute; a store URL as it is. */
export const resolvedLocation = (loc: string): string => (isRemoteLocation(loc) ? loc : path.resolve(loc));

export type FileProblem = {
  /** The add's path, exactly as the log holds it. */
  path: string;
  /** Where that path lives on disk. */
  file: string;
  /** Bytes the add recorded. */
  recordedSize: number;
  /** Bytes on disk; undefined when the file is missing. */
  actualSize: number | undefined;
  /** Rows the add's stats recorded; undefined when it has no stats. */
  numRecords: number | undefined;
};

export type TableCheck = {
  /** The snapshot version checked. */
  version: number;
  filesChecked: number;
  healthy: boolean;
  missing: FileProblem[];
  sizeMismatch: FileProblem[];
};

/** The add's numRecords, or undefined when its stats do not say. */
function recordedRows(add: AddAction): number | undefined {
  if (add.stats === undefined) return undefined;
  try {
    const stats = parseJson(add.stats);
    const n = typeof stats === 'object' && stats !== null && !Array.isArray(stats) ? stats.numRecords : undefined;
    return typeof n === 'number' || typeof n === 'bigint' ? Number(n) : undefined;
  } catch {
    return undefined;
  }
}

async function sizeOnDisk(file: string): Promise<number | undefined> {
  if (isRemoteLocation(file)) {
    const { store, key } = locate(file);
    return (await store.head(key))?.size;
  }
  try {
    const st = await fsp.stat(file);
    // A directory or device where the data file should be holds none of its rows.
    return st.isFile() ? st.size : undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new Error(`could not check data file ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** Stats every active file of `snap` (a few at a time) and sorts out the missing and the wrongly sized. */
export async function checkTableFiles(tableDir: string, snap: Snapshot): Promise<TableCheck> {
  const adds = [...snap.files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const missing: FileProblem[] = [];
  const sizeMismatch: FileProblem[] = [];
  for (let i = 0; i < adds.length; i += FSCK_STAT_CONCURRENCY) {
    const batch = adds.slice(i, i + FSCK_STAT_CONCURRENCY);
    const sizes = await Promise.all(batch.map((a) => sizeOnDisk(dataFilePath(tableDir, a.path))));
    batch.forEach((add, k) => {
      const actualSize = sizes[k];
      const problem: FileProblem = {
        path: add.path,
        file: dataFilePath(tableDir, add.path),
        recordedSize: add.size,
        actualSize,
        numRecords: recordedRows(add),
      };
      if (actualSize === undefined) missing.push(problem);
      else if (actualSize !== add.size) sizeMismatch.push(problem);
    });
  }
  return { version: snap.version, filesChecked: adds.length, healthy: missing.length + sizeMismatch.length === 0, missing, sizeMismatch };
}

const IDENT = /^[a-z0-9_]{1,255}$/;

/** The warehouse and catalog.schema.table of a table directory laid out as <warehouse>/c/s/t, if it is. */
function warehouseName(tableDir: string): { warehouse: string; name: string } | undefined {
  const dir = resolvedLocation(tableDir);
  const sep = isRemoteLocation(dir) ? '/' : path.sep;
  const all = dir.split(sep);
  const parts = all.slice(-3);
  if (parts.length !== 3 || !parts.every((p) => IDENT.test(p))) return undefined;
  return { warehouse: all.slice(0, -3).join(sep), name: parts.join('.') };
}

function sameDir(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
}

/** How the user names the table to `otlp2delta repair`: c.s.t (with --warehouse unless it is the default one) or its directory. */
export function repairArgument(tableDir: string): string {
  const w = warehouseName(tableDir);
  if (!w) return resolvedLocation(tableDir);
  const usual = process.env.OTLP2DELTA_WAREHOUSE ?? DEFAULT_WAREHOUSE;
  return sameDir(w.warehouse, usual) ? w.name : `${w.name} --warehouse ${w.warehouse}`;
}

/** `table c.s.t` or `table at DIR`. */
export function tableLabel(tableDir: string): string {
  const w = warehouseName(tableDir);
  return w ? `table ${w.name}` : `table at ${resolvedLocation(tableDir)}`;
}

const rows = (p: FileProblem): string => (p.numRecords === undefined ? 'rows unknown' : `${p.numRecords} rows`);
const LISTED_MAX = 5;

function listed(problems: FileProblem[], say: (p: FileProblem) => string): string {
  const shown = problems.slice(0, LISTED_MAX).map(say);
  return problems.length > LISTED_MAX ? `${shown.join(', ')} and ${problems.length - LISTED_MAX} more` : shown.join(', ');
}

/** "healthy (N files checked)" or "N missing files, M size mismatches". */
export function healthSummary(check: TableCheck): string {
  if (check.healthy) return `healthy (${check.filesChecked} files checked)`;
  const parts: string[] = [];
  const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
  if (check.missing.length > 0) parts.push(n(check.missing.length, 'missing file', 'missing files'));
  if (check.sizeMismatch.length > 0) parts.push(n(check.sizeMismatch.length, 'size mismatch', 'size mismatches'));
  return `${parts.join(', ')} (${check.filesChecked} files checked)`;
}

/** The commands that show and then make the fix. */
export function repairAdvice(tableDir: string, check: TableCheck): string {
  const arg = repairArgument(tableDir);
  const fix = check.sizeMismatch.length > 0 ? `otlp2delta repair ${arg} --include-damaged` : `otlp2delta repair ${arg}`;
  const them = check.missing.length + check.sizeMismatch.length === 1 ? 'it' : 'them';
  return `run \`otlp2delta repair ${arg} --dry-run\` to see, then \`${fix}\` to remove ${them} from the table`;
}

/** One sentence naming what is wrong with the table's files and how to fix it; undefined when healthy. */
export function problemMessage(tableDir: string, check: TableCheck): string | undefined {
  if (check.healthy) return undefined;
  const label = tableLabel(tableDir);
  const sentences: string[] = [];
  const { missing, sizeMismatch } = check;
  if (missing.length === 1) {
    const p = missing[0] as FileProblem;
    sentences.push(`${label} references data file ${p.path}, which is missing from ${path.dirname(p.file)} (${rows(p)})`);
  } else if (missing.length > 1) {
    sentences.push(`${label} references ${missing.length} data files that are missing from ${resolvedLocation(tableDir)}: ${listed(missing, (p) => `${p.path} (${rows(p)})`)}`);
  }
  const subject = missing.length > 0 ? 'it also' : label;
  const sizes = (p: FileProblem) => `${p.actualSize} bytes on disk, ${p.recordedSize} in the log, ${rows(p)}`;
  if (sizeMismatch.length === 1) {
    const p = sizeMismatch[0] as FileProblem;
    sentences.push(`${subject} references data file ${p.path}, which is damaged (${sizes(p)})`);
  } else if (sizeMismatch.length > 1) {
    const list = listed(sizeMismatch, (p) => `${p.path} (${sizes(p)})`);
    sentences.push(`${subject} references ${sizeMismatch.length} damaged data files, whose size differs from the log: ${list}`);
  }
  return `${sentences.join('; ')}; ${repairAdvice(tableDir, check)}`;
}

/** Thrown by work that must not start on a table whose files are missing or damaged. */
export class UnhealthyTableError extends Error {
  constructor(
    message: string,
    readonly check: TableCheck,
  ) {
    super(message);
  }
}

/** Throws an UnhealthyTableError naming the files and the repair unless every active file is intact. */
export async function assertFilesIntact(tableDir: string, snap: Snapshot, doing: string): Promise<void> {
  const check = await checkTableFiles(tableDir, snap);
  const message = problemMessage(tableDir, check);
  if (message !== undefined) throw new UnhealthyTableError(`cannot ${doing}: ${message}`, check);
}
