// One OTLP/gRPC Export call, the same straight line as an OTLP/HTTP export:
// admission (server state, table, credential, grant) -> in-flight budget ->
// ingest (decode, stage, fsync) -> answer, and every outcome reported once
// through reportOutcome like an HTTP request's.
import type { Metadata, sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import { admitExport, operatorNoteOf, type AdmissionDeps } from '../access/export-admission.ts';
import type { CaptureSink } from '../capture/sink.ts';
import { OtlpError } from '../errors.ts';
import type { Ingestor } from '../http/app.ts';
import type { InflightBudget } from '../ingest/budget.ts';
import type { IngestResult } from '../ingest/pipeline.ts';
import { reportOutcome, type OutcomeSinks, type RequestNote } from '../observe/outcome.ts';
import { encodeExportResponse } from '../otlp/codec.ts';
import type { Signal } from '../otlp/types.ts';
import { formatTableName } from '../tables/names.ts';
import { ingestWaitingForRoom, type BacklogWait } from './backlog-wait.ts';
import { peerAddress, stringValue } from './metadata.ts';
import { grpcStatusOf, httpStatusOf } from './status.ts';

/** The table metadata keys, in order of precedence: Databricks' name, then Zerobus'. */
export const TABLE_METADATA_KEYS = ['x-databricks-uc-table-name', 'x-databricks-zerobus-table-name'] as const;

export type ExportCallDeps = {
  ingestor: Ingestor;
  bodyBytesMax: number;
  inflight: InflightBudget;
  admission: AdmissionDeps;
  sinks: OutcomeSinks;
  log: (line: string) => void;
  /** The server speaks TLS (the whole listener is either TLS or plain). */
  secure: boolean;
  capture?: CaptureSink | undefined;
  backlog?: Partial<BacklogWait>;
};

type Call = ServerUnaryCall<Buffer, Buffer>;

function tableFrom(metadata: Metadata): { name: string | undefined; source: string } {
  for (const key of TABLE_METADATA_KEYS) {
    const name = stringValue(metadata, key);
    if (name !== undefined) return { name, source: `${key} metadata` };
  }
  return { name: undefined, source: `${TABLE_METADATA_KEYS[0]} metadata` };
}

async function answer(deps: ExportCallDeps, signal: Signal, call: Call, note: (f: RequestNote) => void): Promise<IngestResult> {
  const body = call.request;
  const remote = peerAddress(call.getPeer());
  const table = tableFrom(call.metadata);
  const hold = deps.inflight.open();
  // The message is complete by the time a unary handler runs: nothing to reclaim.
  hold.settle();
  try {
    const admitted = admitExport(deps.admission, {
      signal,
      tableName: table.name,
      tableNameSource: table.source,
      authorization: stringValue(call.metadata, 'authorization'),
      encrypted: deps.secure,
      remote,
      note,
    });
    note({ receivedBytes: body.length });
    // grpc-js refuses larger messages (before and after decompression) itself; this keeps the rule in one place should its limit be raised.
    if (body.length > deps.bodyBytesMax) throw new OtlpError('too_large', `the message is ${body.length} bytes, more than the ${deps.bodyBytesMax} allowed`);
    if (!hold.tryAdd(body.length)) {
      throw new OtlpError('overloaded', 'the server holds as much request data as it may; retry later', { retryAfterSeconds: 1 });
    }
    const request = { signal, table: admitted.table, encoding: 'protobuf' as const, body, ...(admitted.principal ? { principal: admitted.principal } : {}) };
    const result = await ingestWaitingForRoom(deps.ingestor, request, { ...deps.backlog, giveUp: () => call.cancelled || !deps.admission.accepting() });
    note({ table: formatTableName(admitted.table), tableKnown: true, rows: result.rows, rejected: result.rejected, message: result.message });
    if (deps.capture) {
      // Captured as the equivalent OTLP/HTTP request (same protobuf body, decompressed as grpc-js
      // hands it over, under the HTTP route), so `otlp2delta replay` can send it like any other.
      const headers: Record<string, string> = { 'content-type': 'application/x-protobuf' };
      const ua = stringValue(call.metadata, 'user-agent');
      if (ua !== undefined) headers['user-agent'] = ua;
      headers[TABLE_METADATA_KEYS[0]] = formatTableName(admitted.table);
      const rawHeaders = Object.entries(headers).flat();
      await deps.capture.record({ receivedAt: new Date(), signal, table: formatTableName(admitted.table), path: `/v1/${signal}`, incoming: { method: 'POST', headers, rawHeaders }, body, rows: result.rows, rejected: result.rejected });
    }
    return result;
  } finally {
    hold.release();
  }
}

/** The grpc-js handler of one signal's Export method. */
export function exportHandler(deps: ExportCallDeps, signal: Signal, path: string) {
  return (call: Call, callback: sendUnaryData<Buffer>): void => {
    const started = performance.now();
    const note: RequestNote = { signal };
    const addNote = (f: RequestNote) => Object.assign(note, f);
    const report = (error: OtlpError | undefined) =>
      reportOutcome(deps.sinks, {
        method: 'grpc',
        path,
        route: path,
        status: httpStatusOf(error),
        seconds: (performance.now() - started) / 1000,
        remote: peerAddress(call.getPeer()),
        userAgent: stringValue(call.metadata, 'user-agent'),
        note,
      });
    answer(deps, signal, call, addNote).then(
      (result) => {
        const partial = result.rejected > 0 || result.message !== '' ? { rejected: BigInt(result.rejected), message: result.message } : undefined;
        callback(null, Buffer.from(encodeExportResponse(signal, 'protobuf', partial)));
        report(undefined);
      },
      (e: unknown) => {
        const { error, status } = grpcStatusOf(e);
        if (!(e instanceof OtlpError)) deps.log(`internal error: ${(e as Error)?.stack ?? String(e)}`);
        addNote({ reason: error.kind, message: error.message, ...operatorNoteOf(e) });
        callback(status);
        report(error);
      },
    );
  };
}
