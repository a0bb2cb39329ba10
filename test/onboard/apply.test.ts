// configure and unconfigure on real files in a temporary home: second runs
// change nothing, unconfigure gives back the original bytes, tokens make files
// owner-only, and what the user changed in between is kept.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_DEFS } from '../../src/onboard/agents.ts';
import { configureAgent, unconfigureAgent } from '../../src/onboard/apply.ts';
import { AGENTS, type OnboardOptions } from '../../src/onboard/options.ts';
import { GOLDEN, modeOf, snapshot, tempHome, type Home } from './support.ts';

const opts = (agent: string, token?: string): OnboardOptions => ({ endpoint: 'http://127.0.0.1:4318', token, prefix: `main.agent_telemetry.${agent}`, protocol: 'http/protobuf' });

let home: Home | undefined;
afterEach(async () => {
  await home?.cleanup();
  home = undefined;
});

describe.each(AGENTS)('%s', (agent) => {
  const def = AGENT_DEFS[agent];
  it.each(['fresh', 'existing', 'conflicting'])('a second run changes nothing, and unconfigure restores the %s files byte for byte', async (c) => {
    home = await tempHome(path.join(GOLDEN, 'inputs', agent, c));
    const before = await snapshot(home.dir);
    const first = await configureAgent(def, opts(agent, 'o2d_secret'), home.env);
    expect(first.ok).toBe(true);
    const configured = await snapshot(home.dir, { backups: true });
    const second = await configureAgent(def, opts(agent, 'o2d_secret'), home.env);
    expect(second.files.map((f) => f.action)).toEqual(second.files.map(() => 'unchanged'));
    expect(await snapshot(home.dir, { backups: true })).toEqual(configured);
    const undo = await unconfigureAgent(def, home.env);
    expect(undo.ok).toBe(true);
    expect(await snapshot(home.dir)).toEqual(before);
    // Every change left a backup of what it replaced.
    const backups = Object.keys(await snapshot(home.dir, { backups: true })).filter((f) => f.includes('.otlp2delta-backup-'));
    expect(backups.length).toBeGreaterThanOrEqual(first.files.filter((f) => f.action === 'updated').length);
  });

  it('a new token replaces its own values without calling them a conflict, and unconfigure still restores the original', async () => {
    home = await tempHome(path.join(GOLDEN, 'inputs', agent, 'existing'));
    const before = await snapshot(home.dir);
    await configureAgent(def, opts(agent, 'o2d_first'), home.env);
    const again = await configureAgent(def, opts(agent, 'o2d_second'), home.env);
    expect(again.files.flatMap((f) => f.warnings).filter((w) => w.includes('replaced'))).toEqual([]);
    expect(again.files.some((f) => f.action === 'updated')).toBe(true);
    await unconfigureAgent(def, home.env);
    expect(await snapshot(home.dir)).toEqual(before);
  });

  it('makes a file holding the token owner-only, and puts the old mode back on unconfigure', async () => {
    home = await tempHome(path.join(GOLDEN, 'inputs', agent, 'existing'));
    const file = def.plan(opts(agent, 't'), home.env).files.find((f) => f.secret)!.file;
    const { chmod } = await import('node:fs/promises');
    await chmod(file, 0o644);
    await configureAgent(def, opts(agent, 'o2d_secret'), home.env);
    expect(await modeOf(file)).toBe(0o600);
    expect(await readFile(file, 'utf8')).toContain('o2d_secret');
    await unconfigureAgent(def, home.env);
    expect(await modeOf(file)).toBe(0o644);
  });

  it('dry-run shows the diff and writes nothing', async () => {
    home = await tempHome(path.join(GOLDEN, 'inputs', agent, 'existing'));
    const before = await snapshot(home.dir, { backups: true });
    const out = await configureAgent(def, opts(agent), home.env, { dryRun: true });
    expect(out.files.some((f) => f.diff.includes('+') && f.action === 'updated')).toBe(true);
    expect(await snapshot(home.dir, { backups: true })).toEqual(before);
    expect(await readdir(home.dir)).not.toContain('.config');
  });

  it('keeps what the user changed after configure, and removes only its own values', async () => {
    home = await tempHome(path.join(GOLDEN, 'inputs', agent, 'existing'));
    const plan = def.plan(opts(agent), home.env);
    await configureAgent(def, opts(agent), home.env);
    const main = plan.files[0]!;
    // The user adds a setting of their own, and changes one of configure's.
    let text = await readFile(main.file, 'utf8');
    const own = main.format.name === 'TOML' ? ['otel', 'environment'] : [main.settings[0]!.path[0]!, 'mine'];
    text = main.format.set(text, own, 'kept');
    const changed = main.settings[1]!;
    text = main.format.set(text, changed.path, 'the user chose this');
    await writeFile(main.file, text);
    const undo = await unconfigureAgent(def, home.env);
    expect(undo.files[0]!.warnings.join('\n')).toContain('changed since configure');
    const doc = main.format.parse(await readFile(main.file, 'utf8'));
    const { valueAt } = await import('../../src/onboard/same-value.ts');
    expect(valueAt(doc, own)).toBe('kept');
    expect(valueAt(doc, changed.path)).toBe('the user chose this');
    for (const s of main.settings) if (s !== changed) expect(valueAt(doc, s.path)).toBe(valueAt(main.format.parse(await readFile(path.join(GOLDEN, 'inputs', agent, 'existing', path.relative(home!.dir, main.file)), 'utf8')), s.path));
  });
});

