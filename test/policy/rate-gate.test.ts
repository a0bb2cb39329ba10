// Which buckets a request draws from and what a refusal says, on a clock the
// test moves: per principal, per group (shared), default per user (one each),
// a principal's own limit beating its group's, the stricter of several, bursts
// and refill, records and bytes, and reloads keeping bucket state.
import { describe, expect, it } from 'vitest';
import { OtlpError } from '../../src/errors.ts';
import { operatorNoteOf } from '../../src/access/export-admission.ts';
import type { Principal } from '../../src/access/types.ts';
import { parsePolicyText } from '../../src/policy/document.ts';
import type { LimitsSection } from '../../src/policy/limits-config.ts';
import { createRateGate } from '../../src/policy/rate-gate.ts';
import type { PolicySubject } from '../../src/policy/types.ts';
import { parseTableName } from '../../src/tables/names.ts';

const table = parseTableName('main.tel.a_otel_logs');
const user = (name: string, ...groups: string[]): Principal => ({ tokenId: `tok_${name}`, name, groups });
const subject = (principal: Principal | undefined): PolicySubject => ({ principal, table, signal: 'logs' });

function setup(toml: string) {
  let limits: LimitsSection = parsePolicyText(toml, '/p.toml').limits;
  let now = 1_000_000;
  const refused: string[] = [];
  const gate = createRateGate({ read: () => limits, now: () => now, onRefused: (id) => refused.push(id) });
  return {
    gate,
    refused,
    advance: (ms: number) => (now += ms),
    reload: (t: string) => (limits = parsePolicyText(t, '/p.toml').limits),
    /** The refusal of one request, or undefined when it passes. */
    request(p: Principal | undefined, bytes = 10): OtlpError | undefined {
      try {
        gate.admitRequest(subject(p), bytes);
        return undefined;
      } catch (e) {
        expect(e).toBeInstanceOf(OtlpError);
        return e as OtlpError;
      }
    },
    records(p: Principal | undefined, n: number): OtlpError | undefined {
      try {
        gate.admitRecords(subject(p), n);
        return undefined;
      } catch (e) {
        return e as OtlpError;
      }
    },
  };
}

/** How many requests in a row pass before the first refusal (at most `max`). */
function passing(t: ReturnType<typeof setup>, p: Principal | undefined, max = 100): number {
  for (let i = 0; i < max; i++) if (t.request(p)) return i;
  return max;
}

