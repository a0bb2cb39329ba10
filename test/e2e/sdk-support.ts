// Plumbing shared by the OTel SDK end-to-end tests: export capture, table reads and value helpers.
import { rm } from 'node:fs/promises';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import type { TableKind } from '../../src/tables/schema.ts';
import { checkDeltaTable, type Row } from '../support/delta-check.ts';
import type { TestService } from '../support/service.ts';

/** Schema URLs the SDK tests set on resources and scopes, to check both columns carry them. */
export const RESOURCE_SCHEMA = 'https://opentelemetry.io/schemas/1.24.0';
export const SCOPE_SCHEMA = 'https://opentelemetry.io/schemas/1.26.0';

export type { Row } from '../support/delta-check.ts';

/** Request headers exactly as coding agents are configured to send them. */
export function exportHeaders(table: string): Record<string, string> {
  return { Authorization: 'Bearer tok', 'X-Databricks-UC-Table-Name': table };
}

/**
 * The exporters' gzip option. Its declared type is an enum from a package the
 * project does not depend on directly, so the plain string is cast to it.
 */
export const GZIP = 'gzip' as unknown as NonNullable<NonNullable<ConstructorParameters<typeof OTLPMetricExporter>[0]>['compression']>;

/** ExportResultCode.SUCCESS; the enum lives in @opentelemetry/core, which we do not import. */
const SUCCESS = 0;

type ExportResultLike = { code: number; error?: Error };

/** Anything with an OTLP exporter's export(batch, callback) shape. */
type Exporting<T> = { export(items: T, done: (result: ExportResultLike) => void): void };

/** What an exporter was handed and what it reported back, call by call. */
export type ExportLog<T> = { batches: T[]; results: ExportResultLike[] };

/**
 * Records every export call of `exporter`. The instance's own method is
 * replaced rather than the exporter wrapped, so everything else it offers
 * (the metric exporters' temporality and aggregation selectors, which the
 * reader consults) keeps working unchanged.
 */
export function recordExports<T>(exporter: Exporting<T>): ExportLog<T> {
  const log: ExportLog<T> = { batches: [], results: [] };
  const original = exporter.export.bind(exporter);
  exporter.export = (items, done) => {
    log.batches.push(items);
    original(items, (result) => {
      log.results.push(result);
      done(result);
    });
  };
  return log;
}

/** What driving the SDK left behind besides the exports themselves. */
export type SdkRun = { diagMessages: string[]; error: unknown };

/**
 * Runs the SDK steps (emit, flush, shut down) with the SDK's own warnings and
 * errors collected. A partial-success reply only shows up there, as the
 * exporter still reports SUCCESS for it. A rejected flush is kept rather than
 * thrown, so the report can show it next to the service's log.
 */
export async function driveSdk(steps: () => Promise<void>): Promise<SdkRun> {
  const run: SdkRun = { diagMessages: [], error: undefined };
  const keep = (...args: unknown[]) => run.diagMessages.push(args.map(String).join(' '));
  const ignore = () => {};
  diag.setLogger({ error: keep, warn: keep, info: ignore, debug: ignore, verbose: ignore }, DiagLogLevel.WARN);
  try {
    await steps();
  } catch (e) {
    run.error = e;
  } finally {
    diag.disable();
  }
  return run;
}

/**
 * Throws, with the service's log attached, unless the SDK steps did not fail,
 * there was at least one export, every one finished with SUCCESS and no
 * partial success was reported.
 */
export function expectExportsSucceeded(log: ExportLog<unknown>, svc: TestService, run: SdkRun): void {
  const problems: string[] = [];
  if (run.error !== undefined) problems.push(`the SDK failed: ${run.error instanceof Error ? run.error.message : String(run.error)}`);
  if (log.batches.length === 0) problems.push('the SDK exported nothing');
  if (log.results.length !== log.batches.length) {
    problems.push(`${log.batches.length} export(s) started but ${log.results.length} finished`);
  }
  log.results.forEach((r, i) => {
    if (r.code !== SUCCESS) problems.push(`export #${i} failed (code ${r.code}): ${r.error?.message ?? 'no error given'}`);
  });
  for (const m of run.diagMessages) if (/partial success/i.test(m)) problems.push(`server reported ${m}`);
  if (problems.length > 0) {
    throw new Error(`OTLP export did not fully succeed:\n- ${problems.join('\n- ')}\nservice log:\n${svc.logs.join('\n')}`);
  }
}

/**
 * Stops the service (which commits everything it accepted), proves the table
 * is valid with the independent Delta checker and returns its rows; the
 * warehouse is removed afterwards either way.
 */
export async function stopAndReadRows(svc: TestService, table: string, kind: TableKind): Promise<Row[]> {
  await svc.stop({ keep: true });
  try {
    const check = await checkDeltaTable(svc.tableDir(table), kind);
    return check.rows;
  } finally {
    await rm(svc.warehouse, { recursive: true, force: true });
  }
}

/** An SDK HrTime [seconds, nanoseconds] as exact epoch nanoseconds. */
export function hrNanos(t: readonly [number, number]): bigint {
  return BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
}

/** A MAP<STRING,STRING> value as the checker returns it. */
export function strMap(entries: Record<string, string | null>): Map<string, string | null> {
  return new Map(Object.entries(entries));
}

/** A struct column of a row that must be filled. */
export function struct(row: Row, column: string): Row {
  const v = row[column];
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Map) {
    throw new Error(`column ${column} is not a filled struct: ${String(v)}`);
  }
  return v as Row;
}

/** The only row matching `pred`; throws when there are none or several. */
export function onlyRow(rows: readonly Row[], pred: (row: Row) => boolean, what: string): Row {
  const hits = rows.filter(pred);
  if (hits.length !== 1) throw new Error(`expected exactly one row for ${what}, found ${hits.length}`);
  return hits[0]!;
}
