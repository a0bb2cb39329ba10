// Golden files: what configure writes for each agent and protocol, starting
// from no file, a file with comments and unrelated keys, one with conflicting
// settings, and one that does not parse. UPDATE_GOLDEN=1 rewrites them.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_DEFS } from '../../src/onboard/agents.ts';
import { configureAgent } from '../../src/onboard/apply.ts';
import { AGENTS, PROTOCOLS, type OnboardOptions } from '../../src/onboard/options.ts';
import { GOLDEN, snapshot, tempHome, type Home } from './support.ts';

const CASES = ['fresh', 'existing', 'conflicting', 'unparseable'] as const;
const TOKEN = 'o2d_goldenTokenForTestsOnly0000000000';
const update = process.env.UPDATE_GOLDEN === '1';

let home: Home | undefined;
afterEach(async () => {
  await home?.cleanup();
  home = undefined;
});

async function expectGolden(file: string, actual: string): Promise<void> {
  if (update) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, actual);
  }
  expect(actual, file).toBe(await readFile(file, 'utf8'));
}

describe.each(AGENTS)('configure %s', (agent) => {
  describe.each(PROTOCOLS)('%s', (protocol) => {
    it.each(CASES)('%s', async (c) => {
      const input = path.join(GOLDEN, 'inputs', agent, c);
      home = await tempHome(input);
      const before = await snapshot(home.dir);
      const o: OnboardOptions = { endpoint: 'http://127.0.0.1:4318', token: TOKEN, prefix: `main.agent_telemetry.${agent}`, protocol };
      if (protocol === 'grpc') o.endpoint = 'http://127.0.0.1:4317';
      const out = await configureAgent(AGENT_DEFS[agent], o, home.env);
      const dir = path.join(GOLDEN, 'expected', agent, protocol.replace('/', '-'), c);
      const summary = [out.ok ? 'ok' : `refused: ${out.error!.replaceAll(home.dir, '~')}`, ...out.files.flatMap((f) => [`${path.relative(home!.dir, f.file)}: ${f.action}`, ...f.warnings.map((w) => `  warning: ${w}`)])].join('\n');
      await expectGolden(path.join(dir, 'result.txt'), `${summary}\n`);
      const after = await snapshot(home.dir);
      if (c === 'unparseable') {
        expect(out.ok).toBe(false);
        expect(after).toEqual(before);
        return;
      }
      for (const [rel, text] of Object.entries(after)) await expectGolden(path.join(dir, rel), text);
      // Every file the input had is still there (nothing unrelated is dropped).
      for (const rel of Object.keys(before)) expect(Object.keys(after)).toContain(rel);
    });
  });
});
