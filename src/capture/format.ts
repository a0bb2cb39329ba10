// The capture file layout (NNNN.meta.json + NNNN.body.bin), shared by the
// capture writer and the replay reader, and the only headers that reach disk.
import type { Signal } from '../otlp/types.ts';

export const META_SUFFIX = '.meta.json';
export const BODY_SUFFIX = '.body.bin';
/** Bumped when a field changes meaning; readers accept metas without it (recorded fixtures). */
export const CAPTURE_FORMAT_VERSION = 1;

/** What `NNNN.meta.json` holds. Fields after `bodyLength` are absent in older recordings. */
export type CaptureMeta = {
  captureFormat?: number;
  seq: number;
  /** ISO 8601 time the request arrived. */
  receivedAt: string;
  method: string;
  path: string;
  /** Lower-cased header names; only the headers known to be safe (RECORDED_HEADERS). */
  headers: Record<string, string>;
  /** Header names and values as sent, alternating; only the headers known to be safe. */
  rawHeaders: string[];
  /** Bytes in NNNN.body.bin: the body as received, before content decoding. */
  bodyLength: number;
  signal?: Signal;
  /** The X-Databricks-UC-Table-Name header as sent, or null when there was none. */
  tableHeader?: string | null;
  /** The table the rows went to (the header, or the server's default table). */
  table?: string;
  contentType?: string | null;
  contentEncoding?: string | null;
  /** Records stored and records refused (partial success) when it was accepted. */
  rows?: number;
  rejected?: number;
};

/**
 * The only headers a capture keeps: what a replay needs to send the body again
 * and what tells clients apart. A list of what is safe, not of what is secret:
 * vendors put credentials in headers of every name (X-Honeycomb-Team, X-Auth,
 * X-Signature, ...), and no pattern of names catches them all. Host is kept:
 * it is this server's own address as the client saw it.
 */
const RECORDED_HEADERS = new Set([
  'content-type',
  'content-encoding',
  'content-length',
  'transfer-encoding',
  'user-agent',
  'accept',
  'accept-encoding',
  'host',
  'x-databricks-uc-table-name',
]);

export const isRecordedHeader = (name: string): boolean => RECORDED_HEADERS.has(name.toLowerCase());

/**
 * True for every header not known to be safe, which may carry a credential;
 * replay forwards none of them, from whichever capture it reads.
 */
export const isSecretHeader = (name: string): boolean => !isRecordedHeader(name);

/** Zero-padded to four digits like the recorded fixtures; wider numbers simply grow. */
export const seqName = (seq: number): string => String(seq).padStart(4, '0');

/** The sequence number of a `NNNN.meta.json` file name, or undefined for any other name. */
export function seqOfMetaName(file: string): number | undefined {
  const m = /^(\d+)\.meta\.json$/.exec(file);
  return m ? Number(m[1]) : undefined;
}

/** The signal an export path ends in (`/v1/logs`, `/api/2.0/otel/v1/traces`). */
export function signalOfPath(p: string): Signal | undefined {
  const last = p.split('?')[0]!.split('/').filter(Boolean).pop();
  return last === 'metrics' || last === 'logs' || last === 'traces' ? last : undefined;
}

/** The recorded incoming headers, one string per name (repeats joined as HTTP does). */
export function publicHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || !isRecordedHeader(name)) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The recorded raw header name/value pairs, in the order sent. */
export function publicRawHeaders(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (isRecordedHeader(raw[i]!)) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}
