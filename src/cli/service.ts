// Wires the running service together: DuckDB, staging, the ingest pipeline,
// the HTTP app and server. Tests start it in-process through the same function.
import os from 'node:os';
import path from 'node:path';
import { isRemoteLocation } from '../storage/location.ts';
import { openWarehouse } from '../storage/open.ts';
import { openCaptureSink } from '../capture/sink.ts';
import { INGEST_DUCKDB_CACHE, SHUTDOWN_DEADLINE_MS } from '../config/limits.ts';
import type { ServeConfig } from '../config/serve-config.ts';
import { openDuckDb } from '../duckdb/db.ts';
import { ensureWritableFolder } from '../fs/folder-check.ts';
import { createApp } from '../http/app.ts';
import { listen } from '../http/server.ts';
import { loadTlsMaterial } from '../http/tls.ts';
import { stampOf, startCertificateReloader, type CertificateReloader } from '../http/tls-reload.ts';
import { startAutoOptimize } from '../ingest/auto-optimize.ts';
import { InflightBudget } from '../ingest/budget.ts';
import { Pipeline } from '../ingest/pipeline.ts';
import { RenderPool } from '../ingest/render-pool.ts';
import { QueryEngine } from '../query/engine.ts';
import { openStaging } from '../wal/staging.ts';
import { eventLogFromLines, type EventLog } from '../observe/event-log.ts';
import { ServiceMetrics } from '../observe/metrics.ts';
import { RejectionLog } from '../observe/rejection-log.ts';
import { SIGNALS } from '../ingest/signals.ts';
import type { Signal } from '../otlp/types.ts';
import { parseTableName, type TableName } from '../tables/names.ts';
import { TokenStore } from '../access/token-store.ts';
import { AuthStartRefusal, resolveAuth } from '../access/auth-mode.ts';
import type { Authorizer } from '../access/types.ts';
import { UsageError } from './usage.ts';
import { startAuditLog } from '../access/audit-service.ts';
import { startGrpcListener } from '../grpc/service-listener.ts';
import type { AuditLog } from '../access/audit-log.ts';
import { openPolicyFile, type PolicyWatcher } from '../policy/policy-file.ts';
import { PolicyError } from '../policy/policy-error.ts';
import { createRateGate } from '../policy/rate-gate.ts';
import { createPrivacyRules } from '../policy/privacy-rules.ts';
import type { IngestPolicy } from '../policy/types.ts';
import { mountDashboard } from '../dashboard/mount.ts';

export type Service = {
  url: string;
  warehouse: string;
  staging: string;
  pipeline: Pipeline;
  metrics: ServiceMetrics;
  /** The warehouse's tokens as this server sees them (poll() re-reads the file at once). */
  tokens: TokenStore;
  /** How the start line describes authentication, e.g. `off (no tokens; loopback only)`. */
  authNote: string;
  /** system.access.audit; other parts of the server record their events here. */
  audit: AuditLog;
  /** With serve --tls-cert/--tls-key: reloads the pair (SIGHUP) and counts reloads and handshake failures. */
  tls?: CertificateReloader;
  /** With serve --policy: the policy file in force (reload() re-reads it, as SIGHUP does). */
  policy?: PolicyWatcher;
  /** The OTLP/gRPC listener, unless --no-grpc. */
  grpc?: { host: string; port: number; url: string };
  /** Stops intake, commits everything staged, closes. Safe to call twice. */
  stop(): Promise<boolean>;
};

/**
 * Threads for the ingest DuckDB, the query DuckDB and the render workers
 * each: one core is left to the event loop. A flush query runs on its calling
 * thread plus DuckDB's workers, and on two cores a second worker took the
 * core that acknowledgements need, for the length of every flush. Flushes run
 * one at a time (ingest/lane.ts) and are small (a second of rows), so more
 * threads than this buy little.
 */
export function coresBesideEventLoop(cores = os.availableParallelism()): number {
  return Math.max(1, Math.min(4, cores - 1));
}

/** `c.s.p` names `c.s.p_otel_metrics`, `c.s.p_otel_logs` and `c.s.p_otel_spans`, the documented naming. */
function defaultTables(prefix: string | undefined): ((signal: Signal) => TableName) | undefined {
  if (prefix === undefined) return undefined;
  return (signal) => parseTableName(`${prefix}_otel_${SIGNALS[signal].tableKind}`, '--default-table-prefix');
}

/**
 * `log` takes plain lines (start, stop, recovery); `events`, when given,
 * takes the structured ones (refusals, access lines) with their fields.
 */
