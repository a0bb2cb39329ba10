// `otlp2delta serve`: runs the service until SIGINT/SIGTERM, then drains.
import { resolveServeConfig } from '../config/serve-config.ts';
import { startService } from './service.ts';
import { parseCommandArgs, UsageError } from './usage.ts';

export const SERVE_HELP = `usage: otlp2delta serve [--host H] [--port P] [--warehouse DIR] [--staging DIR] [--flush-interval-ms N]

Receives OTLP/HTTP (protobuf or JSON) on POST /api/2.0/otel/v1/{metrics,logs,traces}
and /v1/{metrics,logs,traces}; the X-Databricks-UC-Table-Name header names the table.

options:
  --host H               address to listen on (env OTLP2DELTA_HOST, default 127.0.0.1)
  --port P               port to listen on (env OTLP2DELTA_PORT, default 4318; 0 picks a free one)
  --warehouse DIR        folder holding the tables (env OTLP2DELTA_WAREHOUSE, default ./warehouse)
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
      },
      process.env,
    );
  } catch (e) {
    throw new UsageError((e as Error).message, SERVE_HELP);
  }
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const service = await startService(config, log);
  log(`otlp2delta listening on ${service.url} warehouse ${service.warehouse} staging ${service.staging}`);
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        log(`${sig} again: still draining, please wait (a third signal exits at once)`);
        if (signals > 2) resolve(1);
        return;
      }
      log(`${sig}: stopping intake, writing buffered rows`);
      service.stop().then(
        (drained) => {
          log(drained ? 'stopped; all accepted rows are committed' : 'stopped; some rows could not be committed');
          resolve(drained ? 0 : 1);
        },
        (e: unknown) => {
          log(`stop failed: ${(e as Error).message}`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
