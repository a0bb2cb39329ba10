// OTLP/JSON request bodies: parse, bring into the shape protobufjs' fromObject expects, convert.
//
// Wide integers are kept exact before parsing (json-int.ts). After parsing,
// OTLP/JSON still differs from what fromObject reads in three ways, fixed in
// one walk guided by the message types: trace and span ids are hex (fromObject
// would read base64), field names may be the proto snake_case names, and
// scalars may be spelled as strings ("true", "9") where fromObject would
// coerce them wrongly. Unknown keys are left in place; fromObject never reads them.
import protobuf from 'protobufjs';
import { OtlpError } from '../errors.ts';
import { quoteWideIntegers } from './json-int.ts';
import type { SignalTypes } from './schema.ts';

type FieldKind = 'message' | 'hexId' | 'int64' | 'enum' | 'bool' | 'plain';

type FieldPlan = {
  /** protobufjs' (camelCase) field name, the key fromObject reads. */
  name: string;
  kind: FieldKind;
  repeated: boolean;
  /** Only for kind 'message'. */
  type: protobuf.Type | null;
};

// The OTLP/JSON spec makes exactly these bytes fields hex; every other bytes
// field (AnyValue.bytesValue) stays base64.
const HEX_ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

const LONG_TYPES = new Set(Object.keys(protobuf.types.long));

// protobufjs' own limit for nested messages (fromObject and decode); the walk
// stops at the same depth so that deep nesting fails with our message.
const MAX_DEPTH = 100;

const plans = new Map<protobuf.Type, Map<string, FieldPlan>>();

function planFor(type: protobuf.Type): Map<string, FieldPlan> {
  let plan = plans.get(type);
  if (plan) return plan;
  plan = new Map();
  for (const field of type.fieldsArray) {
    field.resolve();
    const resolved = field.resolvedType;
    let kind: FieldKind = 'plain';
    if (resolved instanceof protobuf.Type) kind = 'message';
    else if (resolved instanceof protobuf.Enum) kind = 'enum';
    else if (field.type === 'bytes' && HEX_ID_FIELDS.has(field.name)) kind = 'hexId';
    else if (LONG_TYPES.has(field.type)) kind = 'int64';
    else if (field.type === 'bool') kind = 'bool';
    const fp: FieldPlan = {
      name: field.name,
      kind,
      repeated: field.repeated,
      type: resolved instanceof protobuf.Type ? resolved : null,
    };
    plan.set(field.name, fp);
    // protoName is the .proto spelling (snake_case), which OTLP/JSON receivers must also accept.
    plan.set(field.protoName, fp);
  }
  plans.set(type, plan);
  return plan;
}

/** A shape problem at a known place in the document; turned into OtlpError by the caller. */
class ShapeError extends Error {}

/**
 * A number of 10^15 or more where a field value goes: it may have been an
 * integer literal of 16+ digits that JSON.parse rounded. The body is then
 * parsed again with such literals kept exact (json-int.ts); bodies without
 * one, nearly all of them, skip that scan of the whole text.
 */
class MaybeRounded extends Error {}

const WIDE = 1e15;
const mayBeRounded = (v: unknown): boolean => typeof v === 'number' && (v >= WIDE || v <= -WIDE);

/** Also looks inside arrays and objects: fromObject turns a scalar field's odd value into text. */
function holdsRounded(v: unknown, depth = 0): boolean {
  if (typeof v !== 'object' || v === null) return mayBeRounded(v);
  if (depth > MAX_DEPTH) return true;
  return Object.values(v).some((x) => holdsRounded(x, depth + 1));
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const DECIMAL = /^-?\d+$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
const LOW_32 = 0xffffffffn;

function int64Value(v: unknown): unknown {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new ShapeError(`expected an integer, got ${v}`);
    return v;
  }
  if (typeof v !== 'string') throw new ShapeError(`expected an integer, got ${typeof v}`);
  if (DECIMAL.test(v)) {
    // Up to 15 digits a double holds the value exactly, and fromObject takes numbers cheaply.
    if (v.length <= 15) return Number(v);
    const big = BigInt(v);
    // protobufjs' Long.fromString silently wraps out-of-range values.
    if (v.length > 19 && (big < INT64_MIN || big > UINT64_MAX)) throw new ShapeError(`integer out of 64-bit range: ${v}`);
    // The 64 bits as fromObject takes them ({low, high}): the same bits
    // Long.fromString would compute from the text, at a third of its cost.
    const bits = BigInt.asUintN(64, big);
    return { low: Number(bits & LOW_32) | 0, high: Number(bits >> 32n) | 0 };
  }
  // The proto3 JSON mapping also allows forms such as "1e3"; Long.fromString
  // would read those as garbage, so go through a double (exact for such forms).
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isInteger(n)) throw new ShapeError(`expected an integer, got ${JSON.stringify(v.slice(0, 40))}`);
  return n;
}

