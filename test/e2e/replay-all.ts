// Replays every recorded capture against one real service and collects, per table and per run, the rows that landed.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { parseTableName } from '../../src/tables/names.ts';
import { checkDeltaTable, type DeltaTableCheck, type Row } from '../support/delta-check.ts';
import { loadCaptures, replayCapture, type Capture } from '../support/fixtures.ts';
import { startTestService } from '../support/service.ts';

export const TABLE_HEADER = 'x-databricks-uc-table-name';
/** The Gemini trace export carries no table header; the replay adds this one. */
export const GEMINI_SPANS_TABLE = 'main.agent_telemetry.gemini_otel_spans';

export type TableKind = 'metrics' | 'logs' | 'spans';
export type Target = { table: string; kind: TableKind; overrides: Record<string, string> };

export type Outcome = {
  capture: Capture;
  target: Target;
  status: number;
  contentType: string | null;
  body: Uint8Array;
};

export type TableOutcome = {
  name: string;
  kind: TableKind;
  check: DeltaTableCheck;
  /** Rows per run (`client/run`), told apart by the commits each run's flush made. */
  rowsByRun: Map<string, Row[]>;
};

export type ReplayResult = {
  outcomes: Outcome[];
  tables: Map<string, TableOutcome>;
  runs: string[];
  /** What the service logged, for failure messages. */
  logs: string[];
};

export const runKey = (c: Pick<Capture, 'client' | 'run'>): string => `${c.client}/${c.run}`;

export function targetOf(c: Capture): Target {
  const kind: TableKind = c.signal === 'traces' ? 'spans' : c.signal;
  const sent = c.headers[TABLE_HEADER];
  if (sent !== undefined) return { table: sent, kind, overrides: {} };
  if (c.signal !== 'traces') throw new Error(`capture ${c.id} has no table header`);
  return { table: GEMINI_SPANS_TABLE, kind, overrides: { [TABLE_HEADER]: GEMINI_SPANS_TABLE } };
}

/** Highest committed version in a table's _delta_log. */
function latestVersion(tableDir: string): number {
  const versions = readdirSync(path.join(tableDir, '_delta_log'))
    .map((f) => /^(\d{20})\.json$/.exec(f)?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number);
  return Math.max(-1, ...versions);
}

/**
 * Starts one service, creates every table the captures name, replays the
 * captures run by run (flushing the run's tables after each run, so each run's
 * rows sit in their own commits), stops the service and checks every table.
 */
export async function replayAllCaptures(captures: Capture[] = loadCaptures()): Promise<ReplayResult> {
  const svc = await startTestService();
  const outcomes: Outcome[] = [];
  const tables = new Map<string, TableOutcome>();
  // Per table, the runs in replay order with the version their flush reached.
  const boundaries = new Map<string, { run: string; version: number }[]>();
  const runs: string[] = [];
  try {
    const kinds = new Map<string, TableKind>();
    for (const c of captures) {
      const t = targetOf(c);
      const known = kinds.get(t.table);
      if (known !== undefined && known !== t.kind) throw new Error(`captures send both ${known} and ${t.kind} to ${t.table}`);
      kinds.set(t.table, t.kind);
    }
    for (const [name, kind] of kinds) await svc.createTable(name, kind);

    for (const c of captures) if (!runs.includes(runKey(c))) runs.push(runKey(c));
    for (const run of runs) {
      const touched = new Set<string>();
      for (const c of captures.filter((x) => runKey(x) === run)) {
        const target = targetOf(c);
        const res = await replayCapture(svc.url, c, target.overrides);
        const body = new Uint8Array(await res.arrayBuffer());
        outcomes.push({ capture: c, target, status: res.status, contentType: res.headers.get('content-type'), body });
        touched.add(target.table);
      }
      // flushTable can return with the newest rows still staged when an
      // interval flush was already in flight, so repeat until nothing is staged.
      const pipeline = svc.service.pipeline;
      for (let round = 0; round === 0 || (await pipeline.pendingRows()) > 0; round++) {
        if (round === 50) throw new Error(`rows of ${run} are still staged after 50 flushes: ${svc.logs.join('; ')}`);
        for (const table of touched) await pipeline.flushTable(parseTableName(table));
      }
      for (const table of touched) {
        const list = boundaries.get(table) ?? [];
        list.push({ run, version: latestVersion(svc.tableDir(table)) });
        boundaries.set(table, list);
      }
    }
    await svc.stop({ keep: true });

    for (const [name, kind] of kinds) {
      const check = await checkDeltaTable(svc.tableDir(name), kind);
      const rowsByRun = new Map<string, Row[]>();
      let offset = 0;
      for (const f of check.files) {
        const owner = (boundaries.get(name) ?? []).find((b) => f.version <= b.version);
        const slice = check.rows.slice(offset, offset + f.numRecords);
        offset += f.numRecords;
        const key = owner?.run ?? '(after the last run)';
        rowsByRun.set(key, [...(rowsByRun.get(key) ?? []), ...slice]);
      }
      tables.set(name, { name, kind, check, rowsByRun });
    }
  } finally {
    await svc.stop();
  }
  return { outcomes, tables, runs, logs: svc.logs };
}

/** The rows one run landed, grouped by table, for its golden file. */
export function rowsOfRun(result: ReplayResult, run: string): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const t of result.tables.values()) {
    const rows = t.rowsByRun.get(run);
    if (rows && rows.length > 0) out.set(t.name, rows);
  }
  return out;
}
