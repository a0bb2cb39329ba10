// `otlp2delta vacuum`: deletes data files the table no longer references once
// they are older than the retention window, and expires old log entries.
import { vacuumTable } from '../maintenance/vacuum.ts';
import { formatBytes, numberOption, TABLE_ARG_HELP, tableDirFromArgs } from './table-arg.ts';
import { parseCommandArgs, UsageError } from './usage.ts';

export const VACUUM_HELP = `usage: otlp2delta vacuum <table> [--retain-hours N] [--dry-run] [--force] [--warehouse DIR] [--json]

Deletes files in the table directory that the current version does not
reference (replaced by optimize, or left by flushes that never committed) and
that are older than the retention window. Files removed less than the window
ago stay, so readers of recent versions keep working. Files referenced by the
table are never deleted. Then deletes log entries older than
delta.logRetentionDuration (default 30 days), only behind a checkpoint.

${TABLE_ARG_HELP}

options:
  --retain-hours N   retention window (default: the table's delta.deletedFileRetentionDuration,
                     168 hours unless set); below the table's window needs --force, and nothing
                     younger than 1 hour is ever deleted
  --dry-run          list what would be deleted, delete nothing
  --force            allow a window shorter than the table's
  --warehouse DIR    folder holding the tables
  --json             print the result as JSON
  -h, --help         show this help`;

export async function runVacuum(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      'retain-hours': { type: 'string' },
      'dry-run': { type: 'boolean' },
      force: { type: 'boolean' },
      warehouse: { type: 'string' },
      json: { type: 'boolean' },
    },
    VACUUM_HELP,
  );
  if (values.help) {
    process.stdout.write(`${VACUUM_HELP}\n`);
    return 0;
  }
  const dir = tableDirFromArgs(positionals, values.warehouse, VACUUM_HELP);
  const hours = numberOption('retain-hours', values['retain-hours'], VACUUM_HELP);
  let res;
  try {
    res = await vacuumTable(dir, {
      ...(hours === undefined ? {} : { retentionMs: hours * 3_600_000 }),
      force: values.force ?? false,
      dryRun: values['dry-run'] ?? false,
    });
  } catch (e) {
    // Safety refusals are about the options given, so they read as usage errors.
    if (/retention/.test((e as Error).message)) throw new UsageError((e as Error).message, VACUUM_HELP);
    throw e;
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(res)}\n`);
    return 0;
  }
  const verb = res.dryRun ? 'would delete' : 'deleted';
  for (const f of res.files) process.stdout.write(`${verb} ${f}\n`);
  for (const f of res.logFiles) process.stdout.write(`${verb} _delta_log/${f}\n`);
  process.stdout.write(
    `${res.dryRun ? 'dry run: ' : ''}${verb} ${res.files.length} data files (${formatBytes(res.bytes)}) and ` +
      `${res.logFiles.length} log files; retention ${res.retentionMs / 3_600_000} hours, table version ${res.version}\n`,
  );
  return 0;
}
