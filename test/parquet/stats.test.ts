import { describe, expect, it } from 'vitest';
import { statsQuery, truncateMax, truncateMin } from '../../src/parquet/stats.ts';
import { schemaFor } from '../../src/tables/schema.ts';

const TOP = '\u{10FFFF}';

describe('string bounds', () => {
  it('keeps strings of up to 32 code points whole', () => {
    const s = '😀'.repeat(32);
    expect(truncateMin(s)).toBe(s);
    expect(truncateMax(s)).toBe(s);
    expect(truncateMin('')).toBe('');
    expect(truncateMax('')).toBe('');
  });

  it('keeps U+10FFFF code points that follow the prefix, so the bound stays above the value', () => {
    const s = `${'a'.repeat(32)}${TOP}${TOP}b`;
    expect(truncateMax(s)).toBe(`${'a'.repeat(32)}${TOP}${TOP}${TOP}`);
    expect(Buffer.compare(Buffer.from(truncateMax(s) as string), Buffer.from(s))).toBe(1);
    expect(truncateMax(`${'a'.repeat(32)}${TOP}`)).toBe(`${'a'.repeat(32)}${TOP}`);
    expect(truncateMax(`${'a'.repeat(32)}${TOP.repeat(40)}b`)).toBeUndefined();
  });
});

describe('statsQuery', () => {
  it('reads nested leaves through struct_extract and counts containers once', () => {
    const { sql } = statsQuery(schemaFor('logs'), '"t"');
    expect(sql).toContain(`max(struct_extract("instrumentation_scope", 'name'))`);
    expect(sql).toContain(`count(*) - count("attributes")`);
    expect(sql).not.toContain(`min("attributes")`);
    expect(sql.endsWith('FROM "t"')).toBe(true);
  });
});
