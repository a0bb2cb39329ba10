// Content-Encoding handling shared by the HTTP route and offline replay:
// inflate with a hard cap on the output so a small "zip bomb" cannot exhaust memory.
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { OtlpError } from '../errors.ts';

export type ContentEncoding = 'identity' | 'gzip' | 'deflate';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);

/** Parses a Content-Encoding header; anything we cannot undo is a 415. */
export function parseContentEncoding(header: string | undefined | null): ContentEncoding {
  const v = (header ?? '').trim().toLowerCase();
  if (v === '' || v === 'identity') return 'identity';
  if (v === 'gzip' || v === 'x-gzip') return 'gzip';
  if (v === 'deflate') return 'deflate';
  throw new OtlpError('unsupported_media', `unsupported Content-Encoding ${JSON.stringify(header)}: send gzip, deflate or no encoding`);
}

function isTooLarge(e: unknown): boolean {
  return (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError;
}

/** Undoes the content encoding; the result is at most `maxBytes` long. */
export async function decompress(body: Buffer, encoding: ContentEncoding, maxBytes: number): Promise<Buffer> {
  if (encoding === 'identity') return body;
  const opts = { maxOutputLength: maxBytes };
  try {
    if (encoding === 'gzip') return await gunzip(body, opts);
    try {
      return await inflate(body, opts);
    } catch (e) {
      // "deflate" is zlib-wrapped per RFC 9110, but some clients send a raw stream.
      if (isTooLarge(e)) throw e;
      return await inflateRaw(body, opts);
    }
  } catch (e) {
    if (isTooLarge(e)) {
      throw new OtlpError('too_large', `request body is larger than ${maxBytes} bytes after ${encoding} decompression`);
    }
    throw new OtlpError('invalid', `request body is not valid ${encoding} data: ${(e as Error).message}`);
  }
}
