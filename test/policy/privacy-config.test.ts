// The [privacy] section: what it accepts, and refusals that name the setting.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parsePolicyText } from '../../src/policy/document.ts';
import { PolicyError } from '../../src/policy/policy-error.ts';
import { summarizePrivacy } from '../../src/policy/privacy-config.ts';
import { patternProblem } from '../../src/policy/privacy-patterns.ts';
import { section } from './support.ts';

const KEY = 'k'.repeat(40);
const dir = mkdtempSync(path.join(os.tmpdir(), 'otlp2delta-privacy-config-'));
writeFileSync(path.join(dir, 'good.key'), `${KEY}\n`);
writeFileSync(path.join(dir, 'short.key'), 'tooshort\n');

const refusal = (raw: unknown, env: NodeJS.ProcessEnv = {}): string => {
  try {
    section(raw, dir, env);
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    return (e as Error).message;
  }
  throw new Error('accepted');
};

describe('[privacy] validation', () => {
  it('names the dotted setting of each problem', () => {
    expect(refusal({ rules: [{ drop: ['a'] }, { drop: ['b'] }, { mask: [{ pattern: '(' }] }] })).toMatch(/^privacy\.rules\[2\]\.mask\[0\]\.pattern: not a valid regular expression/);
    expect(refusal({ rules: [{ drop: 'prompt' }] })).toBe('privacy.rules[0].drop: must be an array of strings');
    expect(refusal({ rules: [{ dorp: ['prompt'] }] })).toMatch(/^privacy\.rules\[0\]\.dorp: unknown setting/);
    expect(refusal({ rules: [{ preset: 'cursor' }] })).toMatch(/^privacy\.rules\[0\]\.preset: unknown preset "cursor"; one of claude-code, codex, gemini-cli/);
    expect(refusal({ rules: [{ tables: ['main.agents'], drop: ['x'] }] })).toMatch(/^privacy\.rules\[0\]\.tables\[0\]: must be catalog\.schema\.table/);
    expect(refusal({ rules: [{ mask: ['aws'] }] })).toMatch(/^privacy\.rules\[0\]\.mask\[0\]: unknown built-in pattern "aws"/);
    expect(refusal({ rules: [{ body: 'hide' }] })).toBe('privacy.rules[0].body: must be one of keep, drop, blank');
    expect(refusal({ rules: [{ tables: ['a.b.c'] }] })).toMatch(/^privacy\.rules\[0\]: does nothing/);
    expect(refusal({ rules: [{ drop: ['user.email'], pseudonymize: ['user.email'] }], pseudonym_key_file: 'good.key' })).toMatch(/^privacy\.rules\[0\]\.pseudonymize: "user\.email" is also in drop/);
    expect(refusal({ rulez: [] })).toMatch(/^privacy\.rulez: unknown setting/);
  });

  it('refuses patterns that can backtrack exponentially, and overlong ones (PRIVACY_PATTERN_CHARS_MAX)', () => {
    expect(patternProblem('(a+)+$', false)).toMatch(/quantified group contains a quantifier/);
    expect(patternProblem('(a|aa)*b', false)).toMatch(/quantified group/);
    expect(patternProblem('(?:x*y)*', false)).toMatch(/quantified group/);
    expect(patternProblem('(\\w)\\1', false)).toMatch(/backreferences/);
    expect(patternProblem('a*', false)).toMatch(/empty string/);
    expect(patternProblem('x'.repeat(513), false)).toMatch(/PRIVACY_PATTERN_CHARS_MAX/);
    // Ordinary patterns pass, including an optional group and a repeated plain group.
    expect(patternProblem('sk-[A-Za-z0-9]{20,}', false)).toBeUndefined();
    expect(patternProblem('(?:ab)+c', false)).toBeUndefined();
    expect(patternProblem('acct-(\\d+)?x', false)).toBeUndefined();
    expect(refusal({ rules: [{ mask: [{ pattern: '(a+)+' }] }] })).toMatch(/^privacy\.rules\[0\]\.mask\[0\]\.pattern: a quantified group/);
  });

  it('reads the pseudonym key from a file next to the policy file or from the environment, and refuses a missing or short one without showing it', () => {
    const fromFile = section({ pseudonym_key_file: 'good.key', rules: [{ pseudonymize: ['user.email'] }] }, dir);
    expect(fromFile.rules[0]!.pseudonymKeyHex).toBe(Buffer.from(KEY).toString('hex'));
    const fromEnv = section({ pseudonym_key_env: 'PSEUDO_KEY', rules: [{ pseudonymize: ['user.email'] }] }, dir, { PSEUDO_KEY: KEY });
    expect(fromEnv.rules[0]!.pseudonymKeyHex).toBe(fromFile.rules[0]!.pseudonymKeyHex);
    expect(fromEnv.key?.fingerprint).toBe(fromFile.key?.fingerprint);
    expect(refusal({ rules: [{ pseudonymize: ['user.email'] }] })).toMatch(/^privacy\.rules\[0\]\.pseudonymize: pseudonymizing needs a key/);
    expect(refusal({ pseudonym_key_file: 'missing.key', rules: [] })).toMatch(/^privacy\.pseudonym_key_file: cannot read the key file .*missing\.key: ENOENT/);
    const short = refusal({ pseudonym_key_file: 'short.key', rules: [] });
    expect(short).toMatch(/is 8 bytes; at least 32 \(PSEUDONYM_KEY_BYTES_MIN\)/);
    expect(short).not.toContain('tooshort');
    const shortEnv = refusal({ pseudonym_key_env: 'K', rules: [] }, { K: 'hunter2' });
    expect(shortEnv).not.toContain('hunter2');
    expect(refusal({ pseudonym_key_env: 'K', rules: [] })).toBe('privacy.pseudonym_key_env: the environment variable K is not set');
    expect(JSON.stringify(fromFile)).not.toContain(Buffer.from(KEY).toString('hex'));
    expect(inspect(fromFile, { depth: 10 })).not.toContain(Buffer.from(KEY).toString('hex'));
    const summary = summarizePrivacy(fromFile).join('\n');
    expect(summary).toContain(`fingerprint ${fromFile.key!.fingerprint}`);
    expect(summary).not.toContain(KEY);
    expect(summary).not.toContain(Buffer.from(KEY).toString('hex'));
  });

  it('presets name their agents and keys; without a key they drop the identities they would pseudonymize', () => {
    const keyless = section({ rules: [{ preset: 'gemini-cli' }] });
    expect(keyless.rules[0]).toMatchObject({ agents: ['gemini-cli'], pseudonymize: [] });
    expect(keyless.rules[0]!.drop).toEqual(expect.arrayContaining(['prompt', 'request_text', 'response_text', 'process.command_args', 'user.email']));
    const keyed = section({ pseudonym_key_file: 'good.key', rules: [{ preset: 'claude-code', drop: ['user.email'] }, { preset: 'codex' }] }, dir);
    // The rule's own drop wins over its preset's pseudonymize.
    expect(keyed.rules[0]).toMatchObject({ agents: ['claude-code'], pseudonymize: ['user.account_uuid'] });
    expect(keyed.rules[0]!.drop).toEqual(expect.arrayContaining(['prompt', 'tool_parameters', 'user.email']));
    expect(keyed.rules[1]).toMatchObject({ agents: ['codex*'], pseudonymize: ['user.email', 'user.account_id'] });
    // An agent named like a preset means its service names.
    expect(section({ rules: [{ agents: ['codex', 'my-agent'], drop: ['x'] }] }).rules[0]!.agents).toEqual(['codex*', 'my-agent']);
  });

  it('reads [[privacy.rules]] from a TOML policy file, and a new key or rule is a new version', () => {
    const text = `[privacy]\npseudonym_key_file = "good.key"\n\n[[privacy.rules]]\ntables = ["Main.Agents.*"]\npreset = "gemini-cli"\nmask = ["secrets", { pattern = "sk-[a-z]{8}", replacement = "[key]" }]\n`;
    const doc = parsePolicyText(text, path.join(dir, 'policy.toml'));
    expect(doc.privacy.rules[0]).toMatchObject({ tables: ['main.agents.*'], label: 'privacy.rules[0]' });
    expect(doc.privacy.rules[0]!.mask.map((m) => m.name)).toEqual(['aws-access-key', 'github-token', 'databricks-token', 'jwt', 'private-key', 'pattern 1']);
    expect(parsePolicyText(text, path.join(dir, 'policy.toml')).privacy.version).toBe(doc.privacy.version);
    writeFileSync(path.join(dir, 'other.key'), 'o'.repeat(40));
    expect(parsePolicyText(text.replace('good.key', 'other.key'), path.join(dir, 'policy.toml')).privacy.version).not.toBe(doc.privacy.version);
    expect(parsePolicyText(text.replace('sk-', 'pk-'), path.join(dir, 'policy.toml')).privacy.version).not.toBe(doc.privacy.version);
  });
});
