// `otlp2delta policy check` as a command: a valid file and what its rules do
// to recorded requests, a broken file, and pseudonyms that are the same in
// every process with the same key (so instances and restarts agree).
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { FIXTURES_DIR } from '../support/fixtures.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'otlp2delta-policy-check-'));
const KEY_A = 'first-pseudonym-key-0123456789abcdef';
const KEY_B = 'second-pseudonym-key-0123456789abcdef';
writeFileSync(path.join(dir, 'a.key'), `${KEY_A}\n`);
writeFileSync(path.join(dir, 'b.key'), `${KEY_B}\n`);

function policy(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

const rules = (keyFile: string) => `[privacy]
pseudonym_key_file = "${keyFile}"

[[privacy.rules]]
name = "gemini"
preset = "gemini-cli"

[[privacy.rules]]
tables = ["main.agent_telemetry.codex_*"]
allow = ["model"]

[[privacy.rules]]
agents = ["claude-code"]
pseudonymize = ["user.id"]
mask = [{ pattern = "claude_code\\\\.user_prompt", replacement = "[event]" }]
`;

const CLAUDE_USER = 'be8aea4ed76067c766b9fcc5245f4032a7911a2285b62c236eeb1327a7e5b2d5';
const pseudonymOf = (key: string) => `ps_${createHmac('sha256', key).update(CLAUDE_USER).digest('hex').slice(0, 32)}`;

describe('otlp2delta policy check', () => {
  it('prints the rules and what each does to recorded requests, with short values and no key', async () => {
    const file = policy('a.toml', rules('a.key'));
    const r = await runCli(['policy', 'check', file, '--request', path.join(FIXTURES_DIR, 'gemini-cli'), '--request', path.join(FIXTURES_DIR, 'claude-code/json-basic/0003.meta.json'), '--request', path.join(FIXTURES_DIR, 'codex/json-basic/0005.meta.json')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`policy file ${file} is valid`);
    expect(r.stdout).toMatch(/^privacy: pseudonym key from file .*a\.key \(fingerprint [0-9a-f]{12}\)$/m);
    expect(r.stdout).toMatch(/^privacy: privacy\.rules\[0\] \(gemini\): tables \*; agents gemini-cli; preset gemini-cli; drop prompt, request_text/m);
    expect(r.stdout).toMatch(/^request .*gemini-cli\/http-basic\/0004\.meta\.json \(logs, table main\.agent_telemetry\.gemini_otel_logs\): 14 records, values changed: dropped 10$/m);
    expect(r.stdout).toContain('    dropped prompt x1: "say hi" -> (removed)');
    // Long values are cut to 40 characters.
    expect(r.stdout).toMatch(/^ {4}dropped request_text x2: ".{40,60}…" -> \(removed\)$/m);
    expect(r.stdout).toContain(`    pseudonymized user.id x3: "${CLAUDE_USER.slice(0, 40)}…" -> "${pseudonymOf(KEY_A)}"`);
    expect(r.stdout).toContain('    masked (body) x1: "claude_code.user_prompt" -> "[event]"');
    // Allow-list mode: what it leaves out, and what it keeps.
    expect(r.stdout).toMatch(/^ {4}disallowed conversation\.id x\d+: "[0-9a-f-]+" -> \(removed\)$/m);
    expect(r.stdout).toMatch(/^ {4}kept \(allow list\): (.*, )?service\.name x1, .*model x\d+/m);
    expect(r.stdout).not.toContain(KEY_A);
    expect(r.stdout).not.toContain(Buffer.from(KEY_A).toString('hex'));
  });

  it('gives the same pseudonym in every process with the same key, and another with another key', async () => {
    const claude = path.join(FIXTURES_DIR, 'claude-code/json-basic/0003.meta.json');
    const pick = (out: string) => /pseudonymized user\.id x3: "[^"]*" -> "(ps_[0-9a-f]{32})"/.exec(out)?.[1];
    const [a1, a2, b] = await Promise.all([
      runCli(['policy', 'check', policy('a1.toml', rules('a.key')), '--request', claude]),
      runCli(['policy', 'check', policy('a2.toml', rules(path.join(dir, 'a.key'))), '--request', claude]),
      runCli(['policy', 'check', policy('b.toml', rules('b.key')), '--request', claude]),
    ]);
    expect(pick(a1.stdout)).toBe(pseudonymOf(KEY_A));
    expect(pick(a2.stdout)).toBe(pick(a1.stdout));
    expect(pick(b.stdout)).toBe(pseudonymOf(KEY_B));
    expect(pick(b.stdout)).not.toBe(pick(a1.stdout));
  });

  it('refuses a broken file with exit 1, naming the setting', async () => {
    // Two processes only: each start takes seconds on a busy machine (a missing key is refused in privacy-config.test.ts).
    const [badRegex, notToml] = await Promise.all([
      runCli(['policy', 'check', policy('bad.toml', '[[privacy.rules]]\ndrop = ["x"]\n\n[[privacy.rules]]\nmask = [{ pattern = "([a-z]" }]\n')]),
      runCli(['policy', 'check', policy('garbage.toml', '[[privacy.rules]\n')]),
    ]);
    expect(badRegex.code).toBe(1);
    expect(badRegex.stdout).toBe('');
    expect(badRegex.stderr).toMatch(/^otlp2delta policy: policy file .*bad\.toml: privacy\.rules\[1\]\.mask\[0\]\.pattern: not a valid regular expression/);
    expect(notToml.code).toBe(1);
    expect(notToml.stderr).toMatch(/not valid TOML at line 1/);
  });
});
