// A comparison form for OTLP messages: decoded instances and readable JSON renderings map to the same plain object.
//
// Both sides are read through the message types, so key spelling, enum
// spelling, int64 spelling and default-valued fields stop mattering:
// - field keys camelCase; fields at their proto3 default dropped (except
//   oneof members and `optional` fields, whose presence is data);
// - int64 as decimal strings in the field's signedness; enums as numbers;
// - every bytes field as lowercase hex (ids are hex in the fixtures,
//   other bytes base64);
// - each real oneof also as `$<oneof name>`: the member set, if any (for
//   instances, what protobufjs' oneof getter answers).
import protobuf from 'protobufjs';

type Plain = Record<string, unknown>;

const HEX_ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);
const LONG_TYPES = new Set(Object.keys(protobuf.types.long));
const UNSIGNED = new Set(['uint64', 'fixed64']);

const realOneofs = (type: protobuf.Type) => type.oneofsArray.filter((o) => !o.isProto3Optional);

function isDefault(field: protobuf.Field, v: unknown): boolean {
  if (field.hasPresence && field.resolvedType === null) return false;
  if (field.resolvedType instanceof protobuf.Type) return false;
  return v === 0 || v === '' || v === false || v === '0';
}

function scalar(field: protobuf.Field, v: unknown, fromFixture: boolean): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) {
    if (typeof v === 'string') {
      const n = resolved.values[v];
      if (n === undefined) throw new Error(`unknown ${resolved.name} name ${v}`);
      return n;
    }
    return v;
  }
  if (LONG_TYPES.has(field.type)) {
    let big: bigint;
    if (typeof v === 'object' && v !== null && 'low' in v) {
      const l = v as { low: number; high: number };
      big = (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
    } else {
      if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new Error(`inexact int64 in reference: ${v}`);
      big = BigInt(v as string | number);
    }
    return (UNSIGNED.has(field.type) ? BigInt.asUintN(64, big) : BigInt.asIntN(64, big)).toString();
  }
  if (field.type === 'bytes') {
    if (!fromFixture) return Buffer.from(v as Uint8Array).toString('hex');
    const s = v as string;
    return HEX_ID_FIELDS.has(field.name) ? s.toLowerCase() : Buffer.from(s, 'base64').toString('hex');
  }
  if (field.type === 'double' || field.type === 'float') return Number(v);
  return v;
}

function value(field: protobuf.Field, v: unknown, fromFixture: boolean): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return canonical(resolved, v as Plain, fromFixture);
  return scalar(field, v, fromFixture);
}

/** The comparison form of `obj`: a decoded instance (fromFixture false) or a fixture's readable rendering. */
export function canonical(type: protobuf.Type, obj: Plain, fromFixture: boolean): Plain {
  const out: Plain = {};
  for (const field of type.fieldsArray) {
    field.resolve();
    const raw = fromFixture ? (obj[field.name] ?? obj[field.protoName]) : obj[field.name];
    if (raw === null || raw === undefined) continue;
    if (field.repeated) {
      const list = raw as unknown[];
      if (list.length > 0) out[field.name] = list.map((v) => value(field, v, fromFixture));
      continue;
    }
    const v = value(field, raw, fromFixture);
    if (!isDefault(field, v)) out[field.name] = v;
  }
  for (const oneof of realOneofs(type)) {
    // Instances answer through protobufjs' oneof getter; renderings either name
    // the member (`"value": "intValue"`) or just carry it.
    let member: unknown = obj[oneof.name];
    if (fromFixture && typeof member !== 'string') member = oneof.oneof.find((name) => out[name] !== undefined);
    if (member !== undefined) out[`$${oneof.name}`] = member;
  }
  return out;
}
