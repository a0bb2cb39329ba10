// After writing, one export per signal to the endpoint with exactly the
// headers the agent will send, and what each answer means.
import * as grpc from '@grpc/grpc-js';
import { decodeStatus } from './status-body.ts';
import { checkBody } from './check-request.ts';
import { fixFor, GRPC_TO_HTTP, type CheckAnswer } from './fixes.ts';
import { baseUrl, signalHeaders, signalUrl, tableOf, type OnboardOptions } from './options.ts';
import type { AgentPlan } from './plan.ts';
import { EXPORT_METHODS } from '../grpc/service-definition.ts';
import type { Signal } from '../otlp/types.ts';

export type SignalCheck = { signal: Signal; table: string; answer: CheckAnswer };

/** How long one check may take: a local server answers in milliseconds, a remote one well within this. */
const CHECK_TIMEOUT_MS = 10_000;

async function httpCheck(o: OnboardOptions, plan: AgentPlan, signal: Signal): Promise<CheckAnswer> {
  const encoding = o.protocol === 'http/json' || plan.agent === 'gemini' ? 'json' : 'protobuf';
  const url = signalUrl(o.endpoint, signal);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { ...signalHeaders(o, signal), 'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf' },
      body: checkBody(signal, plan.serviceName, encoding),
      signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e as Error).message;
    return { ok: false, status: 'unreachable', message: `no answer from ${baseUrl(o.endpoint)} (${why})`, fix: 'start the server (otlp2delta serve) or check --endpoint' };
  }
  if (res.ok) return { ok: true };
  const body = new Uint8Array(await res.arrayBuffer());
  const message = decodeStatus(body, res.headers.get('content-type') ?? '');
  return { ok: false, status: String(res.status), message, fix: fixFor(res.status, message, { table: tableOf(o.prefix, signal), prefix: o.prefix, endpoint: o.endpoint }) };
}

function grpcCheck(o: OnboardOptions, plan: AgentPlan, signal: Signal): Promise<CheckAnswer> {
  const u = new URL(baseUrl(o.endpoint));
  const creds = u.protocol === 'https:' ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
  const client = new grpc.Client(u.host, creds);
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(signalHeaders(o, signal))) md.set(k.toLowerCase(), v);
  const method = EXPORT_METHODS.find((m) => m.signal === signal)!.path;
  const body = Buffer.from(checkBody(signal, plan.serviceName, 'protobuf'));
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      method,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      md,
      { deadline: Date.now() + CHECK_TIMEOUT_MS },
      (err) => {
        client.close();
        if (!err) return resolve({ ok: true });
        const http = GRPC_TO_HTTP[err.code] ?? 0;
        const fix = err.code === grpc.status.UNAVAILABLE && http === 503 && /ECONNREFUSED|No connection/.test(err.details) ? 'start the server (otlp2delta serve) or check --endpoint' : fixFor(http, err.details, { table: tableOf(o.prefix, signal), prefix: o.prefix, endpoint: o.endpoint });
        resolve({ ok: false, status: grpc.status[err.code] ?? String(err.code), message: err.details, fix });
      },
    );
  });
}

export async function verifyAgent(o: OnboardOptions, plan: AgentPlan): Promise<SignalCheck[]> {
  const out: SignalCheck[] = [];
  for (const signal of plan.signals) {
    const answer = o.protocol === 'grpc' ? await grpcCheck(o, plan, signal) : await httpCheck(o, plan, signal);
    out.push({ signal, table: tableOf(o.prefix, signal), answer });
  }
  return out;
}
