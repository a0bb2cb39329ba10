// Reads the OpenTelemetry Collector file exporter's output: one OTLP JSON
// export request per line, plain, gzip or zstd, or the exporter's older
// compressed form (each request zstd-compressed behind a 4-byte length).
import { createReadStream, promises as fsp, type ReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { StringDecoder } from 'node:string_decoder';
import { Transform, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import { decompress as zstdDecompress, Decompress as ZstdDecompress } from 'fzstd';
import type { Signal } from '../otlp/types.ts';
import type { ReplayItem } from './request.ts';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

const startsWith = (b: Uint8Array, magic: number[], at = 0): boolean => magic.every((x, i) => b[at + i] === x);

export type CollectorLayout = 'lines' | 'gzip-lines' | 'zstd-lines' | 'length-prefixed-zstd' | 'length-prefixed';

/** Tells the layouts apart by their first bytes, whatever the file is called. */
export function sniffLayout(head: Uint8Array): CollectorLayout {
  if (startsWith(head, GZIP_MAGIC)) return 'gzip-lines';
  if (startsWith(head, ZSTD_MAGIC)) return 'zstd-lines';
  if (head.length >= 8 && startsWith(head, ZSTD_MAGIC, 4)) return 'length-prefixed-zstd';
  // JSON text starts with a brace or whitespace; a big-endian length of a few MiB starts with a zero byte.
  if (head.length >= 4 && head[0] === 0) return 'length-prefixed';
  return 'lines';
}

const ROOT_KEYS: Record<string, Signal> = {
  resourceMetrics: 'metrics',
  resource_metrics: 'metrics',
  resourceLogs: 'logs',
  resource_logs: 'logs',
  resourceSpans: 'traces',
  resource_spans: 'traces',
};

/** The signal of one OTLP JSON export request, from its top-level key. */
export function signalOfJson(text: string): Signal | 'not-json' | undefined {
  // The Collector writes the one key first; skip the full parse for that case.
  const first = /^\s*\{\s*"([A-Za-z_]+)"\s*:\s*\[/.exec(text)?.[1];
  if (first !== undefined && ROOT_KEYS[first] !== undefined) return ROOT_KEYS[first];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'not-json';
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const key = Object.entries(parsed).find(([k, v]) => ROOT_KEYS[k] !== undefined && v != null)?.[0];
  return key === undefined ? undefined : ROOT_KEYS[key];
}

function lineItem(text: string, source: string, inputBytes: number): ReplayItem | undefined {
  if (text.trim() === '') return undefined;
  const signal = signalOfJson(text);
  if (signal === 'not-json' || signal === undefined) {
    const why = signal === 'not-json' ? 'is not JSON' : 'has none of resourceMetrics, resourceLogs, resourceSpans';
    return { kind: 'bad', source, message: `${why}: ${text.slice(0, 80)}`, inputBytes };
  }
  return {
    kind: 'request',
    source,
    signal,
    path: `/api/2.0/otel/v1/${signal}`,
    table: undefined,
    contentType: 'application/json',
    contentEncoding: undefined,
    headers: {},
    body: Buffer.from(text, 'utf8'),
    inputBytes,
  };
}

/** fzstd's streaming decoder as a Node stream; it accepts concatenated frames. */
function zstdStream(): Transform {
  const decoder = new ZstdDecompress();
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        decoder.push(chunk);
        done();
      } catch (e) {
        done(new Error(`not valid zstd data: ${(e as Error).message}`));
      }
    },
    flush(done) {
      try {
        decoder.push(new Uint8Array(0), true);
        done();
      } catch (e) {
        done(new Error(`zstd data ends early: ${(e as Error).message}`));
      }
    },
  });
  // The decoder may reuse its window, so each piece is copied out.
  decoder.ondata = (data) => t.push(Buffer.from(data));
  return t;
}

async function* lineItems(file: string, layout: CollectorLayout): AsyncGenerator<ReplayItem> {
  const raw: ReadStream = createReadStream(file);
  let text: Readable = raw;
  if (layout === 'gzip-lines') text = raw.pipe(zlib.createGunzip());
  if (layout === 'zstd-lines') text = raw.pipe(zstdStream());
  // A failure of the file or the decompressor surfaces through the last stream.
  if (text !== raw) raw.on('error', (e) => text.destroy(e));
  const lines = createInterface({ input: text, crlfDelay: Infinity });
  let lineNo = 0;
  let reported = 0;
  try {
    for await (const line of lines) {
      lineNo += 1;
      // Files saved by some editors start with a byte order mark, which JSON does not allow.
      const text = lineNo === 1 ? line.replace(/^\uFEFF/, '') : line;
      const item = lineItem(text, `${file}:${lineNo}`, raw.bytesRead - reported);
      if (item) {
        reported = raw.bytesRead;
        yield item;
      }
    }
  } catch (e) {
    yield { kind: 'bad', source: `${file}:${lineNo + 1}`, message: `cannot read the rest of the file: ${(e as Error).message}`, inputBytes: 0 };
  } finally {
    raw.destroy();
  }
}

