// Sends one log record with the real OTel SDK protobuf exporter and reports
// what the exporter saw: success, or the HTTP status and body of the refusal.
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { driveSdk, recordExports } from '../e2e/sdk-support.ts';

export type SendResult = { ok: boolean; status: number | undefined; message: string };

export async function sdkSendLog(url: string, table: string, authorization: string | undefined): Promise<SendResult> {
  const headers: Record<string, string> = { 'X-Databricks-UC-Table-Name': table };
  if (authorization !== undefined) headers.Authorization = authorization;
  const exporter = new OTLPLogExporter({ url: `${url}/api/2.0/otel/v1/logs`, headers });
  const exports = recordExports(exporter);
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
  await driveSdk(async () => {
    provider.getLogger('auth-test').emit({ body: 'hello', attributes: { n: 1 } });
    await provider.forceFlush();
    await provider.shutdown();
  });
  const result = exports.results[0];
  if (!result) throw new Error('the exporter reported no result');
  const err = result.error as (Error & { code?: number; data?: string }) | undefined;
  return { ok: result.code === 0, status: err?.code, message: `${err?.message ?? ''} ${err?.data ?? ''}` };
}
