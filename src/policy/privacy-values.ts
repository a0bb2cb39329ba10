// Rewriting one attribute value or log body: masks over every string inside
// it, and pseudonyms of its text. New values are built, the decoded ones are
// left as they were.
import { int64Exact } from '../otlp/int64.ts';
import type { AnyValue } from '../otlp/types.ts';
import { oneofMember } from '../tables/oneof.ts';
import { listOf } from '../tables/walk.ts';
import type { CompiledRule } from './privacy-compile.ts';

const MEMBERS = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] as const;

export const str = (s: string): AnyValue => ({ stringValue: s, value: 'stringValue' });

/** The value with every mask applied to its strings (nested ones too), or undefined when none matched. */
export function maskValue(v: AnyValue | null | undefined, rule: CompiledRule): AnyValue | undefined {
  if (v == null) return undefined;
  switch (oneofMember(v, 'value', MEMBERS)) {
    case 'stringValue': {
      const s = v.stringValue ?? '';
      let out = s;
      for (const m of rule.masks) out = out.replace(m.re, m.replacement);
      return out === s ? undefined : str(out);
    }
    case 'arrayValue': {
      const values = listOf(v.arrayValue?.values);
      let changed = false;
      const next = values.map((x) => {
        const m = maskValue(x, rule);
        if (m) changed = true;
        return m ?? x;
      });
      return changed ? { arrayValue: { values: next }, value: 'arrayValue' } : undefined;
    }
    case 'kvlistValue': {
      const values = listOf(v.kvlistValue?.values);
      let changed = false;
      const next = values.map((kv) => {
        const m = maskValue(kv?.value, rule);
        if (m) changed = true;
        return m ? { key: kv.key, value: m } : kv;
      });
      return changed ? { kvlistValue: { values: next }, value: 'kvlistValue' } : undefined;
    }
    default:
      return undefined;
  }
}

/** A pseudonym of every string in the value; other scalars become the pseudonym of their text. */
export function pseudonymValue(v: AnyValue | null | undefined, pseudonym: (t: string) => string): AnyValue | null | undefined {
  if (v == null) return v;
  switch (oneofMember(v, 'value', MEMBERS)) {
    case 'stringValue':
      return str(pseudonym(v.stringValue ?? ''));
    case 'boolValue':
      return str(pseudonym(String(v.boolValue)));
    case 'intValue':
      return str(pseudonym(String(int64Exact(v.intValue))));
    case 'doubleValue':
      return str(pseudonym(String(v.doubleValue)));
    case 'bytesValue':
      return str(pseudonym(Buffer.from(v.bytesValue ?? []).toString('base64')));
    case 'arrayValue':
      return { arrayValue: { values: listOf(v.arrayValue?.values).map((x) => pseudonymValue(x, pseudonym) ?? x) }, value: 'arrayValue' };
    case 'kvlistValue':
      return { kvlistValue: { values: listOf(v.kvlistValue?.values).map((kv) => ({ key: kv.key, value: pseudonymValue(kv?.value, pseudonym) })) }, value: 'kvlistValue' };
    default:
      return v;
  }
}
