// Reads a request body from the Node stream with a byte cap and time limits, so
// an oversized, endless or stalled body is refused while it streams, not after
// it is buffered or after Node's own five-minute request timeout.
import type { IncomingMessage } from 'node:http';
import { BODY_IDLE_TIMEOUT_MS, BODY_READ_TIMEOUT_MS } from '../config/limits.ts';
import { OtlpError } from '../errors.ts';
import type { InflightHold } from '../ingest/budget.ts';

export type BodyReadOptions = {
  /** Where the body's bytes are reserved as they arrive; refusal means 429, a reclaim 408. */
  hold?: InflightHold;
  idleTimeoutMs?: number;
  readTimeoutMs?: number;
};

const overloaded = () =>
  new OtlpError('overloaded', 'the server holds as much request data as it may; retry later', { retryAfterSeconds: 1 });

/**
 * On refusal the stream is left paused with the rest of the body unread; the
 * caller answers and then drains it (see drain.ts), so the client can finish
 * sending and read the answer.
 */
export function readBody(incoming: IncomingMessage, maxBytes: number, opts: BodyReadOptions = {}): Promise<Buffer> {
  const declared = Number(incoming.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Promise.reject(new OtlpError('too_large', `request body of ${declared} bytes is over the limit of ${maxBytes} bytes`));
  }
  const idleMs = opts.idleTimeoutMs ?? BODY_IDLE_TIMEOUT_MS;
  const readMs = opts.readTimeoutMs ?? BODY_READ_TIMEOUT_MS;
  const hold = opts.hold;
  return new Promise<Buffer>((resolve, reject) => {
    let chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    let idle: NodeJS.Timeout | undefined;
    const whole = setTimeout(() => {
      fail(new OtlpError('timeout', `request body did not arrive within ${readMs} ms (${total} bytes received); send it without pauses`));
    }, readMs);
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        fail(new OtlpError('timeout', `request body stalled: no bytes for ${idleMs} ms after ${total} bytes`));
      }, idleMs);
    };
    const finish = () => {
      settled = true;
      clearTimeout(idle);
      clearTimeout(whole);
      hold?.onReclaim(undefined);
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const fail = (e: OtlpError) => {
      if (settled) return;
      finish();
      incoming.pause();
      // The reason to stop early is often memory: let what was read go now.
      chunks = [];
      reject(e);
    };
    const onData = (buf: Buffer) => {
      total += buf.length;
      if (total > maxBytes) return fail(new OtlpError('too_large', `request body is over the limit of ${maxBytes} bytes`));
      if (hold && !hold.tryAdd(buf.length)) return fail(overloaded());
      chunks.push(buf);
      armIdle();
    };
    const onEnd = () => {
      if (settled) return;
      finish();
      hold?.settle();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    };
    const gone = () => new OtlpError('invalid', `the client closed the connection before the body was complete (${total} bytes received)`);
    const onError = (e: NodeJS.ErrnoException) =>
      fail(e.code === 'ECONNRESET' ? gone() : new OtlpError('invalid', `request body could not be read: ${e.message}`));
    const onClose = () => {
      if (!incoming.complete) fail(gone());
    };
    hold?.onReclaim(() =>
      fail(
        new OtlpError(
          'timeout',
          `request body stalled (${total} bytes received) while other requests waited for the memory it held; send it without pauses`,
        ),
      ),
    );
    armIdle();
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
    if (incoming.readableEnded) onEnd();
    else if (incoming.destroyed) onClose();
  });
}
