// The [limits] schema: what a valid table means, and that every mistake is
// refused with the dotted setting that holds it.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parsePolicyText } from '../../src/policy/document.ts';
import { summarizeLimits } from '../../src/policy/limits-config.ts';
import { PolicyError } from '../../src/policy/policy-error.ts';

const limitsOf = (toml: string) => parsePolicyText(toml, '/etc/otlp2delta/policy.toml').limits;

function refusal(toml: string): PolicyError {
  try {
    limitsOf(toml);
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    return e as PolicyError;
  }
  throw new Error('the file was accepted');
}

describe('[limits]', () => {
  it('reads every scope, with the burst defaulting to one minute and identifiers as dotted settings', () => {
    const l = limitsOf(`
[limits.global]
requests_per_minute = 1000
[limits.default_user]
records_per_minute = 600
records_burst = 100
[limits.groups.eng]
bytes_per_minute = 1_000_000
[limits.principals."alice@example.com"]
requests_per_minute = 5
`);
    expect(l.global?.rates.requests).toEqual({ id: 'limits.global.requests_per_minute', perMinute: 1000, burst: 1000 });
    expect(l.defaultUser?.rates.records).toEqual({ id: 'limits.default_user.records_per_minute', perMinute: 600, burst: 100 });
    expect(l.groups.get('eng')?.rates.bytes?.id).toBe('limits.groups.eng.bytes_per_minute');
    expect(l.principals.get('alice@example.com')?.rates.requests?.id).toBe('limits.principals."alice@example.com".requests_per_minute');
    expect(summarizeLimits(l)).toEqual([
      'limits.global.requests_per_minute = 1000 (burst 1000): all requests together',
      'limits.default_user.records_per_minute = 600 (burst 100): each principal without a limit of its own or of a group, its own bucket',
      'limits.groups.eng.bytes_per_minute = 1000000 (burst 1000000): members of group eng, one bucket shared',
      'limits.principals."alice@example.com".requests_per_minute = 5 (burst 5): principal alice@example.com alone',
    ]);
  });

  it('has no limits when the file has no [limits]', () => {
    expect(summarizeLimits(limitsOf(''))).toEqual([]);
  });

  it.each([
    ['[limits.globl]\nrequests_per_minute = 1', 'limits.globl', /unknown setting/],
    ['[limits.global]\nrequest_per_minute = 1', 'limits.global.request_per_minute', /unknown setting; a limit has requests_per_minute/],
    ['[limits.global]\nrequests_per_minute = -5', 'limits.global.requests_per_minute', /from 1 to/],
    ['[limits.global]\nrequests_per_minute = 0', 'limits.global.requests_per_minute', /from 1 to/],
    ['[limits.global]\nrequests_per_minute = 1.5', 'limits.global.requests_per_minute', /whole number, got 1.5/],
    ['[limits.global]\nrequests_per_minute = "100"', 'limits.global.requests_per_minute', /whole number, got "100"/],
    ['[limits.global]\nrecords_burst = 10', 'limits.global.records_burst', /needs records_per_minute/],
    ['[limits.groups.eng]\nrecords_per_minute = 10\nrecords_burst = 0', 'limits.groups.eng.records_burst', /from 1 to/],
    ['[limits.principals."bob@x.com"]\nbytes_per_minute = true', 'limits.principals."bob@x.com".bytes_per_minute', /whole number, got true/],
    ['[limits.groups.eng]', 'limits.groups.eng', /sets no limit/],
    ['[limits]\nglobal = 5', 'limits.global', /must be a table/],
    ['[limits]\ngroups = [1]', 'limits.groups', /must be a table/],
  ])('refuses %j naming %s', (toml, setting, problem) => {
    const e = refusal(toml);
    expect(e.setting).toBe(setting);
    expect(e.message).toMatch(problem);
    expect(e.message.startsWith(`${setting}: `)).toBe(true);
  });

  it('accepts the example policy file', () => {
    const text = readFileSync(new URL('../../examples/policy.toml', import.meta.url), 'utf8');
    const lines = summarizeLimits(limitsOf(text));
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.some((l) => l.startsWith('limits.groups.eng.records_per_minute'))).toBe(true);
  });
});
