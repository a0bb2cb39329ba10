import { describe, expect, it } from 'vitest';
import type { AnyValue } from '../../src/otlp/types.ts';
import { attributesMap, renderAnyValue } from '../../src/tables/anyvalue.ts';
import { RecordRejected } from '../../src/tables/reject.ts';
import { arr, bool, bytes, dbl, int, kv, kvl, long, MAX_I64, MIN_I64, raw, str } from './support.ts';

describe('renderAnyValue scalars', () => {
  it('keeps strings as they are, empty included', () => {
    expect(renderAnyValue(str('hello "world"\n'))).toBe('hello "world"\n');
    expect(renderAnyValue(str(''))).toBe('');
  });
  it('spells booleans true/false', () => {
    expect(renderAnyValue(bool(true))).toBe('true');
    expect(renderAnyValue(bool(false))).toBe('false');
  });
  it('writes ints in exact decimal across the whole int64 range', () => {
    expect(renderAnyValue(int(long(123n)))).toBe('123');
    expect(renderAnyValue(int(long(-5n)))).toBe('-5');
    expect(renderAnyValue(int(long(MAX_I64)))).toBe('9223372036854775807');
    expect(renderAnyValue(int(long(MIN_I64)))).toBe('-9223372036854775808');
    expect(renderAnyValue(int(long(2n ** 53n + 1n)))).toBe('9007199254740993');
    expect(renderAnyValue(int(long(-(2n ** 53n))))).toBe('-9007199254740992');
    expect(renderAnyValue(int(MAX_I64))).toBe('9223372036854775807');
    expect(renderAnyValue(int(42))).toBe('42');
  });
  it('reads an unsigned Long by its bit pattern, like the LONG columns', () => {
    expect(renderAnyValue(int(long(2n ** 64n - 1n, true)))).toBe('-1');
    expect(renderAnyValue(int({ low: 0, high: 0x80000000, unsigned: true }))).toBe('-9223372036854775808');
  });
  it('writes doubles in shortest round-trip form, spelling the non-finite ones', () => {
    expect(renderAnyValue(dbl(1.25))).toBe('1.25');
    expect(renderAnyValue(dbl(0.1 + 0.2))).toBe('0.30000000000000004');
    expect(renderAnyValue(dbl(3))).toBe('3');
    expect(renderAnyValue(dbl(1e21))).toBe('1e+21');
    expect(renderAnyValue(dbl(5e-324))).toBe('5e-324');
    expect(renderAnyValue(dbl(Number.NaN))).toBe('NaN');
    expect(renderAnyValue(dbl(Number.POSITIVE_INFINITY))).toBe('Infinity');
    expect(renderAnyValue(dbl(Number.NEGATIVE_INFINITY))).toBe('-Infinity');
  });
  it('keeps the sign of negative zero so it round-trips', () => {
    expect(renderAnyValue(dbl(-0))).toBe('-0');
    expect(renderAnyValue(dbl(0))).toBe('0');
  });
  it('writes bytes as standard base64', () => {
    expect(renderAnyValue(raw(bytes('deadbeef')))).toBe('3q2+7w==');
    expect(renderAnyValue(raw(bytes('fbff')))).toBe('+/8=');
    expect(renderAnyValue(raw(new Uint8Array(0)))).toBe('');
    expect(renderAnyValue(raw(bytes('00deadbeef00').subarray(1, 5)))).toBe('3q2+7w==');
  });
  it('is NULL for no value, an empty AnyValue, or a discriminator naming a null member', () => {
    expect(renderAnyValue(null)).toBeNull();
    expect(renderAnyValue(undefined)).toBeNull();
    expect(renderAnyValue({})).toBeNull();
    expect(renderAnyValue({ value: 'stringValue', stringValue: null })).toBeNull();
  });
});

