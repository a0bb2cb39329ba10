// Resolves the folder and table arguments of the commands: the warehouse
// (refused when it names a file), and the <table> of the maintenance commands,
// a catalog.schema.table name inside the warehouse or a table directory path.
import path from 'node:path';
import { DEFAULT_WAREHOUSE } from '../config/limits.ts';
import { folderPathProblem } from '../fs/folder-check.ts';
import { tableDir } from '../ingest/registry.ts';
import { parseTableName } from '../tables/names.ts';
import { UsageError } from './usage.ts';

export const TABLE_ARG_HELP = `<table> is catalog.schema.table (looked up in --warehouse DIR, env
OTLP2DELTA_WAREHOUSE, default ./warehouse of the working directory) or the
path of a table directory (anything with a '/').`;

/** Refuses a folder option whose path is a file (or lies under one), naming the option. */
export function checkFolderOption(label: string, dir: string): void {
  const problem = folderPathProblem(dir);
  if (problem !== undefined) throw new UsageError(`${label} ${path.resolve(dir)} ${problem}`);
}

/**
 * The warehouse folder of every command: --warehouse, else OTLP2DELTA_WAREHOUSE,
 * else ./warehouse; refused when it names a file.
 */
export function warehouseFromArgs(flag: string | undefined): string {
  const env = process.env.OTLP2DELTA_WAREHOUSE;
  const [label, dir] = flag !== undefined ? ['--warehouse', flag] : env !== undefined ? ['OTLP2DELTA_WAREHOUSE', env] : ['warehouse', DEFAULT_WAREHOUSE];
  if (dir.trim() === '') throw new UsageError(`${label} must name a folder`);
  checkFolderOption(label, dir);
  return dir;
}

/** The directory of the one table the positionals name. */
export function tableDirFromArgs(positionals: string[], warehouse: string | undefined, help: string): string {
  if (positionals.length !== 1) throw new UsageError('give exactly one table: catalog.schema.table or a table directory', help);
  const arg = positionals[0] as string;
  const isPath = arg.includes('/') || arg.includes(path.sep);
  // Checked even when a table path makes it unused: a wrong --warehouse is still a mistake.
  const root = isPath && warehouse === undefined ? undefined : warehouseFromArgs(warehouse);
  if (isPath || root === undefined) return path.resolve(arg);
  try {
    return tableDir(root, parseTableName(arg, 'table name'));
  } catch (e) {
    throw new UsageError((e as Error).message, help);
  }
}

/** A non-negative number option, or undefined when absent. */
export function numberOption(name: string, raw: string | undefined, help: string, opts: { integer?: boolean } = {}): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || (opts.integer && !Number.isSafeInteger(n))) {
    throw new UsageError(`--${name} must be a non-negative ${opts.integer ? 'integer' : 'number'}, got ${JSON.stringify(raw)}`, help);
  }
  return n;
}

/** Aligned `label  value` lines. */
export function keyValueLines(rows: Array<[string, string]>): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

/** Aligned columns with a header row; numbers (right-aligned) are marked by `right`. */
export function tableLines(header: string[], rows: string[][], right: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (right[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

export const isoTime = (ms: number | undefined): string => (ms === undefined ? '-' : new Date(ms).toISOString());
