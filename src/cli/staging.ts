// `otlp2delta staging`: the segments a server quarantined because they kept
// failing to commit, and moving one back to be committed on the next start.
import path from 'node:path';
import { loadSnapshot } from '../delta/snapshot.ts';
import { tableDir } from '../ingest/registry.ts';
import { parseTableName } from '../tables/names.ts';
import { listQuarantined, moveBack, type QuarantinedSegment } from '../wal/quarantine.ts';
import { scanSegment } from '../wal/segment.ts';
import { openStaging } from '../wal/staging.ts';
import { DEFAULT_WAREHOUSE } from '../config/limits.ts';
import { checkFolderOption, formatBytes, tableLines, warehouseFromArgs } from './table-arg.ts';
import { parseCommandArgs, UsageError } from './usage.ts';

export const STAGING_HELP = `usage: otlp2delta staging list [--warehouse DIR] [--staging DIR] [--json]
       otlp2delta staging retry <table>/<segment> [--warehouse DIR] [--staging DIR]

A staged segment that still fails to commit after repeated attempts is moved to
<staging>/quarantine/<table>/ so the table's later segments go on committing.

  list    shows each quarantined segment: table, segment, size, intact records
          and rows, damaged stretches, the last error, and when it was moved
  retry   moves one back into the table's staging folder (with a new number),
          to be committed when the server next starts. The server must be
          stopped: retry takes the staging folder's lock and refuses while a
          server holds it.

options:
  --warehouse DIR  folder holding the tables (env OTLP2DELTA_WAREHOUSE, default ${DEFAULT_WAREHOUSE}
                   of the working directory)
  --staging DIR    the server's staging folder (env OTLP2DELTA_STAGING,
                   default <warehouse>/.otlp2delta/staging)
  --json           list: print one JSON object per segment
  -h, --help       show this help`;

type Row = QuarantinedSegment & { records: number; rows: number; damagedRegions: number; damagedBytes: number; tornTailBytes: number };

async function describe(seg: QuarantinedSegment): Promise<Row> {
  const scan = await scanSegment(seg.path);
  return {
    ...seg,
    records: scan.records.length,
    rows: scan.rows,
    damagedRegions: scan.damage.length,
    damagedBytes: scan.damage.reduce((n, d) => n + d.bytes, 0),
    tornTailBytes: scan.tornTail?.bytes ?? 0,
  };
}

function formatList(rows: Row[]): string {
  if (rows.length === 0) return 'no quarantined segments';
  return tableLines(
    ['TABLE', 'SEGMENT', 'SIZE', 'RECORDS', 'ROWS', 'DAMAGED', 'QUARANTINED', 'REASON'],
    rows.map((r) => [
      r.table,
      r.seq.toString(),
      formatBytes(r.bytes),
      String(r.records),
      String(r.rows),
      r.damagedRegions + (r.tornTailBytes ? 1 : 0) === 0 ? '0' : `${r.damagedRegions + (r.tornTailBytes ? 1 : 0)} (${r.damagedBytes + r.tornTailBytes} B)`,
      r.note?.quarantinedAt ?? '-',
      (r.note?.reason ?? 'no note').replace(/\s+/g, ' ').slice(0, 200),
    ]),
    [false, true, true, true, true, true, false, false],
  );
}

function parseTarget(raw: string | undefined): { table: string; seq: bigint } {
  const m = raw === undefined ? null : /^([a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+)\/0*(\d+)(?:\.wal)?$/.exec(raw);
  if (!m) throw new UsageError(`retry takes one segment as <table>/<segment>, as 'staging list' shows it (e.g. main.otel.logs/7), got ${JSON.stringify(raw ?? '')}`, STAGING_HELP);
  return { table: m[1]!, seq: BigInt(m[2]!) };
}

export async function runStaging(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { warehouse: { type: 'string' }, staging: { type: 'string' }, json: { type: 'boolean' } },
    STAGING_HELP,
  );
  if (values.help) {
    process.stdout.write(`${STAGING_HELP}\n`);
    return 0;
  }
  const warehouse = warehouseFromArgs(values.warehouse);
  const stagingFlag = values.staging ?? process.env.OTLP2DELTA_STAGING;
  if (stagingFlag !== undefined) checkFolderOption(values.staging !== undefined ? '--staging' : 'OTLP2DELTA_STAGING', stagingFlag);
  const root = path.resolve(stagingFlag ?? path.join(warehouse, '.otlp2delta', 'staging'));
  const [sub, ...rest] = positionals;
  if (sub === 'list') {
    if (rest.length > 0) throw new UsageError(`list takes no arguments, got ${JSON.stringify(rest.join(' '))}`, STAGING_HELP);
    const rows = await Promise.all((await listQuarantined(root)).map(describe));
    if (values.json) {
      for (const r of rows) {
        const { note, seq, ...plain } = r;
        process.stdout.write(`${JSON.stringify({ ...plain, seq: seq.toString(), reason: note?.reason ?? null, quarantinedAt: note?.quarantinedAt ?? null, attempts: note?.attempts ?? null })}\n`);
      }
    } else process.stdout.write(`${formatList(rows)}\n`);
    return 0;
  }
  if (sub === 'retry') {
    if (rest.length !== 1) throw new UsageError('retry takes exactly one segment as <table>/<segment>', STAGING_HELP);
    const target = parseTarget(rest[0]);
    const seg = (await listQuarantined(root, target.table)).find((s) => s.seq === target.seq);
    if (!seg) {
      process.stderr.write(`otlp2delta staging: no quarantined segment ${target.table}/${target.seq} in ${root}; 'otlp2delta staging list' shows them\n`);
      return 1;
    }
    let staging;
    try {
      staging = await openStaging(root);
    } catch (e) {
      process.stderr.write(`otlp2delta staging: cannot retry while a server uses the staging folder: ${(e as Error).message}. Stop that server, run retry, then start it again.\n`);
      return 1;
    }
    try {
      const dir = seg.note?.tableDir ?? tableDir(warehouse, parseTableName(seg.table, 'table'));
      const snap = await loadSnapshot(dir);
      const committed = BigInt(snap?.txns.get(staging.appId) ?? -1);
      const dest = await moveBack(root, staging.tableDir(seg.table), seg, committed);
      process.stdout.write(`moved ${seg.table}/${seg.seq} back to ${dest}; the server commits it when it next starts\n`);
    } finally {
      await staging.release();
    }
    return 0;
  }
  throw new UsageError(sub === undefined ? 'missing subcommand: list or retry' : `unknown subcommand '${sub}': list or retry`, STAGING_HELP);
}
