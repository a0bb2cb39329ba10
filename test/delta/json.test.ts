import { describe, expect, it } from 'vitest';
import { parseJson, stringifyJson } from '../../src/delta/json.ts';

describe('delta json', () => {
  it('writes bigints as bare integers and skips undefined members', () => {
    expect(stringifyJson({ a: 9_223_372_036_854_775_807n, b: undefined, c: [1, 'x', null, true], d: -0 })).toBe(
      '{"a":9223372036854775807,"c":[1,"x",null,true],"d":-0.0}',
    );
    expect(() => stringifyJson(Number.NaN)).toThrow();
  });

  it('parses integers beyond 2^53 as exact bigints and the rest like JSON.parse', () => {
    const text = '{"big":-9223372036854775808,"safe":9007199254740991,"f":1.5e3,"s":"a\\"\\u00e9","n":[],"o":{"x":null,"y":false}}';
    expect(parseJson(text)).toEqual({
      big: -9_223_372_036_854_775_808n,
      safe: 9_007_199_254_740_991,
      f: 1500,
      s: 'a"é',
      n: [],
      o: { x: null, y: false },
    });
    expect(parseJson(' [ 9007199254740993 , 0 ] ')).toEqual([9_007_199_254_740_993n, 0]);
  });

  it('round-trips and rejects malformed text', () => {
    const v = { stats: '{"numRecords":1}', deep: { v: [12345678901234567890n] } };
    expect(parseJson(stringifyJson(v))).toEqual(v);
    for (const bad of ['{', '{"a":}', '[1,]', '01', '"x', 'nul', '{} x']) expect(() => parseJson(bad)).toThrow(SyntaxError);
  });

  it('keeps a member named __proto__ as data', () => {
    const o = parseJson('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect(Object.hasOwn(o, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
