// `otlp2delta serve`: runs the service until SIGINT/SIGTERM, then drains.
import { resolveServeConfig } from '../config/serve-config.ts';
import { startService, type Service } from './service.ts';
import { describeCertificate, TlsFileError } from '../http/tls.ts';
import { stagingCorruption } from '../wal/corruption.ts';
import { checkFolderOption, warehouseFromArgs } from './table-arg.ts';
import { createLogger, lineLog } from '../observe/logger.ts';
import { parseCommandArgs, UsageError } from './usage.ts';
import { describePolicy } from '../policy/policy-file.ts';

export const SERVE_HELP = `usage: otlp2delta serve [--host H] [--port P] [--warehouse DIR] [--staging DIR]
         [--default-table-prefix C.S.P] [--flush-interval-ms N] [--max-body-bytes N]
         [--max-staging-bytes N] [--max-inflight-bytes N] [--capture DIR] [--auto-optimize]
         [--sql-timeout-ms N] [--log-format text|json] [--access-log] [--auth auto|required|off]
         [--tls-cert FILE] [--tls-key FILE] [--policy FILE]
         [--grpc-host H] [--grpc-port P] [--no-grpc]

Receives OTLP/HTTP (protobuf or JSON) on POST /api/2.0/otel/v1/{metrics,logs,traces}
and /v1/{metrics,logs,traces}; the X-Databricks-UC-Table-Name header names the table.
Receives OTLP/gRPC (the Export methods of the metrics, logs and trace services) on a second
port; the x-databricks-uc-table-name (or x-databricks-zerobus-table-name) metadata names the table.

options:
  --host H               address to listen on (env OTLP2DELTA_HOST, default 127.0.0.1)
  --port P               port to listen on (env OTLP2DELTA_PORT, default 4318; 0 picks a free one)
  --warehouse DIR        folder holding the tables (env OTLP2DELTA_WAREHOUSE, default ./warehouse,
                         relative to the working directory: set the env var to pin one warehouse
                         for serve, create-table, sql and usage alike)
  --staging DIR          write-ahead staging folder, one per server process
                         (env OTLP2DELTA_STAGING, default <warehouse>/.otlp2delta/staging)
  --default-table-prefix C.S.P
                         requests without the table header go to C.S.P_otel_metrics,
                         C.S.P_otel_logs or C.S.P_otel_spans (env OTLP2DELTA_DEFAULT_TABLE_PREFIX;
                         without it such requests get 400)
  --flush-interval-ms N  longest time rows wait before they are committed (default 1000)
  --max-body-bytes N     largest request body, before and after decompression (default 20971520)
  --max-staging-bytes N  staged bytes not yet committed before requests get 429 (default 1073741824)
  --max-inflight-bytes N request bytes in memory before requests get 429 (default 268435456)
  --capture DIR          also record every accepted request to DIR (NNNN.meta.json + NNNN.body.bin,
                         credentials removed) for otlp2delta replay
  --auto-optimize        compact the small files of the tables being written, in the background
  --sql-timeout-ms N     cancel a POST /api/2.0/sql/statements statement after N ms (default 30000)
  --log-format F         text (one readable line an event, the default) or json (one JSON object a
                         line, for log shippers) (env OTLP2DELTA_LOG_FORMAT)
  --access-log           log every request (method, path, status, time, client), not only refusals
  --auth MODE            auto (the default): tokens are required once the warehouse has one
                         (otlp2delta token create); required: always; off: never. Listening off
                         loopback without tokens is refused unless --auth off (env OTLP2DELTA_AUTH)
  --tls-cert FILE        serve HTTPS (TLS 1.2 or later) with this PEM certificate (chain: leaf first)
                         (env OTLP2DELTA_TLS_CERT); needs --tls-key
  --tls-key FILE         the certificate's unencrypted PEM private key (env OTLP2DELTA_TLS_KEY)
                         Both files are reloaded on SIGHUP and when they change; a pair that does
                         not load or match is refused and the current certificate kept.
                         The gRPC listener uses the same pair (and the reloaded one).
  --grpc-host H          address for OTLP/gRPC (env OTLP2DELTA_GRPC_HOST, default: the --host one)
  --grpc-port P          port for OTLP/gRPC (env OTLP2DELTA_GRPC_PORT, default 4317; 0, or --port 0,
                         picks a free one)
  --no-grpc              do not listen for OTLP/gRPC (env OTLP2DELTA_GRPC=off)
  --policy FILE          rate limits and privacy rules (TOML, see examples/policy.toml)
                         (env OTLP2DELTA_POLICY); a file with an error refuses the start. It is
                         reloaded on SIGHUP and when it changes; a changed file with an error is
                         refused, the policy in force kept, and the log names the error.

GET /metrics serves Prometheus metrics (a token is needed when auth is on) and GET /healthz a
health check (always open), on the same address.
  -h, --help             show this help`;

