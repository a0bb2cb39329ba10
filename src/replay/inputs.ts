// What `replay` reads: finds captures/fixtures and Collector files under the
// given paths, and turns a capture pair into a request.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { BODY_SUFFIX, isSecretHeader, META_SUFFIX, seqOfMetaName, signalOfPath, type CaptureMeta } from '../capture/format.ts';
import { COLLECTOR_SNIFF_BYTES_MAX } from '../config/limits.ts';
import type { Signal } from '../otlp/types.ts';
import { collectorFileProblem } from './collector-file.ts';
import { TABLE_HEADER, type ReplayItem } from './request.ts';

export type InputFile =
  | { kind: 'capture'; meta: string; body: string; bytes: number }
  | { kind: 'collector'; file: string; bytes: number };

/** Names a directory walk takes for Collector file exporter output. */
const COLLECTOR_NAME = /\.(json|jsonl|ndjson)(\.(gz|zst|zstd))?$|\.(gz|zst|zstd)$/i;

/** Files of a capture folder that are not requests (the recorder's notes). */
const NOT_COLLECTOR = /(\.meta\.json|\.decoded\.json|^run\.json)$/;

/** What replay reads, for the message that refuses anything else. */
const ACCEPTED =
  'replay reads capture folders and files (NNNN.meta.json + NNNN.body.bin, from serve --capture or recorded fixtures) ' +
  'and OpenTelemetry Collector file exporter output (one OTLP JSON export request per line, plain, gzip or zstd)';

/** A Collector file as an input, or an error naming the file and what replay accepts. */
async function collectorInput(file: string, size: number): Promise<InputFile> {
  const problem = await collectorFileProblem(file, COLLECTOR_SNIFF_BYTES_MAX);
  if (problem !== undefined) throw new Error(`${file} is not a capture, a fixture or a Collector file: ${problem}. ${ACCEPTED}`);
  return { kind: 'collector', file, bytes: size };
}

async function captureInput(meta: string): Promise<InputFile> {
  const body = meta.slice(0, -META_SUFFIX.length) + BODY_SUFFIX;
  const bytes = await fsp.stat(body).then((s) => s.size, () => 0);
  return { kind: 'capture', meta, body, bytes };
}

/** A directory in name order: its captures (numerically), or else its Collector files; then sub-directories. */
async function walk(dir: string, out: InputFile[]): Promise<void> {
  const entries = (await fsp.readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const metas = entries.filter((e) => e.isFile() && seqOfMetaName(e.name) !== undefined);
  metas.sort((a, b) => seqOfMetaName(a.name)! - seqOfMetaName(b.name)!);
  for (const e of metas) out.push(await captureInput(path.join(dir, e.name)));
  if (metas.length === 0) {
    for (const e of entries) {
      if (!e.isFile() || !COLLECTOR_NAME.test(e.name) || NOT_COLLECTOR.test(e.name)) continue;
      const file = path.join(dir, e.name);
      out.push(await collectorInput(file, (await fsp.stat(file)).size));
    }
  }
  for (const e of entries) if (e.isDirectory()) await walk(path.join(dir, e.name), out);
}

/**
 * Every input under `args`, in a stable order. A directory is searched
 * recursively; a file named NNNN.meta.json or NNNN.body.bin is that capture;
 * any other file must be Collector file exporter output, judged by its first
 * line, or the whole run is refused before anything is sent.
 */
export async function discoverInputs(args: readonly string[]): Promise<InputFile[]> {
  const out: InputFile[] = [];
  for (const arg of args) {
    const st = await fsp.stat(arg).catch(() => undefined);
    if (!st) throw new Error(`${arg}: no such file or directory`);
    if (st.isDirectory()) {
      await walk(arg, out);
      continue;
    }
    const name = path.basename(arg);
    if (seqOfMetaName(name) !== undefined) out.push(await captureInput(arg));
    else if (/^\d+\.body\.bin$/.test(name)) out.push(await captureInput(arg.slice(0, -BODY_SUFFIX.length) + META_SUFFIX));
    else if (!st.isFile()) throw new Error(`${arg} is not a regular file or a directory. ${ACCEPTED}`);
    else out.push(await collectorInput(arg, st.size));
  }
  const seen = new Set<string>();
  return out.filter((f) => {
    const key = path.resolve(f.kind === 'capture' ? f.meta : f.file);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// Set by the HTTP client for each connection, or by replay itself; accept-encoding
// is dropped so answers come back uncompressed, which is all replay reads.
const NOT_FORWARDED = new Set([
  'host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'expect', 'te', 'upgrade',
  'accept-encoding', 'content-type', 'content-encoding', TABLE_HEADER,
]);

/** A capture pair as a request; a missing or malformed pair is a bad input, not a crash. */
export async function readCapture(input: Extract<InputFile, { kind: 'capture' }>): Promise<ReplayItem> {
  const source = input.meta;
  let meta: Partial<CaptureMeta>;
  let body: Buffer;
  try {
    meta = JSON.parse(await fsp.readFile(input.meta, 'utf8')) as Partial<CaptureMeta>;
    body = await fsp.readFile(input.body);
  } catch (e) {
    return { kind: 'bad', source, message: `cannot read capture: ${(e as Error).message}`, inputBytes: input.bytes };
  }
  const headers = meta.headers ?? {};
  const signal: Signal | undefined = meta.signal ?? signalOfPath(meta.path ?? '');
  if (signal === undefined) return { kind: 'bad', source, message: `path ${JSON.stringify(meta.path)} is not an export path`, inputBytes: body.length };
  if (typeof meta.bodyLength === 'number' && meta.bodyLength !== body.length) {
    return { kind: 'bad', source, message: `body is ${body.length} bytes, the meta file says ${meta.bodyLength}`, inputBytes: body.length };
  }
  const forwarded: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (typeof v === 'string' && !NOT_FORWARDED.has(k.toLowerCase()) && !isSecretHeader(k)) forwarded[k.toLowerCase()] = v;
  }
  return {
    kind: 'request',
    source,
    signal,
    path: meta.path ?? `/api/2.0/otel/v1/${signal}`,
    table: headers[TABLE_HEADER] ?? meta.table ?? undefined,
    contentType: headers['content-type'] ?? meta.contentType ?? 'application/x-protobuf',
    contentEncoding: headers['content-encoding'] ?? meta.contentEncoding ?? undefined,
    headers: forwarded,
    body,
    inputBytes: body.length,
  };
}
