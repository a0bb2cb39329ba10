// The CSV files the cost commands read: quoting, line endings, headers, and
// the checks on price and directory records.
import { describe, expect, it } from 'vitest';
import { csvObjects, parseCsv } from '../../src/cost/csv.ts';
import { parseDirectory } from '../../src/cost/directory.ts';
import { defaultPrices, parsePrices, TOKEN_TYPES } from '../../src/cost/prices.ts';

describe('csv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF and a byte-order mark', () => {
    expect(parseCsv('\uFEFFa,b\r\n"x, y","say ""hi"""\r\n"two\nlines",\n\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['two\nlines', ''],
    ]);
  });

  it('refuses an unclosed quote, a short record and unknown or missing columns', () => {
    expect(() => parseCsv('a\n"open')).toThrow(/quoted field is not closed/);
    expect(() => csvObjects('a,b\n1\n', ['a', 'b'])).toThrow(/record 2 has 1 fields, the header 2/);
    expect(() => csvObjects('a,c\n1,2\n', ['a'], ['b'])).toThrow(/unknown column c/);
    expect(() => csvObjects('b\n1\n', ['a'], ['b'])).toThrow(/header lacks a/);
  });
});

describe('price records', () => {
  const head = 'model_pattern,token_type,usd_per_million_tokens,valid_from\n';
  it('lower-cases patterns and refuses bad types, amounts, dates and bracket globs', () => {
    expect(parsePrices(`${head}GPT-5*,input,1.25,2025-01-01\n`)[0]).toMatchObject({ model_pattern: 'gpt-5*', usd_per_million_tokens: 1.25, source: null });
    expect(() => parsePrices(`${head}gpt-5,prompt,1,2025-01-01\n`)).toThrow(/token_type must be one of/);
    expect(() => parsePrices(`${head}gpt-5,input,-1,2025-01-01\n`)).toThrow(/usd_per_million_tokens/);
    expect(() => parsePrices(`${head}gpt-5,input,1,2025-02-30\n`)).toThrow(/valid_from must be a date/);
    expect(() => parsePrices(`${head}claude-[1m],input,1,2025-01-01\n`)).toThrow(/model_pattern/);
  });

  it('ships a price for every token type of each pattern, each with a source and a retrieval date', () => {
    const prices = defaultPrices();
    const patterns = new Set(prices.map((p) => p.model_pattern));
    expect(prices).toHaveLength(patterns.size * TOKEN_TYPES.length);
    for (const p of prices) {
      expect(p.source).toMatch(/^https:\/\//);
      expect(p.retrieved).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    for (const m of ['claude-opus-4-8*', 'gpt-5.1-codex*', 'gemini-3.1-pro*', 'gemini-3.5-flash-lite*']) expect(patterns.has(m)).toBe(true);
  });
});

describe('directory records', () => {
  it('takes user, email or user_id as the key, lower-cased, and refuses a user listed twice', () => {
    expect(parseDirectory('Email,Team,location\nA@X.com,core,Oslo\n')).toEqual([{ user: 'a@x.com', display_name: null, team: 'core', department: null, cost_center: null, location: 'Oslo' }]);
    expect(() => parseDirectory('user,team\na@x.com,core\nA@x.com,edge\n')).toThrow(/record 3: a@x.com is listed twice/);
    expect(() => parseDirectory('user,email,team\na,b,c\n')).toThrow(/exactly one of user, email, user_id/);
    expect(() => parseDirectory('user,team\na@x.com,\n')).toThrow(/team is empty/);
  });
});