describe('renderAnyValue arrays and key-value lists', () => {
  it('renders compact JSON keeping each element type', () => {
    const v = arr(int(long(1n)), str('two'), bool(true), dbl(3.5), raw(bytes('010203')));
    expect(renderAnyValue(v)).toBe('[1,"two",true,3.5,"AQID"]');
  });
  it('nests arrays and key-value lists', () => {
    const v = kvl(
      kv('nested', kvl(kv('deeper', str('yes')), kv('n', int(long(1n))))),
      kv('list', arr(int(long(1n)), arr(), kvl())),
    );
    expect(renderAnyValue(v)).toBe('{"nested":{"deeper":"yes","n":1},"list":[1,[],{}]}');
  });
  it('turns ints beyond ±(2^53-1) into JSON strings and keeps the rest as numbers', () => {
    const v = arr(
      int(long(2n ** 53n - 1n)),
      int(long(2n ** 53n)),
      int(long(-(2n ** 53n - 1n))),
      int(long(-(2n ** 53n))),
      int(long(MAX_I64)),
      int(long(MIN_I64)),
      int(2n ** 60n),
    );
    expect(renderAnyValue(v)).toBe(
      '[9007199254740991,"9007199254740992",-9007199254740991,"-9007199254740992",' +
        '"9223372036854775807","-9223372036854775808","1152921504606846976"]',
    );
  });
  it('writes non-finite doubles as JSON strings and keeps -0', () => {
    expect(renderAnyValue(arr(dbl(NaN), dbl(Infinity), dbl(-Infinity), dbl(-0), dbl(1e-7)))).toBe(
      '["NaN","Infinity","-Infinity",-0,1e-7]',
    );
  });
  it('produces JSON that parses back to the same values', () => {
    const v = kvl(kv('s', str('q"\\\n\u0001é😀')), kv('a', arr(dbl(0.1), bool(false))), kv('k "quoted"', str('x')));
    expect(JSON.parse(renderAnyValue(v)!)).toEqual({ s: 'q"\\\n\u0001é😀', a: [0.1, false], 'k "quoted"': 'x' });
  });
  it('writes empty elements and missing values as JSON null', () => {
    expect(renderAnyValue(arr({}, str('x')))).toBe('[null,"x"]');
    expect(renderAnyValue(kvl(kv('a'), kv('b', {}), kv('c', null)))).toBe('{"a":null,"b":null,"c":null}');
  });
  it('refuses a repeated key instead of dropping one of its values', () => {
    expect(() => renderAnyValue(kvl(kv('a', str('1')), kv('b', str('2')), kv('a', str('3'))))).toThrow(
      new RecordRejected('key "a" appears twice in a key-value list value (OTLP requires unique keys)'),
    );
  });
  it('keeps keys apart that differ only in lone surrogates, as JSON text can spell them', () => {
    expect(JSON.parse(renderAnyValue(kvl(kv('\ud800', str('1')), kv('\ud801', str('2'))))!)).toEqual({ '\ud800': '1', '\ud801': '2' });
  });
  it('renders empty containers as [] and {}', () => {
    expect(renderAnyValue(arr())).toBe('[]');
    expect(renderAnyValue(kvl())).toBe('{}');
    expect(renderAnyValue({ arrayValue: { values: [] } })).toBe('[]');
  });
});

describe('renderAnyValue without or with a misleading discriminator', () => {
  it('finds the member that is set when no discriminator is given', () => {
    expect(renderAnyValue({ intValue: 7 })).toBe('7');
    expect(renderAnyValue({ doubleValue: 0 })).toBe('0');
    expect(renderAnyValue({ boolValue: false })).toBe('false');
    expect(renderAnyValue({ arrayValue: { values: [{ stringValue: 'p' }] } })).toBe('["p"]');
  });
  it('trusts the discriminator over proto3 defaults of unset members', () => {
    // protobufjs messages read unset oneof members as '' and 0 from their prototype.
    const defaults = { stringValue: '', intValue: 0, doubleValue: 0, boolValue: false };
    const v = Object.assign(Object.create(defaults) as AnyValue, { intValue: long(9n), value: 'intValue' as const });
    expect(renderAnyValue(v)).toBe('9');
  });
});

describe('attributesMap', () => {
  it('renders every attribute, keeping order', () => {
    const m = attributesMap([kv('s', str('x')), kv('i', int(long(-1n))), kv('b', bool(true)), kv('a', arr(str('p')))]);
    expect([...m]).toEqual([
      ['s', 'x'],
      ['i', '-1'],
      ['b', 'true'],
      ['a', '["p"]'],
    ]);
  });
  it('refuses a repeated key, naming it and the list', () => {
    expect(() => attributesMap([kv('k', str('first')), kv('other', str('o')), kv('k', str('last'))], 'scope attributes')).toThrow(
      new RecordRejected('key "k" appears twice in scope attributes (OTLP requires unique keys)'),
    );
  });
  it('is an empty map, never NULL, for an empty or missing list', () => {
    for (const input of [[], null, undefined]) {
      const m = attributesMap(input);
      expect(m).toBeInstanceOf(Map);
      expect(m.size).toBe(0);
    }
  });
  it('maps an absent or empty value to a NULL entry', () => {
    const m = attributesMap([kv('absent'), kv('empty', {}), kv('null', null)]);
    expect([...m]).toEqual([
      ['absent', null],
      ['empty', null],
      ['null', null],
    ]);
  });
});