/** The older compressed layout: [uint32 big-endian length][zstd frame], repeated; each frame is one JSON request. */
function* lengthPrefixedItems(file: string, data: Buffer): Generator<ReplayItem> {
  let at = 0;
  for (let n = 1; at < data.length; n++) {
    const source = `${file}#${n}`;
    const size = at + 4 <= data.length ? data.readUInt32BE(at) : -1;
    if (size < 0 || at + 4 + size > data.length) {
      yield { kind: 'bad', source, message: `truncated record at byte ${at}`, inputBytes: data.length - at };
      return;
    }
    const frame = data.subarray(at + 4, at + 4 + size);
    at += 4 + size;
    let text: string;
    try {
      text = Buffer.from(zstdDecompress(frame)).toString('utf8');
    } catch (e) {
      yield { kind: 'bad', source, message: `record is not valid zstd: ${(e as Error).message}`, inputBytes: 4 + size };
      continue;
    }
    const item = lineItem(text, source, 4 + size);
    if (item) yield item;
  }
}

/**
 * The opening of the decompressed text, up to `max` bytes, or less once the
 * first non-blank line has ended; `whole` when that line is complete.
 */
async function firstLine(file: string, layout: CollectorLayout, max: number): Promise<{ line: string | undefined; whole: boolean }> {
  const raw: ReadStream = createReadStream(file);
  let text: Readable = raw;
  if (layout === 'gzip-lines') text = raw.pipe(zlib.createGunzip());
  if (layout === 'zstd-lines') text = raw.pipe(zstdStream());
  if (text !== raw) raw.on('error', (e) => text.destroy(e));
  // A decoder, so a character split between two chunks is not garbled.
  const utf8 = new StringDecoder('utf8');
  let head = '';
  let ended = false;
  try {
    for await (const chunk of text) {
      head += utf8.write(chunk as Buffer);
      if (head.length >= max || /\S[^\n]*\n/.test(head)) break;
    }
    ended = !/\S[^\n]*\n/.test(head) && head.length < max;
  } catch {
    // Damage further on is reported line by line when the file is read; the opening is what counts here.
  } finally {
    raw.destroy();
    text.destroy();
  }
  const lines = head.slice(0, max).replace(/^\uFEFF/, '').split('\n');
  const at = lines.findIndex((l) => l.trim() !== '');
  if (at < 0) return { line: undefined, whole: true };
  return { line: lines[at], whole: at < lines.length - 1 || ended };
}

/** The first bytes of a file, enough to tell its layout. */
async function readHead(file: string): Promise<Buffer> {
  const handle = await fsp.open(file, 'r');
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await handle.read(head, 0, 8, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Why `file` is not Collector file exporter output, or undefined when it is:
 * its first line (after decompression) must be an OTLP JSON export request. An
 * empty file is a Collector file that received nothing yet.
 */
export async function collectorFileProblem(file: string, sniffBytesMax: number): Promise<string | undefined> {
  const head = await readHead(file);
  if (head.length === 0) return undefined;
  const layout = sniffLayout(head);
  // Refused with its own explanation when read: the proto form names no signal.
  if (layout === 'length-prefixed') return undefined;
  if (layout === 'length-prefixed-zstd') {
    const first = lengthPrefixedItems(file, await fsp.readFile(file)).next();
    return first.done || first.value.kind === 'request' ? undefined : `its first record: ${first.value.message}`;
  }
  const { line, whole } = await firstLine(file, layout, sniffBytesMax);
  if (line === undefined) return undefined;
  const shown = JSON.stringify(line.slice(0, 60));
  if (!whole) {
    // A first line longer than the limit: only its opening is checked; the Collector writes the signal's key first.
    const key = /^\s*\{\s*"([A-Za-z_]+)"\s*:/.exec(line)?.[1];
    return key !== undefined && ROOT_KEYS[key] !== undefined ? undefined : `its first line does not open an OTLP export request: ${shown}`;
  }
  const signal = signalOfJson(line);
  if (signal === 'not-json') return `its first line is not JSON: ${shown}`;
  if (signal === undefined) return `its first line has none of resourceMetrics, resourceLogs, resourceSpans: ${shown}`;
  return undefined;
}

/** Every export request in one Collector file, in file order. */
export async function* readCollectorFile(file: string): AsyncGenerator<ReplayItem> {
  const head = await readHead(file);
  if (head.length === 0) return;
  const layout = sniffLayout(head);
  if (layout === 'length-prefixed') {
    const message =
      'looks like length-prefixed protobuf (the file exporter\'s format: proto), which names no signal; export with format: json';
    yield { kind: 'bad', source: file, message, inputBytes: (await fsp.stat(file)).size };
    return;
  }
  // Files of this layout are bounded by the exporter's rotation size, so reading one whole is fine.
  if (layout === 'length-prefixed-zstd') yield* lengthPrefixedItems(file, await fsp.readFile(file));
  else yield* lineItems(file, layout);
}
