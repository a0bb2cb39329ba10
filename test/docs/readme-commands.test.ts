// The README's commands, run as written: the quick start's create-table line
// in a fresh folder, then the SQL examples over recorded agent traffic.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from '../support/fixtures.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const cwd = mkdtempSync(path.join(os.tmpdir(), 'otlp2delta-readme-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** The README's `sh` blocks' commands, continuation lines joined. */
function shellCommands(): string[] {
  const out: string[] = [];
  for (const m of README.matchAll(/```sh\n([\s\S]*?)```/g)) {
    let current = '';
    for (const line of (m[1] as string).split('\n')) {
      const text = line.replace(/\s+#.*$/, '');
      if (current !== '') current += `\n${text}`;
      else if (text.trim() !== '') current = text.trim();
      // A command ends where its quotes close.
      if (current !== '' && (current.match(/"/g) ?? []).length % 2 === 0) {
        out.push(current);
        current = '';
      }
    }
  }
  return out;
}

/** Runs an `npx otlp2delta ...` line from the README through this checkout's command, in `cwd`. */
function run(command: string) {
  expect(command).toMatch(/^npx otlp2delta /);
  const args: string[] = [];
  for (const m of command.slice('npx otlp2delta '.length).matchAll(/"([^"]*)"|(\S+)/g)) args.push(m[1] ?? (m[2] as string));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTLP2DELTA_')));
  return spawnSync(process.execPath, [path.join(ROOT, 'bin/otlp2delta'), ...args], { cwd, env, encoding: 'utf8' });
}

const find = (re: RegExp): string => {
  const hit = shellCommands().find((c) => re.test(c));
  if (!hit) throw new Error(`the README has no command matching ${re}`);
  return hit;
};

describe('the README, as written', () => {
  it("quick start: one command creates all three agents' tables in ./warehouse", () => {
    const r = run(find(/^npx otlp2delta create-table --prefix /));
    expect(r.status, r.stderr).toBe(0);
    for (const agent of ['claude', 'gemini', 'codex']) {
      for (const kind of ['metrics', 'logs', 'spans']) {
        expect(existsSync(path.join(cwd, 'warehouse', 'main', 'agent_telemetry', `${agent}_otel_${kind}`, '_delta_log', '00000000000000000000.json'))).toBe(true);
      }
    }
  });

  it("the SQL example over Claude Code's delta metrics agrees with the usage views", () => {
    const replay = spawnSync(process.execPath, [path.join(ROOT, 'bin/otlp2delta'), 'replay', path.join(FIXTURES_DIR, 'claude-code', 'proto-basic'), '--warehouse', './warehouse'], { cwd, encoding: 'utf8' });
    expect(replay.status, replay.stderr).toBe(0);
    const example = run(`${find(/sum\(sum\.value\) AS tokens/)} --format csv`);
    expect(example.status, example.stderr).toBe(0);
    const naive = Number(example.stdout.trim().split('\n')[1]?.split(',')[1]);
    expect(naive).toBeGreaterThan(0);
    const views = run(`${find(/FROM main\.agent_telemetry\.usage_facts/)} --format csv`);
    expect(views.status, views.stderr).toBe(0);
    const total = views.stdout.trim().split('\n').slice(1).reduce((n, line) => n + Number(line.split(',').at(-1)), 0);
    expect(total).toBe(naive);
  });
});