describe('where the files are', () => {
  it('follows HOME, CLAUDE_CONFIG_DIR, CODEX_HOME and GEMINI_CLI_HOME', async () => {
    home = await tempHome(undefined);
    const alt = path.join(home.dir, 'alt');
    const e = { ...home.env, env: { HOME: home.dir, CLAUDE_CONFIG_DIR: path.join(alt, 'claude'), CODEX_HOME: path.join(alt, 'codex'), GEMINI_CLI_HOME: path.join(alt, 'g') } };
    for (const a of AGENTS) await configureAgent(AGENT_DEFS[a], opts(a), e);
    expect(Object.keys(await snapshot(home.dir)).sort()).toEqual(['alt/claude/settings.json', 'alt/codex/config.toml', 'alt/g/.gemini/.env', 'alt/g/.gemini/settings.json']);
  });
});

describe('settings that win over the user file', () => {
  it('names managed settings and environment variables that override', async () => {
    home = await tempHome(undefined, { OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'x=1', GEMINI_TELEMETRY_ENABLED: 'false' });
    const managed = path.join(home.env.systemRoot, 'etc', 'claude-code', 'managed-settings.json');
    await mkdir(path.dirname(managed), { recursive: true });
    await writeFile(managed, '{ "env": { "OTEL_LOGS_EXPORTER": "none" } }');
    const c = await configureAgent(AGENT_DEFS.claude, opts('claude'), home.env);
    expect(c.warnings!.join('\n')).toMatch(/managed-settings\.json \(managed settings\) sets env\.OTEL_LOGS_EXPORTER/);
    const g = await configureAgent(AGENT_DEFS.gemini, opts('gemini'), home.env);
    expect(g.warnings).toEqual([
      'GEMINI_TELEMETRY_ENABLED is set in this shell\'s environment and wins over what configure writes; unset it (or remove it from your shell profile)',
      'OTEL_EXPORTER_OTLP_LOGS_HEADERS is set in this shell\'s environment and wins over what configure writes; unset it (or remove it from your shell profile)',
    ]);
  });

  it('never turns prompt logging on unless asked', async () => {
    home = await tempHome(undefined);
    for (const a of AGENTS) await configureAgent(AGENT_DEFS[a], opts(a), home.env);
    const all = Object.values(await snapshot(home.dir)).join('\n');
    expect(all).not.toMatch(/OTEL_LOG_USER_PROMPTS|log_user_prompt|"logPrompts": true/);
    expect(all).toContain('"logPrompts": false');
  });
});

describe('dry-run diff', () => {
  it('shows removed lines before the lines that replace them', async () => {
    const { lineDiff } = await import('../../src/onboard/diff.ts');
    expect(lineDiff('a\nold\nz\n', 'a\nnew\nz\n', 'f')).toBe('--- f\n+++ f\n a\n-old\n+new\n z\n ');
  });
});

describe('Gemini CLI .env files', () => {
  it('warns when a project .env would be loaded instead of ~/.gemini/.env', async () => {
    home = await tempHome(undefined);
    const project = path.join(home.dir, 'src', 'app');
    await mkdir(project, { recursive: true });
    await writeFile(path.join(home.dir, 'src', '.env'), 'FOO=1\n');
    const out = await configureAgent(AGENT_DEFS.gemini, opts('gemini'), { ...home.env, cwd: project });
    expect(out.warnings!.join('\n')).toContain(`${path.join(home.dir, 'src', '.env')} is loaded instead of`);
    const clean = await configureAgent(AGENT_DEFS.gemini, opts('gemini'), { ...home.env, cwd: home.dir });
    expect(clean.warnings).toEqual([]);
  });
});
