// Wire bytes in which singular embedded-message fields come more than once:
// decoding merges the occurrences as if their payloads were one message, so
// a sender may split such a field anywhere. Built by hand (`field`, `enc`)
// for the cases the tests name, and by `splitSingulars` for whole requests.
import protobuf from 'protobufjs';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';

const root = SIGNAL_TYPES.logs.request.root;

/** A message of the named OTLP type (e.g. 'common.v1.AnyValue') encoded from a fromObject form. */
export function enc(type: string, obj: object): Uint8Array {
  const t = root.lookupType(`opentelemetry.proto.${type}`);
  return t.encode(t.fromObject(obj)).finish();
}

export function cat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** One length-delimited field whose payload is `parts` concatenated. */
export function field(no: number, ...parts: Uint8Array[]): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((no << 3) | 2).bytes(cat(...parts));
  return w.finish();
}

/** One varint field (a scalar in the hand-built messages). */
export function varint(no: number, v: number): Uint8Array {
  return protobuf.Writer.create()
    .uint32(no << 3)
    .uint32(v)
    .finish();
}

type Entry = { no: number; wt: number; start: number; end: number; payload?: [number, number] };

/** The top-level fields of a message's bytes, in wire order. */
function entries(bytes: Uint8Array): Entry[] {
  const r = protobuf.Reader.create(bytes);
  const out: Entry[] = [];
  while (r.pos < r.len) {
    const start = r.pos;
    const tag = r.uint32();
    const e: Entry = { no: tag >>> 3, wt: tag & 7, start, end: 0 };
    if (e.wt === 2) {
      const n = r.uint32();
      e.payload = [r.pos, r.pos + n];
      r.pos += n;
    } else r.skipType(e.wt);
    e.end = r.pos;
    out.push(e);
  }
  return out;
}

/** `payload` cut between its top-level fields into `parts` runs (some may be empty): concatenated, they are `payload`. */
function cut(payload: Uint8Array, parts: number, r: () => number): Uint8Array[] {
  const bounds = [0, ...entries(payload).map((e) => e.end)];
  const cuts = Array.from({ length: parts - 1 }, () => bounds[Math.floor(r() * bounds.length)] as number).sort((a, b) => a - b);
  const at = [0, ...cuts, payload.length];
  return at.slice(1).map((end, i) => payload.subarray(at[i] as number, end));
}

/**
 * `bytes` (a message of `type`) with every embedded message rewritten the
 * same way and, with probability `p`, each singular one sent as two or three
 * consecutive occurrences that each hold a run of its fields: the same
 * message once decoded.
 */
export function splitSingulars(type: protobuf.Type, bytes: Uint8Array, r: () => number, p = 0.5): Uint8Array {
  const out: Uint8Array[] = [];
  for (const e of entries(bytes)) {
    const f = type.fieldsById[e.no];
    const sub = f?.resolve().resolvedType;
    if (e.payload === undefined || f === undefined || !(sub instanceof protobuf.Type)) {
      out.push(bytes.subarray(e.start, e.end));
      continue;
    }
    const payload = splitSingulars(sub, bytes.subarray(...e.payload), r, p);
    if (f.repeated || f.map || r() >= p) out.push(field(e.no, payload));
    else for (const part of cut(payload, r() < 0.7 ? 2 : 3, r)) out.push(field(e.no, part));
  }
  return cat(...out);
}
