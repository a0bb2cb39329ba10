// Serve configuration from flags and environment, validated once at start-up
// with messages that name the setting, the rule and the value.
import path from 'node:path';
import { isRemoteLocation } from '../storage/location.ts';
import { LOG_FORMATS, type LogFormat } from '../observe/logger.ts';
import { AUTH_MODES, type AuthMode } from '../http/auth.ts';
import { parseTableName } from '../tables/names.ts';
import { checkLimits, DEFAULT_GRPC_PORT, DEFAULT_HOST, DEFAULT_LIMITS, DEFAULT_PORT, DEFAULT_WAREHOUSE, type Limits } from './limits.ts';

export type ServeConfig = {
  host: string;
  port: number;
  warehouse: string;
  /** Write-ahead staging folder; one per server process. */
  staging: string;
  /** catalog.schema.prefix: requests without the table header go to <prefix>_otel_<kind>. */
  defaultTablePrefix: string | undefined;
  limits: Limits;
  /** Folder that every accepted request is recorded to (--capture), if any. */
  capture?: string | undefined;
  /** Compact the small files of the tables being written, in the background (--auto-optimize). */
  autoOptimize?: boolean;
  /** Statement timeout of the SQL endpoint (--sql-timeout-ms); the engine's default when absent. */
  sqlTimeoutMs?: number | undefined;
  /** --log-format: text lines for people, JSON lines for log shippers. */
  logFormat?: LogFormat;
  /** --access-log: one line per request, not only refusals. */
  accessLog?: boolean;
  /** --auth: auto (on once the warehouse has a token), required or off. */
  auth?: AuthMode;
  /** serve --tls-cert/--tls-key: the server speaks HTTPS (TLS 1.2 or later) with this pair. */
  tls?: { certFile: string; keyFile: string } | undefined;
  /** How often the TLS files are checked for a replacement; TLS_RELOAD_POLL_MS unless set (tests). */
  tlsPollMs?: number;
  /** serve --policy: rate limits and privacy rules, reloaded on change or SIGHUP. */
  policyFile?: string | undefined;
  /** How often the policy file is checked for a change; POLICY_RELOAD_POLL_MS unless set (tests). */
  policyPollMs?: number;
  /** Rejection lines per reason and table a window; REJECTION_LOG_BURST unless set (tests). */
  rejectionLogBurst?: number;
  /** The OTLP/gRPC listener (--grpc-host/--grpc-port); undefined with --no-grpc. */
  grpc?: { host: string; port: number } | undefined;
};

export type ServeInputs = {
  host?: string | undefined;
  port?: string | undefined;
  warehouse?: string | undefined;
  staging?: string | undefined;
  defaultTablePrefix?: string | undefined;
  flushIntervalMs?: string | undefined;
  maxBodyBytes?: string | undefined;
  maxStagingBytes?: string | undefined;
  maxInflightBytes?: string | undefined;
  capture?: string | undefined;
  autoOptimize?: boolean | undefined;
  sqlTimeoutMs?: string | undefined;
  logFormat?: string | undefined;
  accessLog?: boolean | undefined;
  auth?: string | undefined;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  policy?: string | undefined;
  grpcHost?: string | undefined;
  grpcPort?: string | undefined;
  /** --no-grpc: HTTP only. */
  noGrpc?: boolean | undefined;
};

/**
 * The gRPC listener follows the HTTP host unless told otherwise, and picks a
 * free port whenever the HTTP one does (--port 0), so that several servers
 * started that way (tests, benchmarks) never contend for 4317.
 */
function grpcListener(flags: ServeInputs, env: NodeJS.ProcessEnv, host: string, port: number): ServeConfig['grpc'] {
  const off = env.OTLP2DELTA_GRPC;
  if (off !== undefined && off !== 'on' && off !== 'off') throw new Error(`OTLP2DELTA_GRPC must be on or off, got ${JSON.stringify(off)}`);
  if (flags.noGrpc || (off === 'off' && flags.grpcHost === undefined && flags.grpcPort === undefined)) return undefined;
  const grpcHost = flags.grpcHost ?? env.OTLP2DELTA_GRPC_HOST ?? host;
  if (grpcHost.trim() === '') throw new Error('--grpc-host must not be empty');
  const raw = flags.grpcPort ?? env.OTLP2DELTA_GRPC_PORT;
  const grpcPort = raw === undefined ? (port === 0 ? 0 : DEFAULT_GRPC_PORT) : integer('--grpc-port', raw, 0, 65535);
  if (grpcPort !== 0 && grpcPort === port && grpcHost === host) throw new Error(`--grpc-port ${grpcPort} is the HTTP port too: give each listener its own port`);
  return { host: grpcHost, port: grpcPort };
}

