// `otlp2delta optimize`: compacts a table's small files into time-ordered
// files of about the target size, safely while ingestion runs.
import { openDuckDb } from '../duckdb/db.ts';
import { DEFAULT_TARGET_FILE_BYTES, optimizeTable } from '../maintenance/optimize.ts';
import { formatBytes, numberOption, TABLE_ARG_HELP, tableDirFromArgs } from './table-arg.ts';
import { parseCommandArgs, UsageError } from './usage.ts';

const MiB = 1024 * 1024;

export const OPTIMIZE_HELP = `usage: otlp2delta optimize <table> [--target-file-mb N] [--warehouse DIR] [--json]

Rewrites the table's files smaller than the target into files of about the
target size, rows ordered by event time, and commits each swap as a
dataChange=false rewrite. Ingestion may keep writing meanwhile: new commits
never conflict with it; if another commit removes files it is rewriting, it
drops that rewrite and plans again. Old files stay until 'vacuum' removes them.

${TABLE_ARG_HELP}

options:
  --target-file-mb N   size to aim for per output file (default ${DEFAULT_TARGET_FILE_BYTES / MiB})
  --warehouse DIR      folder holding the tables
  --json               print the result as JSON
  -h, --help           show this help`;

export async function runOptimize(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { 'target-file-mb': { type: 'string' }, warehouse: { type: 'string' }, json: { type: 'boolean' } },
    OPTIMIZE_HELP,
  );
  if (values.help) {
    process.stdout.write(`${OPTIMIZE_HELP}\n`);
    return 0;
  }
  const dir = tableDirFromArgs(positionals, values.warehouse, OPTIMIZE_HELP);
  const mb = numberOption('target-file-mb', values['target-file-mb'], OPTIMIZE_HELP);
  if (mb !== undefined && mb * MiB < 1024) throw new UsageError('--target-file-mb must be at least 0.001 (1 KiB)', OPTIMIZE_HELP);
  const db = await openDuckDb();
  try {
    const res = await optimizeTable(dir, {
      db,
      targetBytes: mb === undefined ? DEFAULT_TARGET_FILE_BYTES : Math.round(mb * MiB),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(res)}\n`);
    } else if (res.groups === 0) {
      process.stdout.write(`nothing to compact in ${dir}${res.stopped ? ` (${res.stopped})` : ''}\n`);
    } else {
      process.stdout.write(
        `compacted ${res.filesRemoved} files (${formatBytes(res.bytesRemoved)}) into ${res.filesAdded} ` +
          `(${formatBytes(res.bytesAdded)}), ${res.rows} rows, up to version ${res.version}` +
          `${res.conflicts > 0 ? `; ${res.conflicts} conflict(s) re-planned` : ''}${res.stopped ? `; ${res.stopped}` : ''}\n`,
      );
    }
    return res.stopped ? 1 : 0;
  } finally {
    db.close();
  }
}
