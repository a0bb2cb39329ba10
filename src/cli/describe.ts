// `otlp2delta describe`: the table's current version, files, rows, bytes and
// properties, like DESCRIBE DETAIL.
import { describeTable, type TableDetail } from '../maintenance/describe.ts';
import { healthSummary, repairAdvice } from '../maintenance/fsck.ts';
import { formatBytes, isoTime, keyValueLines, TABLE_ARG_HELP, tableDirFromArgs } from './table-arg.ts';
import { parseCommandArgs } from './usage.ts';

export const DESCRIBE_HELP = `usage: otlp2delta describe <table> [--warehouse DIR] [--json]

Shows the table's current version, number of files, rows and bytes, its
properties, protocol and last checkpoint, and checks that every data file the
version references is on disk with the size the log recorded (see 'repair').

${TABLE_ARG_HELP}

options:
  --warehouse DIR  folder holding the tables
  --json           print the detail as JSON
  -h, --help       show this help`;

export function formatDetail(d: TableDetail): string {
  const cp = d.lastCheckpoint;
  const rows: Array<[string, string]> = [
    ['location', d.location],
    ['name', d.name ?? '-'],
    ['kind', d.kind ?? 'not an otel layout'],
    ['id', d.id],
    ['version', String(d.version)],
    ['created', isoTime(d.createdTime)],
    ['last modified', isoTime(d.lastModified)],
    ['files', String(d.numFiles)],
    ['rows', String(d.numRows)],
    ['size', `${formatBytes(d.sizeInBytes)} (${d.sizeInBytes} bytes)`],
    ['small files', `${d.smallFiles} (below the compaction target)`],
    ['tombstones', String(d.tombstones)],
    ['protocol', `reader ${d.minReaderVersion}, writer ${d.minWriterVersion}`],
    ['partitioned by', d.partitionColumns.length === 0 ? '-' : d.partitionColumns.join(', ')],
    ['checkpoint', cp ? `version ${cp.version} (${cp.size} actions), every ${d.checkpointInterval} commits` : `none yet, every ${d.checkpointInterval} commits`],
    ['oldest commit', d.oldestCommit === 0 ? 'version 0 (the whole log is kept)' : `version ${d.oldestCommit} (older ones expired behind a checkpoint)`],
  ];
  rows.push(['health', healthSummary(d.health)]);
  const problems = [
    ...d.health.missing.map((p) => `missing: ${p.path}`),
    ...d.health.sizeMismatch.map((p) => `size mismatch: ${p.path} (${p.actualSize} bytes on disk, ${p.recordedSize} in the log)`),
  ];
  for (const p of problems) rows.push(['', p]);
  if (problems.length > 0) rows.push(['', repairAdvice(d.location, d.health)]);
  const props = Object.entries(d.properties).sort(([a], [b]) => (a < b ? -1 : 1));
  if (props.length === 0) rows.push(['properties', '-']);
  props.forEach(([k, v], i) => rows.push([i === 0 ? 'properties' : '', `${k}=${v}`]));
  return keyValueLines(rows);
}

export async function runDescribe(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { warehouse: { type: 'string' }, json: { type: 'boolean' } }, DESCRIBE_HELP);
  if (values.help) {
    process.stdout.write(`${DESCRIBE_HELP}\n`);
    return 0;
  }
  const detail = await describeTable(tableDirFromArgs(positionals, values.warehouse, DESCRIBE_HELP));
  process.stdout.write(`${values.json ? JSON.stringify(detail) : formatDetail(detail)}\n`);
  return 0;
}
