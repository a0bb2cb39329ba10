// Prometheus metrics of one service instance, on a registry of its own (not
// prom-client's global one), so services started side by side in one process
// each count only their own traffic.
//
// Label values come from closed sets (route, status, reason, signal) or from
// tables that exist in the warehouse: a request naming a table that does not
// exist is counted by reason only, so a client cannot grow the label space.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { renderHeldBytes } from '../tables/render/job.ts';
import { stagingCorruption, type CorruptionCounts } from '../wal/corruption.ts';

/** Seconds buckets for commits and for ack-to-visible lag: a flush interval is 1 s by default. */
const COMMIT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const LAG_BUCKETS = [0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60, 300];
const SQL_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60];
const REQUEST_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type StagingBacklog = { rows: number; bytes: number };

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly requests = this.counter('otlp2delta_http_requests_total', 'HTTP requests answered, by route, status code and refusal reason ("" when accepted)', ['route', 'status', 'reason']);
  readonly requestSeconds = this.histogram('otlp2delta_http_request_duration_seconds', 'Time from a request arriving to its answer, by route', REQUEST_BUCKETS, ['route']);
  readonly recordsAccepted = this.counter('otlp2delta_records_accepted_total', 'Data points, log records and spans staged (acknowledged), by table and signal', ['table', 'signal']);
  readonly recordsRejected = this.counter('otlp2delta_records_rejected_total', 'Records refused inside an accepted request (OTLP partial success), by table and signal', ['table', 'signal']);
  readonly receivedBytes = this.counter('otlp2delta_received_bytes_total', 'Request body bytes as received (before decompression) on export routes, by signal', ['signal']);
  readonly stagedBytes = this.counter('otlp2delta_staged_bytes_total', 'Row bytes written to the staging log, by table', ['table']);
  readonly commitSeconds = this.histogram('otlp2delta_commit_duration_seconds', 'Time to write one staged segment as Parquet and commit it to the Delta log, by table', COMMIT_BUCKETS, ['table']);
  readonly commitFailures = this.counter('otlp2delta_commit_failures_total', 'Commit attempts that failed and will be retried, by table', ['table']);
  readonly committedRows = this.counter('otlp2delta_committed_rows_total', 'Rows made visible in Delta tables, by table', ['table']);
  readonly ackToVisible = this.histogram('otlp2delta_ack_to_visible_seconds', 'Time from the oldest acknowledgement of a segment to its rows being visible in the table, by table', LAG_BUCKETS, ['table']);
  readonly sqlStatements = this.counter('otlp2delta_sql_statements_total', 'SQL statements run through POST /api/2.0/sql/statements, by outcome', ['outcome']);
  readonly sqlSeconds = this.histogram('otlp2delta_sql_duration_seconds', 'Time to run one SQL statement and read its answer', SQL_BUCKETS, []);
  readonly authRefusals = this.counter('otlp2delta_auth_refusals_total', 'Requests refused by authentication or authorization, by reason (missing, invalid, expired, revoked, forbidden)', ['reason']);
  readonly rateLimited = this.counter('otlp2delta_rate_limited_total', 'Requests refused by a rate limit of the policy file, by limit (its setting, e.g. limits.groups.eng.records_per_minute)', ['limit']);
  readonly policyReloads = this.counter('otlp2delta_policy_reloads_total', 'Policy file reloads after a change or SIGHUP, by outcome (ok; failed: the policy in force stays)', ['outcome']);
  readonly logLinesSuppressed = this.counter('otlp2delta_log_rejections_suppressed_total', 'Rejection log lines left out by the per-reason-and-table rate limit (the refusals are still counted in otlp2delta_http_requests_total)');

  readonly privacyChanges = this.counter('otlp2delta_privacy_changes_total', 'Values the privacy rules changed before staging, by action (dropped, pseudonymized, masked, disallowed)', ['action']);

  countPrivacyChanges(changes: Readonly<Record<'dropped' | 'pseudonymized' | 'masked' | 'disallowed', number>>): void {
    for (const [action, n] of Object.entries(changes)) if (n > 0) this.privacyChanges.inc({ action }, n);
  }

  private counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram<L extends string>(name: string, help: string, buckets: number[], labelNames: readonly L[] = []): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }

  /** A counter kept elsewhere as a plain number, read at each scrape. */
  counted(name: string, help: string, read: () => number): void {
    new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  }

  constructor(backlog: () => Promise<StagingBacklog>) {
    const registry = this.registry;
    new Gauge({
      name: 'otlp2delta_staging_backlog_rows',
      help: 'Rows acknowledged and staged but not yet committed',
      registers: [registry],
      async collect() {
        this.set((await backlog()).rows);
      },
    });
    new Gauge({
      name: 'otlp2delta_staging_backlog_bytes',
      help: 'Staged bytes not yet committed (what --max-staging-bytes bounds)',
      registers: [registry],
      async collect() {
        this.set((await backlog()).bytes);
      },
    });
    new Gauge({
      name: 'otlp2delta_render_held_bytes',
      help: 'Row bytes held by requests rendering in slices (bounded by RENDER_HELD_BYTES_MAX; past it requests get 429)',
      registers: [registry],
      collect() {
        this.set(renderHeldBytes());
      },
    });
    registerStagingDamage(registry);
    collectDefaultMetrics({ register: registry, prefix: 'otlp2delta_' });
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** Staging damage as the reader found it: counted where it happens (wal/corruption.ts), read at scrape. */
const DAMAGE_COUNTERS: [keyof CorruptionCounts, string, string][] = [
  ['damagedRegions', 'otlp2delta_staging_damaged_regions_total', 'Stretches of damaged staging bytes skipped; the intact records around them were committed'],
  ['damagedBytes', 'otlp2delta_staging_damaged_bytes_total', 'Damaged staging bytes skipped'],
  ['damagedRowsKnown', 'otlp2delta_staging_damaged_rows_total', 'Acknowledged rows lost to damaged staging records (where the record header survived to say how many)'],
  ['tornTails', 'otlp2delta_staging_torn_tails_total', 'Incomplete last staging records cut at recovery (never acknowledged)'],
  ['quarantinedSegments', 'otlp2delta_staging_quarantined_segments_total', 'Staging segments moved to quarantine after repeated failed commits (see otlp2delta staging list)'],
  ['quarantinedRows', 'otlp2delta_staging_quarantined_rows_total', 'Rows in quarantined staging segments'],
];

function registerStagingDamage(registry: Registry): void {
  for (const [key, name, help] of DAMAGE_COUNTERS) {
    new Counter({
      name,
      help: `${help}, by table`,
      labelNames: ['table'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [table, counts] of Object.entries(stagingCorruption.snapshot().tables)) this.inc({ table }, counts[key]);
      },
    });
  }
}