/** Both files or neither: a certificate without its key (or the reverse) is a mistake, not plain HTTP. */
function tlsFiles(flags: ServeInputs, env: NodeJS.ProcessEnv): ServeConfig['tls'] {
  const cert = flags.tlsCert ?? env.OTLP2DELTA_TLS_CERT;
  const key = flags.tlsKey ?? env.OTLP2DELTA_TLS_KEY;
  if (cert === undefined && key === undefined) return undefined;
  const certLabel = flags.tlsCert !== undefined ? '--tls-cert' : 'OTLP2DELTA_TLS_CERT';
  const keyLabel = flags.tlsKey !== undefined ? '--tls-key' : 'OTLP2DELTA_TLS_KEY';
  if (cert === undefined) throw new Error(`${keyLabel} needs --tls-cert (or OTLP2DELTA_TLS_CERT) too: give both or neither`);
  if (key === undefined) throw new Error(`${certLabel} needs --tls-key (or OTLP2DELTA_TLS_KEY) too: give both or neither`);
  if (cert.trim() === '') throw new Error(`${certLabel} must name a file`);
  if (key.trim() === '') throw new Error(`${keyLabel} must name a file`);
  return { certFile: path.resolve(cert), keyFile: path.resolve(key) };
}

function integer(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

export function resolveServeConfig(flags: ServeInputs, env: NodeJS.ProcessEnv): ServeConfig {
  const host = flags.host ?? env.OTLP2DELTA_HOST ?? DEFAULT_HOST;
  if (host.trim() === '') throw new Error('host must not be empty');
  const portRaw = flags.port ?? env.OTLP2DELTA_PORT;
  const port = portRaw === undefined ? DEFAULT_PORT : integer('port', portRaw, 0, 65535);
  const warehouse = flags.warehouse ?? env.OTLP2DELTA_WAREHOUSE ?? DEFAULT_WAREHOUSE;
  if (warehouse.trim() === '') throw new Error('warehouse must not be empty');
  // Each node of an object-store warehouse stages on its own local disk.
  if (isRemoteLocation(warehouse) && (flags.staging ?? env.OTLP2DELTA_STAGING) === undefined) {
    throw new Error(`a warehouse on an object store (${warehouse}) needs --staging DIR: a local folder of this node's own`);
  }
  const staging = flags.staging ?? env.OTLP2DELTA_STAGING ?? path.join(warehouse, '.otlp2delta', 'staging');
  if (staging.trim() === '') throw new Error('staging must not be empty');
  const limits: Limits = { ...DEFAULT_LIMITS };
  if (flags.flushIntervalMs !== undefined) {
    limits.flushIntervalMs = integer('--flush-interval-ms', flags.flushIntervalMs, 10, 3_600_000);
  }
  if (flags.maxBodyBytes !== undefined) {
    limits.bodyBytesMax = integer('--max-body-bytes', flags.maxBodyBytes, 1024, 1024 * 1024 * 1024);
  }
  if (flags.maxStagingBytes !== undefined) {
    limits.stagingBytesMax = integer('--max-staging-bytes', flags.maxStagingBytes, 1024, 2 ** 50);
    limits.flushBytesMax = Math.min(limits.flushBytesMax, limits.stagingBytesMax);
  }
  if (flags.maxInflightBytes !== undefined) {
    limits.inflightBytesMax = integer('--max-inflight-bytes', flags.maxInflightBytes, 1024, 2 ** 40);
    limits.bodyBytesMax = Math.min(limits.bodyBytesMax, limits.inflightBytesMax);
  }
  checkLimits(limits);
  const defaultTablePrefix = flags.defaultTablePrefix ?? env.OTLP2DELTA_DEFAULT_TABLE_PREFIX;
  if (defaultTablePrefix !== undefined) parseTableName(defaultTablePrefix, '--default-table-prefix');
  if (flags.capture !== undefined && flags.capture.trim() === '') throw new Error('--capture must name a folder');
  const sqlTimeoutMs = flags.sqlTimeoutMs === undefined ? undefined : integer('--sql-timeout-ms', flags.sqlTimeoutMs, 1, 86_400_000);
  const logFormat = flags.logFormat ?? env.OTLP2DELTA_LOG_FORMAT ?? 'text';
  if (!(LOG_FORMATS as readonly string[]).includes(logFormat)) {
    throw new Error(`--log-format must be ${LOG_FORMATS.join(' or ')}, got ${JSON.stringify(logFormat)}`);
  }
  const auth = flags.auth ?? env.OTLP2DELTA_AUTH ?? 'auto';
  if (!(AUTH_MODES as readonly string[]).includes(auth)) throw new Error(`--auth must be ${AUTH_MODES.join(', ')}, got ${JSON.stringify(auth)}`);
  const policyFile = flags.policy ?? env.OTLP2DELTA_POLICY;
  if (policyFile !== undefined && policyFile.trim() === '') throw new Error(`${flags.policy !== undefined ? '--policy' : 'OTLP2DELTA_POLICY'} must name a file`);
  return {
    host,
    port,
    warehouse,
    staging,
    defaultTablePrefix,
    limits,
    capture: flags.capture,
    autoOptimize: flags.autoOptimize ?? false,
    sqlTimeoutMs,
    logFormat: logFormat as LogFormat,
    accessLog: flags.accessLog ?? false,
    auth: auth as AuthMode,
    tls: tlsFiles(flags, env),
    policyFile: policyFile === undefined ? undefined : path.resolve(policyFile),
    grpc: grpcListener(flags, env, host, port),
  };
}