export async function runServe(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      host: { type: 'string' },
      port: { type: 'string' },
      warehouse: { type: 'string' },
      staging: { type: 'string' },
      'default-table-prefix': { type: 'string' },
      'flush-interval-ms': { type: 'string' },
      'max-body-bytes': { type: 'string' },
      'max-staging-bytes': { type: 'string' },
      'max-inflight-bytes': { type: 'string' },
      capture: { type: 'string' },
      'auto-optimize': { type: 'boolean' },
      'sql-timeout-ms': { type: 'string' },
      'log-format': { type: 'string' },
      'access-log': { type: 'boolean' },
      auth: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      policy: { type: 'string' },
      'grpc-host': { type: 'string' },
      'grpc-port': { type: 'string' },
      'no-grpc': { type: 'boolean' },
    },
    SERVE_HELP,
  );
  if (values.help) {
    process.stdout.write(`${SERVE_HELP}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, SERVE_HELP);
  let config;
  try {
    config = resolveServeConfig(
      {
        host: values.host,
        port: values.port,
        warehouse: values.warehouse,
        staging: values.staging,
        defaultTablePrefix: values['default-table-prefix'],
        flushIntervalMs: values['flush-interval-ms'],
        maxBodyBytes: values['max-body-bytes'],
        maxStagingBytes: values['max-staging-bytes'],
        maxInflightBytes: values['max-inflight-bytes'],
        capture: values.capture,
        autoOptimize: values['auto-optimize'],
        sqlTimeoutMs: values['sql-timeout-ms'],
        logFormat: values['log-format'],
        accessLog: values['access-log'],
        auth: values.auth,
        tlsCert: values['tls-cert'],
        tlsKey: values['tls-key'],
        policy: values.policy,
        grpcHost: values['grpc-host'],
        grpcPort: values['grpc-port'],
        noGrpc: values['no-grpc'],
      },
      process.env,
    );
  } catch (e) {
    throw new UsageError((e as Error).message, SERVE_HELP);
  }
  warehouseFromArgs(values.warehouse);
  const stagingLabel = values.staging !== undefined ? '--staging' : process.env.OTLP2DELTA_STAGING !== undefined ? 'OTLP2DELTA_STAGING' : 'staging folder';
  checkFolderOption(stagingLabel, config.staging);
  if (config.capture !== undefined) checkFolderOption('--capture', config.capture);
  const logger = createLogger(config.logFormat ?? 'text');
  const log = lineLog(logger);
  // Handlers go in before anything else: a supervisor may signal as soon as it
  // sees the start line, or while recovery still runs.
  const stopRequested = waitForStopSignals(log);
  // SIGHUP would end the process by default; with TLS or a policy file it
  // means "reload the certificate and the policy".
  let service: Service | undefined;
  const onHangup = () => {
    if (!service) return log('SIGHUP: the server is still starting; the certificate and policy files are read as it starts');
    if (service.tls) void service.tls.reload('SIGHUP');
    if (service.policy) void service.policy.reload('SIGHUP');
  };
  const hangups = config.tls !== undefined || config.policyFile !== undefined;
  if (hangups) process.on('SIGHUP', onHangup);
  try {
    service = await startService(config, log, logger);
  } catch (e) {
    if (hangups) process.off('SIGHUP', onHangup);
    // A certificate pair that cannot be used is a configuration mistake, like a bad folder option.
    if (e instanceof TlsFileError) throw new UsageError(e.message);
    throw e;
  }
  const capture = config.capture === undefined ? '' : ` capture ${config.capture}`;
  const policy = service.policy ? ` policy ${service.policy.file} (${describePolicy(service.policy.current())})` : '';
  // The gRPC part comes last: supervisors and scripts read the HTTP address right after "listening on".
  const grpc = service.grpc ? `; OTLP/gRPC on ${service.grpc.url}` : '; OTLP/gRPC off';
  log(`otlp2delta listening on ${service.url} warehouse ${service.warehouse} staging ${service.staging}${capture}${policy} auth: ${service.authNote}${grpc}`);
  if (service.tls) {
    log(`TLS 1.2 or later with ${describeCertificate(service.tls.current().leaf)}; reloaded on SIGHUP or when ${config.tls?.certFile} or ${config.tls?.keyFile} change`);
  }
  if (values.warehouse === undefined && process.env.OTLP2DELTA_WAREHOUSE === undefined) {
    log(`the warehouse is the default ./warehouse of the working directory; other commands run elsewhere would use another one (pin it with --warehouse or OTLP2DELTA_WAREHOUSE=${service.warehouse})`);
  }
  const signal = await stopRequested.first;
  log(`${signal}: stopping intake, writing staged rows`);
  try {
    const drained = await Promise.race([service.stop(), stopRequested.forced.then(() => false)]);
    log(drained ? `stopped; all accepted rows are committed${stagingCorruption.stopNote()}` : 'stopped; staged rows not yet committed are kept for the next start');
    return drained ? 0 : 1;
  } catch (e) {
    log(`stop failed: ${(e as Error).message}`);
    return 1;
  }
}

/** The first SIGINT/SIGTERM asks for a clean stop; a third forces an exit (staged rows stay on disk). */
function waitForStopSignals(log: (line: string) => void): { first: Promise<NodeJS.Signals>; forced: Promise<void> } {
  let count = 0;
  let onFirst: (s: NodeJS.Signals) => void = () => undefined;
  let onForced: () => void = () => undefined;
  const first = new Promise<NodeJS.Signals>((r) => (onFirst = r));
  const forced = new Promise<void>((r) => (onForced = r));
  const handler = (sig: NodeJS.Signals) => {
    count += 1;
    if (count === 1) onFirst(sig);
    else if (count === 2) log(`${sig} again: still committing staged rows, please wait (a third signal exits at once)`);
    else onForced();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return { first, forced };
}
