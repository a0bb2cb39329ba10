// What the protobuf wire format lets through but no row may hold as sent.
//
// Decisions, each the Go protobuf runtime's and so the Collector's:
// - a trace or span id of any length but 16 / 8 bytes (or empty) fails the
//   whole request, naming the field;
// - a varint wider than a uint32/int32/enum field keeps its low 32 bits. The
//   protobuf encoding defines it so for every conforming decoder (it is how
//   int32 -1 travels, as ten bytes), Go and the Collector read it so, and a
//   conforming encoder never writes a wider value for such a field; the value
//   of a 32-bit field on the wire is by definition its low 32 bits, so nothing
//   sent is changed. protobufjs' Reader.uint32 reads it the same way.
import protobuf from 'protobufjs';
import { ID_BYTES, idLengthProblem } from './id-bytes.ts';
import { formatPath, type Path } from './path.ts';

type Plan = {
  /** Id fields of this type, with the length each must have. */
  ids: { name: string; bytes: number }[];
  /** Message fields whose types hold ids somewhere below. */
  children: { name: string; repeated: boolean; type: protobuf.Type }[];
};

const plans = new Map<protobuf.Type, Plan | null>();

const messageType = (f: protobuf.Field): protobuf.Type | null => {
  f.resolve();
  return f.resolvedType instanceof protobuf.Type ? f.resolvedType : null;
};

/**
 * The plan for `type`, or null when no id can be below it, so the walk never
 * enters attributes, bodies and other subtrees that hold none. `open` guards
 * recursive types (AnyValue holds AnyValue): a type being planned counts as
 * holding no ids there. That is exact for OTLP, whose only recursive types
 * (AnyValue, ArrayValue, KeyValueList, KeyValue) hold no ids at all.
 */
function planFor(type: protobuf.Type, open = new Set<protobuf.Type>()): Plan | null {
  const known = plans.get(type);
  if (known !== undefined) return known;
  if (open.has(type)) return null;
  open.add(type);
  const plan: Plan = { ids: [], children: [] };
  for (const f of type.fieldsArray) {
    const bytes = f.type === 'bytes' ? ID_BYTES.get(f.name) : undefined;
    if (bytes !== undefined) {
      plan.ids.push({ name: f.name, bytes });
      continue;
    }
    const child = messageType(f);
    if (child !== null && planFor(child, open) !== null) plan.children.push({ name: f.name, repeated: f.repeated, type: child });
  }
  open.delete(type);
  const result = plan.ids.length > 0 || plan.children.length > 0 ? plan : null;
  plans.set(type, result);
  return result;
}

const HEX_SHOWN_BYTES = 32;

const hexOf = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, HEX_SHOWN_BYTES)).toString('hex') +
  (b.length > HEX_SHOWN_BYTES ? '...' : '');

function walk(type: protobuf.Type, msg: Record<string, unknown>, path: Path): string | null {
  const plan = planFor(type);
  if (plan === null) return null;
  for (const id of plan.ids) {
    const b = msg[id.name] as Uint8Array | null | undefined;
    if (!b) continue;
    const problem = idLengthProblem(id.bytes, b.length);
    if (problem !== null) return `${formatPath([...path, id.name])}: ${problem}: ${hexOf(b)}`;
  }
  for (const c of plan.children) {
    const v = msg[c.name];
    if (v === null || v === undefined) continue;
    if (!c.repeated) {
      path.push(c.name);
      const found = walk(c.type, v as Record<string, unknown>, path);
      path.pop();
      if (found !== null) return found;
      continue;
    }
    const items = v as Record<string, unknown>[];
    for (let i = 0; i < items.length; i++) {
      path.push(c.name, i);
      const found = walk(c.type, items[i] as Record<string, unknown>, path);
      path.length -= 2;
      if (found !== null) return found;
    }
  }
  return null;
}

/**
 * "path: problem" for the first trace or span id of a length no id column
 * holds, or null. Linear in the records; attributes and bodies are not entered.
 */
export function idLengthError(type: protobuf.Type, msg: unknown): string | null {
  return walk(type, msg as Record<string, unknown>, []);
}
