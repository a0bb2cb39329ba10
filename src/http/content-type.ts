// Which OTLP wire encoding a Content-Type names.
import { OtlpError } from '../errors.ts';
import type { WireEncoding } from '../otlp/types.ts';

export function parseContentType(header: string | undefined | null): WireEncoding {
  const media = (header ?? '').split(';')[0]!.trim().toLowerCase();
  if (media === 'application/x-protobuf' || media === 'application/protobuf') return 'protobuf';
  if (media === 'application/json') return 'json';
  const got = header ? JSON.stringify(header) : 'none';
  throw new OtlpError(
    'unsupported_media',
    `unsupported Content-Type ${got}: send application/x-protobuf or application/json`,
  );
}

/** The encoding to answer in: the request's when we understood it, else JSON. */
export function responseEncoding(header: string | undefined | null): WireEncoding {
  try {
    return parseContentType(header);
  } catch {
    return 'json';
  }
}

export const CONTENT_TYPE: Record<WireEncoding, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};
