// The in-flight budget on its own, with a clock the test moves: which holds are reclaimed, and when nothing is.
import { describe, expect, it } from 'vitest';
import { InflightBudget } from '../../src/ingest/budget.ts';

const KiB = 1024;

function setup(max = 1024 * KiB) {
  let t = 0;
  const budget = new InflightBudget(max, 2000, 64 * KiB, () => t);
  const advance = (ms: number) => (t += ms);
  const open = () => {
    const hold = budget.open();
    const events: string[] = [];
    hold.onReclaim(() => events.push('reclaimed'));
    return { hold, events };
  };
  return { budget, advance, open };
}

describe('InflightBudget', () => {
  it('gives a stalled upload’s bytes to a moving request when the budget is full, oldest stall first', () => {
    const { budget, advance, open } = setup();
    const a = open();
    const b = open();
    expect(a.hold.tryAdd(512 * KiB)).toBe(true);
    advance(500);
    expect(b.hold.tryAdd(512 * KiB)).toBe(true);
    expect(budget.usedBytes).toBe(1024 * KiB);
    advance(2500);
    const c = open();
    expect(c.hold.tryAdd(10 * KiB)).toBe(true);
    // a stalled first; reclaiming it alone makes enough room.
    expect(a.events).toEqual(['reclaimed']);
    expect(b.events).toEqual([]);
    expect(a.hold.bytes).toBe(0);
    expect(budget.usedBytes).toBe(522 * KiB);
    a.hold.release();
    expect(budget.usedBytes).toBe(522 * KiB);
  });

  it('reclaims nothing from uploads that are still moving: the newcomer gets refused instead', () => {
    const { budget, advance, open } = setup();
    const a = open();
    expect(a.hold.tryAdd(1024 * KiB)).toBe(true);
    advance(1500);
    const c = open();
    expect(c.hold.tryAdd(KiB)).toBe(false);
    expect(a.events).toEqual([]);
    expect(budget.usedBytes).toBe(1024 * KiB);
  });

  it('reclaims nothing when all the stalled bytes together would not make room', () => {
    const { advance, open } = setup();
    const a = open();
    const b = open();
    expect(a.hold.tryAdd(100 * KiB)).toBe(true);
    advance(3000);
    expect(b.hold.tryAdd(924 * KiB)).toBe(true); // b is moving
    const c = open();
    expect(c.hold.tryAdd(200 * KiB)).toBe(false);
    expect(a.events).toEqual([]);
  });

  it('does not count a trickle of small chunks as progress', () => {
    const { advance, open } = setup();
    const a = open();
    expect(a.hold.tryAdd(1000 * KiB)).toBe(true);
    for (let i = 0; i < 30; i++) {
      advance(100);
      expect(a.hold.tryAdd(16)).toBe(true);
    }
    const c = open();
    expect(c.hold.tryAdd(64 * KiB)).toBe(true);
    expect(a.events).toEqual(['reclaimed']);
  });

  it('never reclaims a settled body (being decoded) nor the request that asks', () => {
    const { advance, open } = setup();
    const a = open();
    expect(a.hold.tryAdd(1024 * KiB)).toBe(true);
    a.hold.settle();
    advance(10_000);
    const c = open();
    expect(c.hold.tryAdd(KiB)).toBe(false);
    expect(a.events).toEqual([]);
    a.hold.release();
    const d = open();
    expect(d.hold.tryAdd(1024 * KiB)).toBe(true);
    advance(10_000);
    expect(d.hold.tryAdd(KiB)).toBe(false);
    expect(d.events).toEqual([]);
  });

  it('lets one oversized request through when nothing else is held, and release is idempotent', () => {
    const { budget, open } = setup(100);
    const a = open();
    expect(a.hold.tryAdd(500)).toBe(true);
    a.hold.release();
    a.hold.release();
    expect(budget.usedBytes).toBe(0);
  });
});
