// A render worker: decodes and renders requests posted by the render pool, one
// at a time, and posts the NDJSON back without copying it (the buffer is
// transferred). Errors go back as their kind and message: an OtlpError is
// rebuilt on the other side, anything else becomes an internal error there.
import { parentPort } from 'node:worker_threads';
import { isOtlpError } from '../errors.ts';
import { DEFAULT_CAPS } from '../tables/render/job.ts';
import { encodeRequest, type EncodeInput } from './encode.ts';
import type { RenderReply, RenderTask } from './render-pool.ts';

/** A buffer of its own, so it can be transferred (a Buffer may share a pooled or larger one). */
function ownBuffer(b: Buffer): ArrayBuffer {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer) return b.buffer;
  const copy = new ArrayBuffer(b.byteLength);
  new Uint8Array(copy).set(b);
  return copy;
}

const port = parentPort;
if (!port) throw new Error('render-worker.ts runs as a worker thread only');

// On a thread of its own nothing waits behind a render, so it runs in one go.
const CAPS = { ...DEFAULT_CAPS, sliceMs: Infinity };

port.on('message', (task: RenderTask) => {
  let reply: RenderReply;
  const transfer: ArrayBuffer[] = [];
  try {
    const input: EncodeInput = { signal: task.signal, encoding: task.encoding, body: new Uint8Array(task.body), principal: task.principal, privacy: task.privacy };
    const r = encodeRequest(input, CAPS);
    if (r instanceof Promise) throw new Error('a render without slices yielded');
    const ndjson = r.ndjson ? ownBuffer(r.ndjson) : undefined;
    if (ndjson) transfer.push(ndjson);
    reply = { id: task.id, ok: true, ndjson, rows: r.rows, lineBytesMax: r.lineBytesMax, rejected: r.rejected, rejectReasons: r.rejectReasons, privacyChanges: r.privacyChanges };
  } catch (e) {
    reply = isOtlpError(e)
      ? { id: task.id, ok: false, kind: e.kind, message: e.message, retryAfterSeconds: e.retryAfterSeconds }
      : { id: task.id, ok: false, kind: 'internal', message: (e as Error)?.stack ?? String(e) };
  }
  port.postMessage(reply, transfer);
});