describe('rate limits', () => {
  it('gives a principal its own limit, with burst, refusal and refill', () => {
    const t = setup('[limits.principals."alice@x.com"]\nrequests_per_minute = 60\nrequests_burst = 3');
    const alice = user('alice@x.com', 'eng');
    expect(passing(t, alice)).toBe(3);
    const e = t.request(alice)!;
    expect(e.kind).toBe('rate_limited');
    // 60 a minute refills one a second.
    expect(e.retryAfterSeconds).toBe(1);
    expect(e.message).toBe(
      'rate limit exceeded: principal alice@x.com is over limits.principals."alice@x.com".requests_per_minute = 60 (burst 3; its own limit); retry after 1 s or raise the limit in the policy file',
    );
    expect(operatorNoteOf(e)).toEqual({ limit: 'limits.principals."alice@x.com".requests_per_minute', principal: 'alice@x.com' });
    expect(t.refused).toEqual(['limits.principals."alice@x.com".requests_per_minute', 'limits.principals."alice@x.com".requests_per_minute']);
    t.advance(999);
    expect(t.request(alice)?.kind).toBe('rate_limited');
    t.advance(1);
    expect(t.request(alice)).toBeUndefined();
    // A long pause refills to the burst, not beyond.
    t.advance(3_600_000);
    expect(passing(t, alice)).toBe(3);
    // Others have no limit at all.
    expect(passing(t, user('bob'), 50)).toBe(50);
  });

  it('shares one bucket among a group\'s members', () => {
    const t = setup('[limits.groups.eng]\nrequests_per_minute = 4');
    const [a, b] = [user('a', 'eng'), user('b', 'eng')];
    expect(passing(t, a, 3)).toBe(3);
    expect(t.request(b)).toBeUndefined();
    const e = t.request(b)!;
    expect(e.message).toMatch(/^rate limit exceeded: principal b is over limits\.groups\.eng\.requests_per_minute = 4 \(burst 4; group eng, one bucket shared by its members\); retry after 15 s/);
    expect(e.retryAfterSeconds).toBe(15);
    expect(t.request(a)?.kind).toBe('rate_limited');
    expect(t.request(user('c', 'ops'))).toBeUndefined();
  });

  it('gives each principal its own bucket under the default per user', () => {
    const t = setup('[limits.default_user]\nrequests_per_minute = 2');
    expect(passing(t, user('a'))).toBe(2);
    expect(passing(t, user('b'))).toBe(2);
    expect(t.request(user('a'))?.message).toMatch(/over limits\.default_user\.requests_per_minute = 2 \(burst 2; the default per user, a bucket of its own\)/);
  });

  it('lets a principal\'s own limit beat its group\'s, and the group\'s the default, per dimension', () => {
    const t = setup(`
[limits.default_user]
requests_per_minute = 1
records_per_minute = 1000
[limits.groups.eng]
requests_per_minute = 2
[limits.principals.boss]
requests_per_minute = 5
`);
    expect(passing(t, user('boss', 'eng'))).toBe(5);
    // The group's bucket was not touched by boss.
    expect(passing(t, user('dev', 'eng'))).toBe(2);
    expect(passing(t, user('outsider'))).toBe(1);
    // Records: no group or own limit sets them, so the default per user applies to each.
    expect(t.records(user('dev', 'eng'), 1000)).toBeUndefined();
    expect(t.records(user('dev', 'eng'), 1)?.message).toMatch(/over limits\.default_user\.records_per_minute/);
    expect(t.records(user('boss', 'eng'), 1000)).toBeUndefined();
  });

  it('applies every limited group of a principal: the stricter refuses', () => {
    const t = setup('[limits.groups.eng]\nrequests_per_minute = 10\n[limits.groups.interns]\nrequests_per_minute = 2');
    expect(passing(t, user('i', 'eng', 'interns'))).toBe(2);
    expect(t.request(user('i', 'eng', 'interns'))?.message).toMatch(/limits\.groups\.interns\.requests_per_minute/);
  });

  it('applies the global limit to everyone, anonymous requests included, and the stricter of global and own', () => {
    const t = setup('[limits.global]\nrequests_per_minute = 3\n[limits.principals.a]\nrequests_per_minute = 100');
    expect(t.request(user('a'))).toBeUndefined();
    expect(t.request(undefined)).toBeUndefined();
    expect(t.request(user('b'))).toBeUndefined();
    const e = t.request(user('a'))!;
    expect(e.message).toMatch(/^rate limit exceeded: principal a is over limits\.global\.requests_per_minute = 3 \(burst 3; global, all requests share it\)/);
    expect(t.request(undefined)?.message).toMatch(/^rate limit exceeded: anonymous requests are over limits\.global\.requests_per_minute/);
    expect(operatorNoteOf(t.request(undefined))).toEqual({ limit: 'limits.global.requests_per_minute' });
  });

  it('takes nothing from any bucket when one of them refuses', () => {
    const t = setup('[limits.global]\nrequests_per_minute = 100\n[limits.principals.a]\nrequests_per_minute = 1');
    expect(t.request(user('a'))).toBeUndefined();
    for (let i = 0; i < 50; i++) expect(t.request(user('a'))?.kind).toBe('rate_limited');
    // 99 global tokens are left: a's 50 refusals took none of them.
    expect(passing(t, user('b'), 200)).toBe(99);
  });

  it('limits records and bytes with their own buckets, and refuses what is larger than a burst as too large', () => {
    const t = setup('[limits.principals.a]\nrecords_per_minute = 600\nrecords_burst = 100\nbytes_per_minute = 6000\nbytes_burst = 1000');
    const a = user('a');
    expect(t.records(a, 60)).toBeUndefined();
    const e = t.records(a, 60)!;
    expect(e.kind).toBe('rate_limited');
    // 20 records missing at 10 a second.
    expect(e.retryAfterSeconds).toBe(2);
    expect(e.message).toMatch(/over limits\.principals\.a\.records_per_minute = 600 \(burst 100; its own limit, this request 60 records\); retry after 2 s/);
    t.advance(2000);
    expect(t.records(a, 60)).toBeUndefined();
    const big = t.records(a, 101)!;
    expect(big.kind).toBe('too_large');
    expect(big.message).toBe('rate limit: this request has 101 records, more than limits.principals.a.records_burst = 100 lets through at once (its own limit); send smaller batches or raise the burst in the policy file');
    expect(t.request(a, 900)).toBeUndefined();
    expect(t.request(a, 200)?.message).toMatch(/bytes_per_minute = 6000 .*this request 200 bytes\); retry after 1 s/);
    expect(t.request(a, 1001)?.kind).toBe('too_large');
  });

  it('keeps a bucket\'s state across a reload while its limit stays, and forgets removed ones', () => {
    const t = setup('[limits.groups.eng]\nrequests_per_minute = 2\n[limits.groups.ops]\nrequests_per_minute = 1');
    const dev = user('dev', 'eng');
    const op = user('op', 'ops');
    expect(passing(t, dev)).toBe(2);
    expect(passing(t, op)).toBe(1);
    // Raised: the debt stays (empty bucket), the new rate refills faster.
    t.reload('[limits.groups.eng]\nrequests_per_minute = 60\nrequests_burst = 2\n[limits.groups.ops2]\nrequests_per_minute = 1');
    expect(t.request(dev)?.retryAfterSeconds).toBe(1);
    expect(t.gate.buckets.size).toBe(1);
    t.advance(1000);
    expect(t.request(dev)).toBeUndefined();
    // Lowered below what is held: clamped at once.
    t.advance(60_000);
    t.reload('[limits.groups.eng]\nrequests_per_minute = 60\nrequests_burst = 1');
    expect(passing(t, dev)).toBe(1);
  });

  it('keeps at most the configured number of buckets, forgetting the longest idle', () => {
    let now = 0;
    const limits = parsePolicyText('[limits.default_user]\nrequests_per_minute = 1', '/p.toml').limits;
    const gate = createRateGate({ read: () => limits, now: () => now, bucketsMax: 3 });
    for (const n of ['a', 'b', 'c', 'd']) gate.admitRequest(subject(user(n)), 1);
    expect(gate.buckets.size).toBe(3);
    // a was forgotten (a full bucket again); d still owes its token.
    expect(() => gate.admitRequest(subject(user('a')), 1)).not.toThrow();
    expect(() => gate.admitRequest(subject(user('d')), 1)).toThrow(/default_user/);
    now += 60_000;
    expect(() => gate.admitRequest(subject(user('d')), 1)).not.toThrow();
  });
});
