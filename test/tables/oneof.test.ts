import { describe, expect, it } from 'vitest';
import { oneofMember } from '../../src/tables/oneof.ts';

const MEMBERS = ['s', 'i', 'd'] as const;

/** Shaped like a protobufjs message: defaults and a scanning discriminator on the prototype. */
function messageLike(own: Record<string, unknown>): object {
  const proto = { s: '', i: 0, d: 0 };
  Object.defineProperty(proto, 'value', {
    get(this: Record<string, unknown>) {
      return Object.keys(this).find((k) => MEMBERS.includes(k as never));
    },
  });
  return Object.assign(Object.create(proto) as object, own);
}

describe('oneofMember', () => {
  it('trusts a discriminator the object carries itself', () => {
    expect(oneofMember({ value: 'i', i: 1, s: 'stale' }, 'value', MEMBERS)).toBe('i');
    expect(oneofMember({ value: undefined, s: 'x' }, 'value', MEMBERS)).toBeUndefined();
    expect(oneofMember({ value: 'unknown', s: 'x' }, 'value', MEMBERS)).toBeUndefined();
  });
  it('probes members of plain objects without a discriminator, skipping nulls', () => {
    expect(oneofMember({ s: null, d: 0 }, 'value', MEMBERS)).toBe('d');
    expect(oneofMember({}, 'value', MEMBERS)).toBeUndefined();
  });
  it('ignores proto3 defaults inherited from a message prototype', () => {
    expect(oneofMember(messageLike({}), 'value', MEMBERS)).toBeUndefined();
    expect(oneofMember(messageLike({ i: 0 }), 'value', MEMBERS)).toBe('i');
    expect(oneofMember(messageLike({ s: '' }), 'value', MEMBERS)).toBe('s');
  });
});