function scalarValue(fp: FieldPlan, v: unknown): unknown {
  switch (fp.kind) {
    case 'hexId':
      if (typeof v !== 'string') throw new ShapeError(`expected a hex string, got ${typeof v}`);
      if (!HEX.test(v)) throw new ShapeError(`not a hex id: ${JSON.stringify(v.slice(0, 40))}`);
      return Buffer.from(v, 'hex');
    case 'int64':
      return int64Value(v);
    case 'enum':
      // fromObject matches numbers and names, but not a number in a string.
      return typeof v === 'string' && DECIMAL.test(v) ? Number(v) : v;
    case 'bool':
      if (v === 'true') return true;
      if (v === 'false') return false;
      if (typeof v === 'string') throw new ShapeError(`expected a boolean, got ${JSON.stringify(v.slice(0, 40))}`);
      return v;
    default:
      return v;
  }
}

// `guard`: numbers that may have been rounded stop the walk (MaybeRounded). It is
// checked before any other test of a value, so the walk up to that point, errors
// included, is the same as over the exact parse, where only such values differ.
function normaliseValue(fp: FieldPlan, v: unknown, path: (string | number)[], depth: number, guard: boolean): unknown {
  if (guard && (fp.type === null ? holdsRounded(v) : mayBeRounded(v))) throw new MaybeRounded();
  if (fp.type === null) return scalarValue(fp, v);
  if (!isObject(v)) throw new ShapeError(`expected an object, got ${Array.isArray(v) ? 'an array' : typeof v}`);
  normaliseMessage(fp.type, v, path, depth + 1, guard);
  return v;
}

function normaliseMessage(
  type: protobuf.Type,
  obj: Record<string, unknown>,
  path: (string | number)[],
  depth: number,
  guard: boolean,
): void {
  if (depth > MAX_DEPTH) throw new ShapeError(`nested more than ${MAX_DEPTH} messages deep`);
  const plan = planFor(type);
  for (const key of Object.keys(obj)) {
    const fp = plan.get(key);
    if (fp === undefined) continue;
    let v = obj[key];
    if (key !== fp.name) {
      delete obj[key];
      obj[fp.name] = v;
    }
    if (v === null || v === undefined) continue;
    if (guard && mayBeRounded(v)) throw new MaybeRounded();
    path.push(fp.name);
    if (fp.repeated) {
      if (!Array.isArray(v)) throw new ShapeError(`expected an array, got ${typeof v}`);
      for (let i = 0; i < v.length; i++) {
        path.push(i);
        v[i] = normaliseValue(fp, v[i], path, depth, guard);
        path.pop();
      }
    } else {
      v = normaliseValue(fp, v, path, depth, guard);
      obj[fp.name] = v;
    }
    path.pop();
  }
}

function formatPath(path: (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * The parsed and normalised request. `exact` quotes wide integer literals
 * before parsing; without it a body that may need that (MaybeRounded), or that
 * does not parse, is handed to the exact path, whose errors are the ones reported.
 */
function normalisedBody(types: SignalTypes, text: string, exact: boolean): Record<string, unknown> {
  const what = `${types.requestName} as JSON`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(exact ? quoteWideIntegers(text) : text);
  } catch (e) {
    if (!exact) throw new MaybeRounded();
    throw new OtlpError('invalid', `could not decode ${what}: ${describe(e)}`, { cause: e });
  }
  if (!isObject(parsed)) {
    if (!exact && mayBeRounded(parsed)) throw new MaybeRounded();
    const got = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed;
    throw new OtlpError('invalid', `could not decode ${what}: expected a JSON object at the top level, got ${got}`);
  }
  const path: (string | number)[] = [];
  try {
    normaliseMessage(types.request, parsed, path, 0, !exact);
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
    throw new OtlpError('invalid', `could not decode ${what}: ${formatPath(path) || '(top level)'}: ${e.message}`, { cause: e });
  }
  return parsed;
}

/** Decodes an OTLP/JSON request body into protobufjs message instances of `types.request`. */
export function decodeJsonRequest(types: SignalTypes, body: Uint8Array): unknown {
  const what = `${types.requestName} as JSON`;
  let text: string;
  try {
    text = utf8.decode(body);
  } catch (e) {
    throw new OtlpError('invalid', `could not decode ${what}: body is not valid UTF-8`, { cause: e });
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = normalisedBody(types, text, false);
  } catch (e) {
    if (!(e instanceof MaybeRounded)) throw e;
    parsed = normalisedBody(types, text, true);
  }
  try {
    return types.request.fromObject(parsed);
  } catch (e) {
    throw new OtlpError('invalid', `could not decode ${what}: ${describe(e)}`, { cause: e });
  }
}
