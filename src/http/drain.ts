// What happens to the unread rest of a refused request's body. Closing at once
// is what makes a refusal unreadable: the client is still writing, the closed
// socket answers its bytes with a reset, and many clients then report a network
// error (and retry) without reading the 413 that was already on its way.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BODY_DRAIN_BYTES_MAX, BODY_DRAIN_TIMEOUT_MS } from '../config/limits.ts';
import type { Logger } from './respond.ts';

export type DrainLimits = { bytesMax: number; timeoutMs: number };

export const DRAIN_LIMITS: DrainLimits = { bytesMax: BODY_DRAIN_BYTES_MAX, timeoutMs: BODY_DRAIN_TIMEOUT_MS };

/**
 * Reads and discards what is left of the body, within bounds. A body drained
 * to its end leaves the connection usable for the next request, as HTTP
 * framing is intact; one that goes past the bounds (or stalls) has its
 * connection closed once the answer has been written.
 */
export function drainUnreadBody(
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  log?: Logger,
  limits: DrainLimits = DRAIN_LIMITS,
): void {
  if (incoming.readableEnded || incoming.destroyed) return;
  let discarded = 0;
  // Once the answer is written, the request no longer hears of its socket closing.
  const socket = incoming.socket as IncomingMessage['socket'] | null;
  const cleanup = () => {
    clearTimeout(timer);
    incoming.off('data', onData);
    incoming.off('end', cleanup);
    incoming.off('error', cleanup);
    incoming.off('close', cleanup);
    socket?.off('close', cleanup);
  };
  const giveUp = (why: string) => {
    cleanup();
    incoming.pause();
    const where = `${incoming.method} ${(incoming.url ?? '').split('?')[0]}`;
    log?.(`closing the connection of a refused ${where}: ${why} (${discarded} bytes discarded)`);
    const close = () => socket?.destroy();
    if (outgoing.writableFinished) close();
    else {
      outgoing.once('finish', close);
      outgoing.once('close', close);
    }
  };
  const onData = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > limits.bytesMax) giveUp(`the unread body went past ${limits.bytesMax} bytes`);
  };
  const timer = setTimeout(() => giveUp(`the unread body did not end within ${limits.timeoutMs} ms`), limits.timeoutMs);
  incoming.on('data', onData);
  incoming.on('end', cleanup);
  incoming.on('error', cleanup);
  incoming.on('close', cleanup);
  socket?.on('close', cleanup);
  incoming.resume();
}
