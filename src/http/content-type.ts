// Which OTLP wire encoding a Content-Type names.
import { OtlpError } from '../errors.ts';
import type { WireEncoding } from '../otlp/types.ts';

/** Labels of UTF-8 (WHATWG's list has both); OTLP JSON is UTF-8 and is decoded as nothing else. */
const UTF8_LABELS = new Set(['utf-8', 'utf8']);

/** The media type's parameters, names lower-cased, quoted values unquoted (RFC 9110 section 5.6.6). */
function parameters(header: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /;\s*([^\s;=]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
  for (const m of header.matchAll(re)) {
    const raw = m[2]!.trim();
    const value = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    params.set(m[1]!.toLowerCase(), value);
  }
  return params;
}

export function parseContentType(header: string | undefined | null): WireEncoding {
  const media = (header ?? '').split(';')[0]!.trim().toLowerCase();
  if (media === 'application/x-protobuf' || media === 'application/protobuf') return 'protobuf';
  if (media === 'application/json') {
    const charset = parameters(header!).get('charset');
    if (charset !== undefined && !UTF8_LABELS.has(charset.trim().toLowerCase())) {
      throw new OtlpError(
        'unsupported_media',
        `unsupported charset ${JSON.stringify(charset)} in Content-Type: OTLP JSON is read as UTF-8 only; send charset=utf-8 or no charset`,
      );
    }
    return 'json';
  }
  const got = header ? JSON.stringify(header) : 'none';
  throw new OtlpError(
    'unsupported_media',
    `unsupported Content-Type ${got}: send application/x-protobuf or application/json`,
  );
}

/** The encoding to answer in: the request's media type when we understood it, else JSON. */
export function responseEncoding(header: string | undefined | null): WireEncoding {
  const media = (header ?? '').split(';')[0]!.trim().toLowerCase();
  return media === 'application/x-protobuf' || media === 'application/protobuf' ? 'protobuf' : 'json';
}

export const CONTENT_TYPE: Record<WireEncoding, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};
