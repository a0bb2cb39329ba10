// OTLP/JSON request bodies: parse, bring into the shape protobufjs' fromObject expects, convert.
//
// Wide integers are kept exact before parsing (json-int.ts). After parsing,
// OTLP/JSON still differs from what fromObject reads in three ways, fixed in
// one walk guided by the message types: trace and span ids are hex (fromObject
// would read base64), field names may be the proto snake_case names, and
// scalars may be spelled as strings ("true", "9") where fromObject would
// coerce them wrongly. The same walk refuses every value fromObject would
// store as something other than what was sent (json-scalars.ts). Unknown keys
// are left in place; fromObject never reads them.
import protobuf from 'protobufjs';
import { OtlpError } from '../errors.ts';
import { ID_BYTES } from './id-bytes.ts';
import { INTEGRAL_FRACTION, quoteWideIntegers, WIDE_INTEGER_LITERAL } from './json-int.ts';
import { formatPath } from './path.ts';
import { scalarValue, ShapeError, type FieldKind, type FieldPlan } from './json-scalars.ts';
import type { SignalTypes } from './schema.ts';

/** Scalar proto types by the range their JSON values must fall in. */
const SCALAR_KINDS: Readonly<Record<string, FieldKind>> = {
  int64: 'int64', sint64: 'int64', sfixed64: 'int64',
  uint64: 'uint64', fixed64: 'uint64',
  int32: 'int32', sint32: 'int32', sfixed32: 'int32',
  uint32: 'uint32', fixed32: 'uint32',
  bool: 'bool',
  double: 'double', float: 'double',
};

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
    // The OTLP/JSON spec makes exactly the id fields hex; every other bytes
    // field (AnyValue.bytesValue) stays base64.
    const idBytes = field.type === 'bytes' ? (ID_BYTES.get(field.name) ?? 0) : 0;
    let kind: FieldKind = SCALAR_KINDS[field.type] ?? 'plain';
    if (resolved instanceof protobuf.Type) kind = 'message';
    else if (resolved instanceof protobuf.Enum) kind = 'enum';
    else if (idBytes > 0) kind = 'hexId';
    const fp: FieldPlan = {
      name: field.name,
      kind,
      repeated: field.repeated,
      type: resolved instanceof protobuf.Type ? resolved : null,
      enumType: resolved instanceof protobuf.Enum ? resolved : null,
      idBytes,
    };
    plan.set(field.name, fp);
    // protoName is the .proto spelling (snake_case), which OTLP/JSON receivers must also accept.
    plan.set(field.protoName, fp);
  }
  plans.set(type, plan);
  return plan;
}

/**
 * A number that json-int.ts would have kept as its literal text: a fraction
 * or exponent whose double happens to be an integer ("1.0000000000000001",
 * "1e-400"), or a magnitude of 10^15 or more. The body is then parsed again
 * with such literals kept exact; bodies without one skip that scan of the
 * whole text. Bodies with a 16+ digit integer literal go to the exact parse
 * first (see decodeJsonRequest).
 */
class MaybeRounded extends Error {}
// Thrown as one shared instance: a new Error per body would capture a stack
// trace each time, and the walk only needs to stop.
const MAYBE_ROUNDED = new MaybeRounded('a number may have been rounded');


const WIDE = 1e15;

function mayBeRounded(v: unknown, walk: Walk): boolean {
  if (typeof v !== 'number') return false;
  return v >= WIDE || v <= -WIDE || (walk.integralFractions && Number.isInteger(v));
}

/** Also looks inside arrays and objects: fromObject turns a scalar field's odd value into text. */
function holdsRounded(v: unknown, walk: Walk, depth = 0): boolean {
  if (typeof v !== 'object' || v === null) return mayBeRounded(v, walk);
  if (depth > MAX_DEPTH) return true;
  return Object.values(v).some((x) => holdsRounded(x, walk, depth + 1));
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** How the walk reads values: both are fixed per body. */
type Walk = {
  /**
   * Numbers that may have been rounded stop the walk (MaybeRounded). It is
   * checked before any other test of a value, so the walk up to that point,
   * errors included, is the same as over the exact parse, where only such values differ.
   */
  guard: boolean;
  /** The text may hold a fraction or exponent literal that json-int.ts quotes (INTEGRAL_FRACTION). */
  integralFractions: boolean;
};

function normaliseValue(fp: FieldPlan, v: unknown, path: (string | number)[], depth: number, walk: Walk): unknown {
  if (walk.guard && (fp.type === null ? holdsRounded(v, walk) : mayBeRounded(v, walk))) throw MAYBE_ROUNDED;
  if (fp.type === null) return scalarValue(fp, v);
  if (!isObject(v)) throw new ShapeError(`expected an object, got ${Array.isArray(v) ? 'an array' : typeof v}`);
  normaliseMessage(fp.type, v, path, depth + 1, walk);
  return v;
}

function normaliseMessage(
  type: protobuf.Type,
  obj: Record<string, unknown>,
  path: (string | number)[],
  depth: number,
  walk: Walk,
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
    if (walk.guard && mayBeRounded(v, walk)) throw MAYBE_ROUNDED;
    path.push(fp.name);
    if (fp.repeated) {
      if (!Array.isArray(v)) throw new ShapeError(`expected an array, got ${typeof v}`);
      for (let i = 0; i < v.length; i++) {
        path.push(i);
        v[i] = normaliseValue(fp, v[i], path, depth, walk);
        path.pop();
      }
    } else {
      v = normaliseValue(fp, v, path, depth, walk);
      obj[fp.name] = v;
    }
    path.pop();
  }
}


const utf8 = new TextDecoder('utf-8', { fatal: true });

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * The parsed and normalised request. `exact` quotes wide integer literals
 * before parsing; without it a body that may need that (MaybeRounded), or that
 * does not parse, is handed to the exact path, whose errors are the ones reported.
 */
function normalisedBody(types: SignalTypes, text: string, exact: boolean): Record<string, unknown> {
  const walk: Walk = { guard: !exact, integralFractions: !exact && INTEGRAL_FRACTION.test(text) };
  const what = `${types.requestName} as JSON`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(exact ? quoteWideIntegers(text) : text);
  } catch (e) {
    if (!exact) throw MAYBE_ROUNDED;
    throw new OtlpError('invalid', `could not decode ${what}: ${describe(e)}`, { cause: e });
  }
  if (!isObject(parsed)) {
    if (walk.guard && mayBeRounded(parsed, walk)) throw MAYBE_ROUNDED;
    const got = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed;
    throw new OtlpError('invalid', `could not decode ${what}: expected a JSON object at the top level, got ${got}`);
  }
  const path: (string | number)[] = [];
  try {
    normaliseMessage(types.request, parsed, path, 0, walk);
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
  // Integer literals of 16+ digits (nanosecond times sent as numbers, as
  // several agents do) would always stop the quick parse, so such a body
  // goes to the exact one first instead of being parsed twice. A match inside
  // a string costs only the quoting scan, which leaves strings alone.
  if (WIDE_INTEGER_LITERAL.test(text)) parsed = normalisedBody(types, text, true);
  else {
    try {
      parsed = normalisedBody(types, text, false);
    } catch (e) {
      if (e !== MAYBE_ROUNDED) throw e;
      parsed = normalisedBody(types, text, true);
    }
  }
  try {
    return types.request.fromObject(parsed);
  } catch (e) {
    throw new OtlpError('invalid', `could not decode ${what}: ${describe(e)}`, { cause: e });
  }
}
