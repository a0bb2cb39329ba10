// The `_last_checkpoint` hint: reading it defensively, writing it atomically,
// and the protocol's canonical-JSON MD5 checksum that guards it.
import { createHash } from 'node:crypto';
import { LAST_CHECKPOINT } from './checkpoint-schema.ts';
import { readLogText, replaceLogFile } from './log-files.ts';
import { parseJson, stringifyJson, type JsonObject, type JsonValue } from './json.ts';

export type LastCheckpoint = {
  version: number;
  /** Actions (rows) in the checkpoint. */
  size: number;
  sizeInBytes?: number;
  numOfAddFiles?: number;
};

// Unreserved octets per the protocol's rules; everything else is %XX, upper case.
function urlEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalPairs(v: JsonValue, pathText: string, out: Array<[string, string]>): void {
  if (v !== null && typeof v === 'object') {
    const entries: Array<[string, JsonValue | undefined]> = Array.isArray(v)
      ? v.map((item, i) => [String(i), item])
      : Object.entries(v).map(([k, item]) => [`"${urlEncode(k)}"`, item]);
    for (const [key, item] of entries) {
      if (item !== undefined) canonicalPairs(item, pathText === '' ? key : `${pathText}+${key}`, out);
    }
    return;
  }
  out.push([pathText, typeof v === 'string' ? `"${urlEncode(v)}"` : stringifyJson(v)]);
}

/** MD5 (hex) of the canonical form of `doc`, ignoring its top-level `checksum`. */
export function lastCheckpointChecksum(doc: JsonObject): string {
  const pairs: Array<[string, string]> = [];
  const rest: JsonObject = {};
  for (const [k, v] of Object.entries(doc)) if (k !== 'checksum') rest[k] = v;
  canonicalPairs(rest, '', pairs);
  // Byte order of the UTF-8 paths; Buffer.compare gives exactly that.
  pairs.sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
  const text = pairs.map(([p, v]) => `${p}=${v}`).join(',');
  return createHash('md5').update(text, 'utf8').digest('hex');
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * The hint, or undefined when it is missing, unparsable, fails its checksum or
 * lacks version and size: readers then fall back to listing the log.
 */
export async function readLastCheckpoint(tableDir: string): Promise<LastCheckpoint | undefined> {
  let doc: JsonValue;
  try {
    doc = parseJson(await readLogText(tableDir, LAST_CHECKPOINT));
  } catch {
    return undefined;
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  if (typeof doc.checksum === 'string' && doc.checksum !== lastCheckpointChecksum(doc)) return undefined;
  const { version, size, sizeInBytes, numOfAddFiles } = doc;
  if (!isCount(version) || !isCount(size)) return undefined;
  const out: LastCheckpoint = { version, size };
  if (isCount(sizeInBytes)) out.sizeInBytes = sizeInBytes;
  if (isCount(numOfAddFiles)) out.numOfAddFiles = numOfAddFiles;
  return out;
}

/**
 * Replaces the hint atomically. A hint naming a newer
 * checkpoint is left alone, so racing writers cannot move it backwards for long.
 */
export async function writeLastCheckpoint(tableDir: string, info: LastCheckpoint): Promise<void> {
  const current = await readLastCheckpoint(tableDir);
  if (current && current.version > info.version) return;
  const doc: JsonObject = { ...info };
  doc.checksum = lastCheckpointChecksum(doc);
  // A folder writes a temp file and renames it; an object store replaces the object in one put.
  await replaceLogFile(tableDir, LAST_CHECKPOINT, `${stringifyJson(doc)}\n`);
}
