// Decoding and rendering one request to the NDJSON it stages: the same work
// whether it runs on the event loop (in slices) or on a render worker (in one
// go). Pure: it reads the body and writes a buffer, nothing else.
import { stampPrincipal } from '../access/identity.ts';
import { applyPrivacy, noChanges } from '../policy/privacy-apply.ts';
import type { PrivacyPlan } from '../policy/types.ts';
import { decodeRequest } from '../otlp/codec.ts';
import type { Signal, WireEncoding } from '../otlp/types.ts';
import { recordsOverCap } from '../tables/record-count.ts';
import { RenderJob, tooManyRows, type RenderCaps, type RenderResult, type RenderSteps } from '../tables/render/job.ts';
import { SIGNALS } from './signals.ts';

export type EncodeInput = {
  signal: Signal;
  encoding: WireEncoding;
  body: Uint8Array;
  /** The token's principal, stamped on every row's resource (see access/identity.ts); undefined without a token. */
  principal?: string | undefined;
  /** The privacy rules for the request's table, applied to the decoded request before rendering. */
  privacy?: PrivacyPlan | undefined;
};

/**
 * A protobuf body of more records than the row cap is refused before
 * decoding: decoding millions of tiny records alone took seconds.
 * `startedAt` starts the first slice's clock (decoding counts against it).
 */
export function encodeRequest(req: EncodeInput, caps: RenderCaps, startedAt = performance.now()): RenderResult | Promise<RenderResult> {
  const desc = SIGNALS[req.signal];
  if (req.encoding === 'protobuf' && recordsOverCap(req.signal, req.body, caps.rowsMax)) throw tooManyRows(caps);
  const changes = req.privacy ? noChanges() : undefined;
  const decoded = stampPrincipal(req.signal, applyPrivacy(req.signal, decodeRequest(req.signal, req.body, req.encoding), req.privacy, changes), req.principal);
  const job = new RenderJob(caps, startedAt);
  // Each signal's decode/render pair is typed by its own request shape.
  const out = job.run((desc.steps as (j: RenderJob, r: typeof decoded) => RenderSteps)(job, decoded));
  if (!changes) return out;
  return out instanceof Promise ? out.then((r) => ({ ...r, privacyChanges: changes })) : { ...out, privacyChanges: changes };
}
