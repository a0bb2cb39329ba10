import { describe, expect, it } from 'vitest';
import { AGGREGATION_TEMPORALITY, enumName, SEVERITY_NUMBER, SPAN_KIND, STATUS_CODE } from '../../src/tables/enums.ts';
import { hexId } from '../../src/tables/ids.ts';
import { bytes } from './support.ts';

describe('hexId', () => {
  it('renders trace and span ids as lowercase hex', () => {
    expect(hexId(bytes('5B8EFFF798038103D269B633813FC60C'))).toBe('5b8efff798038103d269b633813fc60c');
    expect(hexId(bytes('00ff000000000a01'))).toBe('00ff000000000a01');
  });
  it('agrees with Buffer hex for every byte value', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(hexId(all)).toBe(Buffer.from(all).toString('hex'));
  });
  it('is NULL for an empty or missing id', () => {
    expect(hexId(new Uint8Array(0))).toBeNull();
    expect(hexId(null)).toBeNull();
    expect(hexId(undefined)).toBeNull();
  });
  it('respects a view into a larger buffer', () => {
    const buf = bytes('aabbccddeeff');
    expect(hexId(buf.subarray(2, 4))).toBe('ccdd');
  });
});

describe('enumName', () => {
  it('names severities, including the unspecified value and the numbered steps', () => {
    expect(SEVERITY_NUMBER).toHaveLength(25);
    expect(enumName(SEVERITY_NUMBER, 0)).toBe('SEVERITY_NUMBER_UNSPECIFIED');
    expect(enumName(SEVERITY_NUMBER, 1)).toBe('SEVERITY_NUMBER_TRACE');
    expect(enumName(SEVERITY_NUMBER, 4)).toBe('SEVERITY_NUMBER_TRACE4');
    expect(enumName(SEVERITY_NUMBER, 9)).toBe('SEVERITY_NUMBER_INFO');
    expect(enumName(SEVERITY_NUMBER, 13)).toBe('SEVERITY_NUMBER_WARN');
    expect(enumName(SEVERITY_NUMBER, 17)).toBe('SEVERITY_NUMBER_ERROR');
    expect(enumName(SEVERITY_NUMBER, 24)).toBe('SEVERITY_NUMBER_FATAL4');
  });
  it('names temporality, span kind and status code', () => {
    expect(enumName(AGGREGATION_TEMPORALITY, 1)).toBe('AGGREGATION_TEMPORALITY_DELTA');
    expect(enumName(AGGREGATION_TEMPORALITY, 2)).toBe('AGGREGATION_TEMPORALITY_CUMULATIVE');
    expect(SPAN_KIND.map((_, i) => enumName(SPAN_KIND, i))).toEqual([
      'SPAN_KIND_UNSPECIFIED',
      'SPAN_KIND_INTERNAL',
      'SPAN_KIND_SERVER',
      'SPAN_KIND_CLIENT',
      'SPAN_KIND_PRODUCER',
      'SPAN_KIND_CONSUMER',
    ]);
    expect(enumName(STATUS_CODE, 0)).toBe('STATUS_CODE_UNSET');
    expect(enumName(STATUS_CODE, 2)).toBe('STATUS_CODE_ERROR');
  });
  it('keeps numbers without a name as decimal strings', () => {
    expect(enumName(SEVERITY_NUMBER, 25)).toBe('25');
    expect(enumName(SPAN_KIND, -1)).toBe('-1');
    expect(enumName(STATUS_CODE, 2147483647)).toBe('2147483647');
  });
  it('reads a missing number as the proto3 default 0', () => {
    expect(enumName(STATUS_CODE, undefined)).toBe('STATUS_CODE_UNSET');
    expect(enumName(SPAN_KIND, null)).toBe('SPAN_KIND_UNSPECIFIED');
  });
});
