// Lane: the shared one-at-a-time queue that keeps commits from holding every pool thread and core at once.
import { describe, expect, it } from 'vitest';
import { coresBesideEventLoop } from '../../src/cli/service.ts';
import { Lane } from '../../src/ingest/lane.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Lane', () => {
  it('runs jobs one at a time, in the order they were queued', async () => {
    const lane = new Lane();
    const events: string[] = [];
    let running = 0;
    let most = 0;
    const job = (name: string, ms: number) => async () => {
      running += 1;
      most = Math.max(most, running);
      events.push(`start ${name}`);
      await sleep(ms);
      events.push(`end ${name}`);
      running -= 1;
      return name;
    };
    const results = await Promise.all([lane.run(job('a', 20)), lane.run(job('b', 1)), lane.run(job('c', 5))]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(most).toBe(1);
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(lane.depth).toBe(0);
  });

  it('hands a failure to its own caller and still runs the jobs behind it', async () => {
    const lane = new Lane();
    const boom = new Error('boom');
    const failed = lane.run(async () => {
      await sleep(5);
      throw boom;
    });
    const next = lane.run(async () => 'after');
    expect(lane.depth).toBe(2);
    await expect(failed).rejects.toBe(boom);
    await expect(next).resolves.toBe('after');
  });
});

describe('coresBesideEventLoop', () => {
  it('leaves one core to the event loop, between 1 and 4 threads', () => {
    expect([1, 2, 3, 4, 8, 64].map((cores) => coresBesideEventLoop(cores))).toEqual([1, 1, 2, 3, 4, 4]);
  });
});
