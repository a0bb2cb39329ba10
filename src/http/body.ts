// Reads a request body from the Node stream with a byte cap, so an oversized or
// endless (chunked) body is refused while it streams, not after it is buffered.
import type { IncomingMessage } from 'node:http';
import { OtlpError } from '../errors.ts';

/**
 * `admit(n)` is asked before each chunk is kept; when it refuses, the request
 * is answered 429 (too much request data is in memory across all requests).
 */
export async function readBody(
  incoming: IncomingMessage,
  maxBytes: number,
  admit: (n: number) => boolean = () => true,
): Promise<Buffer> {
  const declared = Number(incoming.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new OtlpError('too_large', `request body of ${declared} bytes is over the limit of ${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of incoming) {
      const buf = chunk as Buffer;
      total += buf.length;
      if (total > maxBytes) {
        throw new OtlpError('too_large', `request body is over the limit of ${maxBytes} bytes`);
      }
      if (!admit(buf.length)) {
        throw new OtlpError('overloaded', 'the server holds as much request data as it may; retry later', {
          retryAfterSeconds: 1,
        });
      }
      chunks.push(buf);
    }
  } catch (e) {
    if (e instanceof OtlpError) throw e;
    throw new OtlpError('invalid', `request body could not be read: ${(e as Error).message}`);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}
