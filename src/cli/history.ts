// `otlp2delta history`: the table's recent commits with operation, time and
// rows added, like DESCRIBE HISTORY.
import { stringifyJson, type JsonValue } from '../delta/json.ts';
import { tableHistory, type HistoryEntry } from '../maintenance/describe.ts';
import { formatBytes, isoTime, numberOption, TABLE_ARG_HELP, tableDirFromArgs, tableLines } from './table-arg.ts';
import { parseCommandArgs } from './usage.ts';

const DEFAULT_LIMIT = 20;

export const HISTORY_HELP = `usage: otlp2delta history <table> [--limit N] [--warehouse DIR] [--json]

Lists the newest commits still in the log, newest first: version, time,
operation, rows added, files added and removed, bytes added.

${TABLE_ARG_HELP}

options:
  --limit N        commits to show (default ${DEFAULT_LIMIT}; 0 shows all)
  --warehouse DIR  folder holding the tables
  --json           print one JSON object per commit
  -h, --help       show this help`;

export function formatHistory(entries: HistoryEntry[]): string {
  const rows = entries.map((e) => [
    String(e.version),
    isoTime(e.timestamp),
    e.operation ?? '-',
    String(e.rowsAdded),
    String(e.filesAdded),
    String(e.filesRemoved),
    formatBytes(e.bytesAdded),
  ]);
  return tableLines(
    ['version', 'timestamp', 'operation', 'rows added', 'files added', 'files removed', 'bytes added'],
    rows,
    [true, false, false, true, true, true, true],
  );
}

export async function runHistory(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { limit: { type: 'string' }, warehouse: { type: 'string' }, json: { type: 'boolean' } },
    HISTORY_HELP,
  );
  if (values.help) {
    process.stdout.write(`${HISTORY_HELP}\n`);
    return 0;
  }
  const dir = tableDirFromArgs(positionals, values.warehouse, HISTORY_HELP);
  const limit = numberOption('limit', values.limit, HISTORY_HELP, { integer: true }) ?? DEFAULT_LIMIT;
  const entries = await tableHistory(dir, { limit });
  const text = values.json ? entries.map((e) => stringifyJson(e as unknown as JsonValue)).join('\n') : formatHistory(entries);
  process.stdout.write(`${text}\n`);
  return 0;
}
