// Writes every accepted export request to a capture folder (serve --capture):
// numbered NNNN.body.bin + NNNN.meta.json pairs that `otlp2delta replay` reads.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { takePidLock } from '../fs/pid-lock.ts';
import type { Signal } from '../otlp/types.ts';
import {
  BODY_SUFFIX,
  CAPTURE_FORMAT_VERSION,
  META_SUFFIX,
  publicHeaders,
  publicRawHeaders,
  seqName,
  seqOfMetaName,
  type CaptureMeta,
} from './format.ts';

const LOCK = '.capture.lock';

export type CapturedRequest = {
  receivedAt: Date;
  signal: Signal;
  /** The table the rows went to, catalog.schema.table. */
  table: string;
  path: string;
  incoming: Pick<IncomingMessage, 'method' | 'headers' | 'rawHeaders'>;
  /** The body exactly as received, still content-encoded. */
  body: Uint8Array;
  rows: number;
  rejected: number;
};

export type CaptureSink = {
  dir: string;
  /**
   * Writes one request. Never throws: the request was already accepted, and a
   * failing capture must not turn that into an error the client would retry.
   */
  record(req: CapturedRequest): Promise<void>;
  /** Waits for writes in progress, then releases the folder. */
  close(): Promise<void>;
};

/** Two processes numbering files in one folder would overwrite each other's captures. */
function lockFolder(dir: string): Promise<void> {
  return takePidLock(
    path.join(dir, LOCK),
    (holder) => new Error(`capture folder ${dir} is in use by process ${holder}; give each server its own --capture folder`),
  );
}

/** Highest sequence number already in the folder, so a restarted server appends. */
async function lastSeq(dir: string): Promise<number> {
  let last = 0;
  for (const f of await fsp.readdir(dir)) {
    const seq = seqOfMetaName(f) ?? /^(\d+)\.body\.bin$/.exec(f)?.[1];
    if (seq !== undefined) last = Math.max(last, Number(seq));
  }
  return last;
}

/** Temp file then rename: a reader of the folder never sees a partly written file. */
async function writeAtomically(dir: string, name: string, data: Uint8Array | string): Promise<void> {
  const tmp = path.join(dir, `.${name}.${randomUUID()}.tmp`);
  try {
    await fsp.writeFile(tmp, data);
    await fsp.rename(tmp, path.join(dir, name));
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

function metaOf(seq: number, req: CapturedRequest): CaptureMeta {
  const headers = publicHeaders(req.incoming.headers);
  return {
    captureFormat: CAPTURE_FORMAT_VERSION,
    seq,
    receivedAt: req.receivedAt.toISOString(),
    method: req.incoming.method ?? 'POST',
    path: req.path,
    headers,
    rawHeaders: publicRawHeaders(req.incoming.rawHeaders),
    bodyLength: req.body.length,
    signal: req.signal,
    tableHeader: headers['x-databricks-uc-table-name'] ?? null,
    table: req.table,
    contentType: headers['content-type'] ?? null,
    contentEncoding: headers['content-encoding'] ?? null,
    rows: req.rows,
    rejected: req.rejected,
  };
}

export async function openCaptureSink(dir: string, log: (line: string) => void): Promise<CaptureSink> {
  const root = path.resolve(dir);
  await fsp.mkdir(root, { recursive: true });
  await lockFolder(root);
  let seq = await lastSeq(root);
  const pending = new Set<Promise<void>>();
  let failures = 0;

  const write = async (n: number, req: CapturedRequest): Promise<void> => {
    // The body goes first: a meta file is the sign that its pair is complete.
    await writeAtomically(root, `${seqName(n)}${BODY_SUFFIX}`, req.body);
    await writeAtomically(root, `${seqName(n)}${META_SUFFIX}`, `${JSON.stringify(metaOf(n, req), null, 2)}\n`);
  };

  return {
    dir: root,
    record(req) {
      // Numbered when accepted, before any await, so numbers follow acceptance order.
      seq += 1;
      const n = seq;
      const p = write(n, req).catch((e: unknown) => {
        failures += 1;
        // One line per failure would flood the log when the disk is full.
        if (failures === 1 || failures % 1000 === 0) {
          log(`capture: could not write request ${n} to ${root} (${failures} failed so far): ${(e as Error).message}`);
        }
      });
      pending.add(p);
      return p.finally(() => pending.delete(p));
    },
    async close() {
      await Promise.all(pending);
      await fsp.rm(path.join(root, LOCK), { force: true });
    },
  };
}
