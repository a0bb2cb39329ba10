// `otlp2delta repair`: removes data files that are gone from disk from the
// table (like FSCK REPAIR TABLE), after showing what that costs in rows.
import { openDuckDb } from '../duckdb/db.ts';
import { tableLabel } from '../maintenance/fsck.ts';
import { repairTable, type RepairResult } from '../maintenance/repair.ts';
import { TABLE_ARG_HELP, tableDirFromArgs } from './table-arg.ts';
import { parseCommandArgs } from './usage.ts';

export const REPAIR_HELP = `usage: otlp2delta repair <table> [--dry-run] [--include-damaged] [--warehouse DIR] [--json]

Checks every data file the table's current version references. Files that are
missing from disk are removed from the table in one commit (operation FSCK,
remove actions with dataChange=true), so the rest of the table can be read,
optimized and vacuumed again. Each file is listed with the rows its statistics
recorded: those rows are lost. Files whose size differs from the log are
damaged; they are listed and kept unless --include-damaged is given.
Run with --dry-run first to see what would be removed.

${TABLE_ARG_HELP}

options:
  --dry-run          list what would be removed, change nothing
  --include-damaged  also remove files whose size differs from the log
  --warehouse DIR    folder holding the tables
  --json             print the result as JSON
  -h, --help         show this help

Exits 0 when the table is (or, with --dry-run, would be) left with intact
files only, 1 when damaged files were kept.`;

const rowsText = (n: number | undefined): string => (n === undefined ? 'rows unknown (no statistics)' : `${n} rows`);

export function formatRepair(label: string, res: RepairResult): string {
  const lines: string[] = [];
  const verb = res.dryRun ? 'would remove' : 'removed';
  for (const p of res.removed) {
    const why = p.reason === 'missing' ? 'missing' : `damaged, ${p.actualSize} bytes on disk, ${p.recordedSize} in the log`;
    lines.push(`${verb} ${p.path} (${why}): ${rowsText(p.numRecords)}`);
  }
  for (const p of res.kept) {
    lines.push(`kept ${p.path} (damaged, ${p.actualSize} bytes on disk, ${p.recordedSize} in the log): ${rowsText(p.numRecords)}; --include-damaged removes it`);
  }
  const rows = `${res.rowsRemoved} rows${res.filesWithoutStats > 0 ? ` plus those of ${res.filesWithoutStats} file(s) without statistics` : ''}`;
  if (res.removed.length === 0) {
    lines.push(`${label}: nothing to remove; ${res.filesChecked} files checked at version ${res.version}${res.kept.length > 0 ? `, ${res.kept.length} damaged kept` : ', all intact'}`);
  } else if (res.dryRun) {
    lines.push(`dry run: would remove ${res.removed.length} file(s) holding ${rows} from ${label} at version ${res.version}; nothing was changed`);
  } else {
    lines.push(`removed ${res.removed.length} file(s) holding ${rows} from ${label} in version ${res.version} (FSCK)`);
  }
  return lines.join('\n');
}

export async function runRepair(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { 'dry-run': { type: 'boolean' }, 'include-damaged': { type: 'boolean' }, warehouse: { type: 'string' }, json: { type: 'boolean' } },
    REPAIR_HELP,
  );
  if (values.help) {
    process.stdout.write(`${REPAIR_HELP}\n`);
    return 0;
  }
  const dir = tableDirFromArgs(positionals, values.warehouse, REPAIR_HELP);
  const db = await openDuckDb();
  try {
    const res = await repairTable(dir, {
      db,
      dryRun: values['dry-run'] ?? false,
      includeDamaged: values['include-damaged'] ?? false,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(`${values.json ? JSON.stringify(res) : formatRepair(tableLabel(dir), res)}\n`);
    return res.kept.length > 0 ? 1 : 0;
  } finally {
    db.close();
  }
}
