// The young-generation flag is given in three places that must agree: the
// command's shebang, `npm start` (which bypasses the shebang), the
// benchmark's server and its runner, so what is measured is what runs.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { START_NODE_FLAGS } from '../../bench/lib/server-child.ts';

const repo = new URL('../../', import.meta.url);

describe('V8 flags of the server', () => {
  it('are the same in bin/otlp2delta, npm start and the benchmark', () => {
    const shebang = readFileSync(new URL('bin/otlp2delta', repo), 'utf8').split('\n')[0];
    const { start, bench } = (JSON.parse(readFileSync(new URL('package.json', repo), 'utf8')) as { scripts: { start: string; bench: string } }).scripts;
    expect(START_NODE_FLAGS.length).toBeGreaterThan(0);
    for (const flag of START_NODE_FLAGS) {
      expect(shebang).toContain(` ${flag}`);
      expect(start).toContain(`node ${flag} `);
      // The in-process limits (decode only, the write paths) run in the runner itself.
      expect(bench).toContain(`node ${flag} `);
    }
  });
});
