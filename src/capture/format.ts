// The capture file layout (NNNN.meta.json + NNNN.body.bin), shared by the
// capture writer and the replay reader, and the headers that never reach disk.
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
  /** Lower-cased header names; credentials removed. */
  headers: Record<string, string>;
  /** Header names and values as sent, alternating; credentials removed. */
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
 * Headers that carry credentials. Authorization is the one OTLP exporters use;
 * the others are the usual places a proxy or vendor puts a secret.
 */
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie)$|(api[-_]?key|token|secret|password)/i;

export const isSecretHeader = (name: string): boolean => SECRET_HEADER.test(name);

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

/** Incoming headers without credentials, one string per name (repeats joined as HTTP does). */
export function publicHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || isSecretHeader(name)) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Raw header name/value pairs without credentials. */
export function publicRawHeaders(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!isSecretHeader(raw[i]!)) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}
