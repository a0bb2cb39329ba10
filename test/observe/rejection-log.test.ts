// The rejection log's rate limit, on a clock the test moves: a burst of lines
// per reason and table, one summary for what was left out, a bounded key set.
import { afterEach, describe, expect, it } from 'vitest';
import type { EventLog, Fields } from '../../src/observe/event-log.ts';
import { RejectionLog, type Rejection } from '../../src/observe/rejection-log.ts';

type Line = { level: string; fields: Fields; msg: string };

function capture(): { log: EventLog; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (fields: Fields, msg: string) => lines.push({ level, fields, msg });
  return { log: { info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

const refusal = (table: string | undefined, reason = 'not_found'): Rejection => ({
  status: 404,
  reason,
  message: `table ${table} does not exist`,
  method: 'POST',
  path: '/v1/logs',
  signal: 'logs',
  table,
  remote: '10.1.2.3',
  userAgent: 'claude-code/2.1.197',
});

let open: RejectionLog[] = [];
afterEach(() => {
  for (const r of open) r.close();
  open = [];
});

function make(opts: ConstructorParameters<typeof RejectionLog>[1]) {
  const { log, lines } = capture();
  const r = new RejectionLog(log, opts);
  open.push(r);
  return { r, lines };
}

describe('rejection log', () => {
  it('logs each refusal with its client details, as a warning', () => {
    const { r, lines } = make({ burst: 5, windowMs: 60_000 });
    r.record(refusal('main.tel.claude_otel_logz'));
    expect(lines).toEqual([
      {
        level: 'warn',
        msg: 'refused 404 POST /v1/logs: table main.tel.claude_otel_logz does not exist',
        fields: {
          status: 404,
          reason: 'not_found',
          method: 'POST',
          path: '/v1/logs',
          signal: 'logs',
          table: 'main.tel.claude_otel_logz',
          remote: '10.1.2.3',
          userAgent: 'claude-code/2.1.197',
        },
      },
    ]);
  });

  it('keeps to the burst per reason and table, and sums up the rest when the window ends', () => {
    let now = 1_000_000;
    let suppressed = 0;
    const { r, lines } = make({ burst: 3, windowMs: 60_000, now: () => now, onSuppressed: () => suppressed++ });
    for (let i = 0; i < 1000; i++) r.record(refusal('a.b.c'));
    for (let i = 0; i < 2; i++) r.record(refusal('a.b.d'));
    for (let i = 0; i < 10; i++) r.record(refusal('a.b.c', 'invalid'));
    expect(lines.filter((l) => l.fields.table === 'a.b.c' && l.fields.reason === 'not_found')).toHaveLength(3);
    expect(lines.filter((l) => l.fields.table === 'a.b.d')).toHaveLength(2);
    expect(lines.filter((l) => l.fields.reason === 'invalid')).toHaveLength(3);
    expect(suppressed).toBe(997 + 7);
    now += 61_000;
    r.record(refusal('a.b.c'));
    const summary = lines.find((l) => l.fields.suppressed !== undefined);
    expect(summary).toMatchObject({
      level: 'warn',
      fields: { reason: 'not_found', table: 'a.b.c', suppressed: 997 },
      msg: '997 more refusals (not_found) for table a.b.c in the last 61 s were not logged one by one',
    });
    // A new window: the refusal that opened it is logged again.
    expect(lines.at(-1)?.msg).toMatch(/^refused 404/);
  });

  it('writes the summaries still owed when it is closed', () => {
    const { r, lines } = make({ burst: 1, windowMs: 60_000 });
    for (let i = 0; i < 4; i++) r.record(refusal('a.b.c', 'overloaded'));
    r.close();
    expect(lines.map((l) => l.msg)).toEqual([
      'refused 404 POST /v1/logs: table a.b.c does not exist',
      expect.stringMatching(/^3 more refusals \(overloaded\) for table a\.b\.c in the last \d+ s were not logged one by one$/),
    ]);
  });

  it('tracks a bounded number of tables: past it, new ones share one allowance', () => {
    const { r, lines } = make({ burst: 2, windowMs: 60_000, keysMax: 10 });
    for (let i = 0; i < 10_000; i++) r.record(refusal(`c.s.t${i}`));
    // Ten tables with their own allowance, then two lines for everything else.
    expect(lines).toHaveLength(12);
    r.close();
    expect(lines.at(-1)?.msg).toBe(`${10_000 - 12} more refusals (various) in the last 0 s were not logged one by one`);
  });

  it('cuts client-supplied values to a log-sized length', () => {
    const { r, lines } = make({ burst: 5, windowMs: 60_000 });
    r.record({ ...refusal('x'.repeat(100_000)), userAgent: 'y'.repeat(100_000) });
    expect(String(lines[0]?.fields.table).length).toBeLessThan(300);
    expect(String(lines[0]?.fields.userAgent).length).toBeLessThan(300);
  });
});