export async function startService(
  config: ServeConfig,
  log: (line: string) => void,
  events?: EventLog,
  access: { authorizer?: Authorizer } = {},
): Promise<Service> {
  const remote = isRemoteLocation(config.warehouse);
  const warehouse = remote ? config.warehouse : path.resolve(config.warehouse);
  // Credentials and the store's conditional writes are checked before anything else opens.
  if (remote) await openWarehouse(warehouse).catch((e: unknown) => Promise.reject(new UsageError((e as Error).message)));
  // First of all: a wrong certificate pair is a configuration mistake, found
  // before staged rows are recovered or the port is opened.
  const tlsStamp = config.tls ? await stampOf(config.tls) : '';
  const tlsMaterial = config.tls ? await loadTlsMaterial(config.tls) : undefined;
  // A policy file with an error is a configuration mistake too: nothing runs under half a policy.
  // Metrics do not exist yet: reload outcomes are counted through this indirection.
  let countReload: (outcome: 'ok' | 'failed') => void = () => undefined;
  let policyFile: PolicyWatcher | undefined;
  try {
    policyFile = config.policyFile === undefined
      ? undefined
      : await openPolicyFile({ file: config.policyFile, log, onReload: (o) => countReload(o), ...(config.policyPollMs !== undefined ? { pollMs: config.policyPollMs } : {}) });
  } catch (e) {
    throw e instanceof PolicyError ? new UsageError(e.message) : e;
  }
  // Before anything is staged: a folder that cannot take writes would get
  // rows acknowledged that can never be committed.
  if (!remote) await ensureWritableFolder(warehouse, 'warehouse');
  await ensureWritableFolder(config.staging, 'staging folder');
  // Before anything is opened: an unprotected non-loopback server never starts.
  const tokens = await TokenStore.open(warehouse, { log });
  let auth;
  let grpcAuth: ReturnType<typeof resolveAuth> | undefined;
  try {
    auth = resolveAuth(config.auth ?? 'auto', config.host, tokens);
    // The gRPC listener may face another network than HTTP: it gets its own check.
    if (config.grpc) grpcAuth = resolveAuth(config.auth ?? 'auto', config.grpc.host, tokens);
  } catch (e) {
    policyFile?.stop();
    await tokens.close();
    throw e instanceof AuthStartRefusal ? new UsageError(e.message) : e;
  }
  let staging;
  try {
    staging = await openStaging(config.staging);
  } catch (e) {
    policyFile?.stop();
    await tokens.close();
    throw e;
  }
  // No memory limit: a batch that cannot be loaded would stay staged forever.
  // Flush batches are bounded instead (FLUSH_BYTES_MAX), and so is what DuckDB
  // keeps cached between them. With one thread a flush's rows land in the
  // order they were staged anyway, so DuckDB need not buffer a whole row
  // group to keep that order (50 MB less per Collector metrics flush); with
  // more threads order is kept, so files stay the same from run to run.
  const ingestThreads = coresBesideEventLoop();
  const db = await openDuckDb({ threads: ingestThreads, allocatorCacheLimit: INGEST_DUCKDB_CACHE, preserveInsertionOrder: ingestThreads > 1 });
  // What is opened is closed in reverse order, on a failed start as on stop.
  const closers: (() => unknown)[] = [() => policyFile?.stop(), () => tokens.close(), () => staging.release(), () => db.close()];
  const closeAll = async () => {
    for (const close of closers.reverse().splice(0)) await close();
  };
  try {
    // Recovery happens here, before the port is opened: staged rows go first.
    let pipelineRef: Pipeline | undefined;
    const metrics = new ServiceMetrics(async () => ({
      rows: (await pipelineRef?.pendingRows()) ?? 0,
      bytes: pipelineRef?.budget.usedBytes ?? 0,
    }));
    // Started first so its threads have loaded the code before the first large request.
    const renderPool = RenderPool.start(coresBesideEventLoop(), log);
    closers.push(() => renderPool.close());
    const watched = policyFile;
    countReload = (outcome) => metrics.policyReloads.inc({ outcome });
    const policy: IngestPolicy | undefined = watched && {
      rates: createRateGate({ read: () => watched.current().limits, onRefused: (limit) => metrics.rateLimited.inc({ limit }) }),
      privacy: createPrivacyRules(() => watched.current().privacy),
    };
    const pipeline = await Pipeline.start({ warehouse, db, staging, limits: config.limits, log, metrics, renderPool, policy });
    pipelineRef = pipeline;
    const audit = await startAuditLog(pipeline, warehouse, log);
    const eventLog = events ?? eventLogFromLines(log);
    const rejections = new RejectionLog(eventLog, {
      onSuppressed: () => metrics.logLinesSuppressed.inc(),
      ...(config.rejectionLogBurst !== undefined ? { burst: config.rejectionLogBurst } : {}),
    });
    closers.push(() => rejections.close());
    let drained = false;
    closers.push(async () => {
      drained = await pipeline.close(SHUTDOWN_DEADLINE_MS);
    });
    // Runs before the pipeline closes, so the last audit rows are staged and committed with the rest.
    closers.push(() => audit.close());
    const capture = config.capture === undefined ? undefined : await openCaptureSink(config.capture, log);
    if (capture) closers.push(() => capture.close());
    // Queries get their own DuckDB instance, confined to reading the warehouse.
    // Its threads leave a core to the event loop, as ingest's do: two heavy
    // statements on every core kept /healthz and acknowledgements waiting.
    const sql = await QueryEngine.open({ warehouse, log, threads: coresBesideEventLoop(), audit: { sink: audit, reads: true }, ...(config.sqlTimeoutMs !== undefined ? { timeoutMs: config.sqlTimeoutMs } : {}) });
    closers.push(() => sql.close());
    let accepting = true;
    const inflight = new InflightBudget(config.limits.inflightBytesMax);
    const app = createApp({
      ingestor: pipeline,
      bodyBytesMax: config.limits.bodyBytesMax,
      inflight,
      defaultTable: defaultTables(config.defaultTablePrefix),
      log,
      accepting: () => accepting,
      ...(capture ? { capture } : {}),
      sql,
      rejections,
      metrics,
      ...(config.accessLog ? { accessLog: eventLog } : {}),
      auth: { authenticator: tokens, enforced: auth.enforced },
      // Grants decide what each token may write; the engine watches the same grants file.
      authorizer: access.authorizer ?? sql.grants,
      audit,
      secure: tlsMaterial !== undefined,
      mount: mountDashboard(sql, log),
    });
    const server = await listen(app, config.host, config.port, tlsMaterial?.context);
    closers.push(() => server.close());
    // Same pipeline, budget, admission and outcome reporting as HTTP; stopped (draining its calls) before the pipeline closes.
    const grpc = config.grpc
      ? await startGrpcListener({
          listen: config.grpc,
          bodyBytesMax: config.limits.bodyBytesMax,
          tls: tlsMaterial,
          ingestor: pipeline,
          inflight,
          log,
          auth: { authenticator: tokens, enforced: (grpcAuth ?? auth).enforced },
          authorizer: access.authorizer ?? sql.grants,
          defaultTable: defaultTables(config.defaultTablePrefix),
          accepting: () => accepting,
          sinks: { metrics, rejections, audit, ...(config.accessLog ? { access: eventLog } : {}) },
          capture,
        })
      : undefined;
    if (grpc) closers.push(() => grpc.stop(SHUTDOWN_DEADLINE_MS));
    const tls = config.tls && tlsMaterial && server.tlsServer
      ? startCertificateReloader({ server: server.tlsServer, files: config.tls, initial: tlsMaterial, initialStamp: tlsStamp, log, ...(config.tlsPollMs !== undefined ? { pollMs: config.tlsPollMs } : {}), ...(grpc ? { onReload: (m) => grpc.useCertificate(m) } : {}) })
      : undefined;
    if (tls) closers.push(() => tls.stop());
    metrics.counted('otlp2delta_audit_events_recorded_total', 'Events recorded for system.access.audit', () => audit.stats.recorded);
    metrics.counted('otlp2delta_audit_events_dropped_total', 'Audit events dropped because the audit queue was full (a summary row says how many)', () => audit.stats.droppedEvents);
    if (tls) {
      metrics.counted('otlp2delta_tls_reloads_total', 'Certificate pairs loaded after a change or SIGHUP', () => tls.stats.reloads);
      metrics.counted('otlp2delta_tls_reload_failures_total', 'Certificate reloads refused (the pair did not load or match); the old one is kept', () => tls.stats.reloadFailures);
      metrics.counted('otlp2delta_tls_handshake_failures_total', 'TLS handshakes that failed (plain HTTP, old TLS versions, untrusted certificates, timeouts)', () => tls.stats.handshakeFailures);
    }
    // Runs before the server waits for open requests: cancelling the running
    // statements answers their requests at once (close is safe to call twice).
    closers.push(() => sql.close());
    // Background compaction (--auto-optimize); stopped first on shutdown.
    const autoOptimizer = config.autoOptimize
      ? startAutoOptimize({ db, tables: () => pipeline.registry.openTables(), log })
      : undefined;
    if (autoOptimizer) closers.push(() => autoOptimizer.stop());
    const host = server.host.includes(':') ? `[${server.host}]` : server.host;
    let stopping: Promise<boolean> | undefined;
    const stop = (): Promise<boolean> => {
      stopping ??= (async () => {
        accepting = false;
        await closeAll();
        return drained;
      })();
      return stopping;
    };
    const scheme = server.secure ? 'https' : 'http';
    return { url: `${scheme}://${host}:${server.port}`, warehouse, staging: staging.root, pipeline, metrics, tokens, authNote: auth.note, audit, ...(tls ? { tls } : {}), ...(policyFile ? { policy: policyFile } : {}), ...(grpc ? { grpc: grpc.address } : {}), stop };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
