// The [privacy] part of a policy file: rules per table pattern and agent.
// Everything is checked here, at load, so a rule in force never fails while
// a request is being rendered: patterns compile, keys exist, presets are known.
import { createHash } from 'node:crypto';
import { PRIVACY_MASKS_MAX, PRIVACY_RULE_KEYS_MAX, PRIVACY_RULES_MAX } from '../config/limits.ts';
import { PolicyError } from './policy-error.ts';
import { readKeyEnv, readKeyFile, type PseudonymKey } from './privacy-key.ts';
import { BUILT_IN_MASKS, builtInMask, patternProblem, SECRET_MASKS } from './privacy-patterns.ts';
import { PRESETS } from './privacy-presets.ts';
import type { BodyAction, MaskPlan, PrivacyRulePlan } from './types.ts';

export type PrivacyRule = PrivacyRulePlan & {
  /** Globs on catalog.schema.table (lower case); undefined: every table. */
  readonly tables: readonly string[] | undefined;
  readonly preset: string | undefined;
};

export type PrivacySection = {
  readonly rules: readonly PrivacyRule[];
  /** Where the pseudonym key came from (never the key itself), when one is configured. */
  readonly key: Omit<PseudonymKey, 'hex'> | undefined;
  /** Digest of the rules: the plan version render threads cache their compiled forms by. */
  readonly version: string;
};

export const NO_PRIVACY: PrivacySection = { rules: [], key: undefined, version: 'none' };

export type PrivacyParseContext = {
  /** The policy file's folder: relative paths in the section (key files) are resolved from it. */
  baseDir: string;
  /** Where pseudonym_key_env is looked up (tests pass their own). */
  env?: NodeJS.ProcessEnv;
};

const SECTION_KEYS = new Set(['rules', 'pseudonym_key_file', 'pseudonym_key_env']);
const RULE_KEYS = new Set(['name', 'tables', 'agents', 'preset', 'drop', 'pseudonymize', 'mask', 'allow', 'body']);
const MASK_KEYS = new Set(['name', 'pattern', 'replacement', 'ignore_case']);
const BODY_ACTIONS: readonly BodyAction[] = ['keep', 'drop', 'blank'];
const TABLE_GLOB = /^[a-z0-9_*]+\.[a-z0-9_*]+\.[a-z0-9_*]+$/;
const KEY_CHARS_MAX = 256;

type Table = Record<string, unknown>;

const unique = (xs: readonly string[]): string[] => [...new Set(xs)];

function table(raw: unknown, setting: string): Table {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new PolicyError(setting, 'must be a table');
  return raw as Table;
}

function onlyKeys(t: Table, allowed: Set<string>, setting: string): void {
  for (const k of Object.keys(t)) if (!allowed.has(k)) throw new PolicyError(`${setting}.${k}`, `unknown setting; one of ${[...allowed].join(', ')}`);
}

function str(raw: unknown, setting: string): string {
  if (typeof raw !== 'string') throw new PolicyError(setting, 'must be a string');
  return raw;
}

function strings(raw: unknown, setting: string, check: (s: string, at: string) => string): string[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) throw new PolicyError(setting, 'must be an array of strings');
  return raw.map((v, i) => check(str(v, `${setting}[${i}]`), `${setting}[${i}]`));
}

function attributeKey(s: string, at: string): string {
  if (s.length === 0 || s.length > KEY_CHARS_MAX) throw new PolicyError(at, `must be an attribute key of 1 to ${KEY_CHARS_MAX} characters (\`*\` matches any run of characters)`);
  return s;
}

function tableGlob(s: string, at: string): string {
  const lower = s.toLowerCase();
  if (!TABLE_GLOB.test(lower)) throw new PolicyError(at, `must be catalog.schema.table, each part letters, digits, _ or * (e.g. "main.agents.*"), not ${JSON.stringify(s)}`);
  return lower;
}

function agentGlob(s: string, at: string): string {
  if (s.length === 0 || s.length > KEY_CHARS_MAX) throw new PolicyError(at, 'must be an agent preset name or a service.name (glob)');
  return s;
}

function parseMasks(raw: unknown, setting: string): MaskPlan[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new PolicyError(setting, 'must be an array of built-in pattern names and { pattern, replacement } tables');
  if (raw.length > PRIVACY_MASKS_MAX) throw new PolicyError(setting, `has ${raw.length} patterns; at most ${PRIVACY_MASKS_MAX} (PRIVACY_MASKS_MAX)`);
  const out: MaskPlan[] = [];
  raw.forEach((item, i) => {
    const at = `${setting}[${i}]`;
    if (typeof item === 'string') {
      const names = item === 'secrets' ? [...SECRET_MASKS] : [item];
      for (const n of names) {
        const m = builtInMask(n);
        if (!m) throw new PolicyError(at, `unknown built-in pattern ${JSON.stringify(item)}; one of secrets, ${Object.keys(BUILT_IN_MASKS).join(', ')}`);
        out.push(m);
      }
      return;
    }
    const t = table(item, at);
    onlyKeys(t, MASK_KEYS, at);
    const source = str(t.pattern, `${at}.pattern`);
    const ignoreCase = t.ignore_case === undefined ? false : t.ignore_case;
    if (typeof ignoreCase !== 'boolean') throw new PolicyError(`${at}.ignore_case`, 'must be true or false');
    const problem = patternProblem(source, ignoreCase);
    if (problem) throw new PolicyError(`${at}.pattern`, problem);
    const replacement = t.replacement === undefined ? '[redacted]' : str(t.replacement, `${at}.replacement`);
    const name = t.name === undefined ? `pattern ${i}` : str(t.name, `${at}.name`);
    out.push({ name, source, ignoreCase, replacement });
  });
  return out;
}

type KeySource = { file?: string; env?: string; baseDir: string; processEnv: NodeJS.ProcessEnv };

function parseRule(raw: unknown, i: number, key: PseudonymKey | undefined): PrivacyRule {
  const keyFor = (setting: string): PseudonymKey => {
    if (!key) throw new PolicyError(setting, 'pseudonymizing needs a key: set privacy.pseudonym_key_file (a file of at least 32 random bytes) or privacy.pseudonym_key_env');
    return key;
  };
  const at = `privacy.rules[${i}]`;
  const t = table(raw, at);
  onlyKeys(t, RULE_KEYS, at);
  const name = t.name === undefined ? undefined : str(t.name, `${at}.name`);
  const presetName = t.preset === undefined ? undefined : str(t.preset, `${at}.preset`);
  const preset = presetName === undefined ? undefined : PRESETS[presetName];
  if (presetName !== undefined && !preset) throw new PolicyError(`${at}.preset`, `unknown preset ${JSON.stringify(presetName)}; one of ${Object.keys(PRESETS).join(', ')}`);
  const tables = strings(t.tables, `${at}.tables`, tableGlob);
  // An agent named like a preset means that agent's service names.
  const agentsRaw = strings(t.agents, `${at}.agents`, agentGlob);
  const agents = agentsRaw ? agentsRaw.flatMap((a) => PRESETS[a]?.agents ?? [a]) : preset?.agents;
  // A preset's identity keys are pseudonymized when there is a key and dropped when there is
  // none: without a key the safe choice is to store no identity at all.
  const presetIds = preset?.pseudonymize ?? [];
  const ownDrop = strings(t.drop, `${at}.drop`, attributeKey) ?? [];
  const ownPseudonymize = strings(t.pseudonymize, `${at}.pseudonymize`, attributeKey) ?? [];
  const both = ownDrop.find((k) => ownPseudonymize.includes(k));
  if (both !== undefined) throw new PolicyError(`${at}.pseudonymize`, `${JSON.stringify(both)} is also in drop; list it in one of them`);
  if (ownPseudonymize.length > 0) keyFor(`${at}.pseudonymize`);
  // The rule's own lists win over its preset's.
  const drop = unique([...(preset?.drop ?? []), ...(key ? [] : presetIds), ...ownDrop]).filter((k) => !ownPseudonymize.includes(k));
  const pseudonymize = unique([...(key ? presetIds : []), ...ownPseudonymize]).filter((k) => !drop.includes(k));
  const allow = strings(t.allow, `${at}.allow`, attributeKey);
  const mask = parseMasks(t.mask, `${at}.mask`);
  const keys = drop.length + pseudonymize.length + (allow?.length ?? 0);
  if (keys > PRIVACY_RULE_KEYS_MAX) throw new PolicyError(at, `lists ${keys} keys; at most ${PRIVACY_RULE_KEYS_MAX} (PRIVACY_RULE_KEYS_MAX)`);
  let body: BodyAction;
  if (t.body === undefined) body = allow ? 'drop' : 'keep';
  else {
    const b = str(t.body, `${at}.body`);
    if (!BODY_ACTIONS.includes(b as BodyAction)) throw new PolicyError(`${at}.body`, `must be one of ${BODY_ACTIONS.join(', ')}`);
    body = b as BodyAction;
  }
  if (drop.length === 0 && pseudonymize.length === 0 && mask.length === 0 && !allow && body === 'keep') {
    throw new PolicyError(at, 'does nothing; give it a preset, drop, pseudonymize, mask, allow or body');
  }
  const pseudonymKeyHex = pseudonymize.length > 0 ? keyFor(`${at}.pseudonymize`).hex : undefined;
  const label = name === undefined ? at : `${at} (${name})`;
  const rule: PrivacyRule = { label, tables, agents, preset: presetName, drop, pseudonymize, mask, allow, body, pseudonymKeyHex: undefined };
  // Not enumerable: a section printed or logged whole (JSON.stringify, util.inspect) never shows the key.
  Object.defineProperty(rule, 'pseudonymKeyHex', { value: pseudonymKeyHex, enumerable: false });
  return rule;
}

/** Validates the [privacy] table; `raw` is undefined when the file has none. */
export function parsePrivacy(raw: unknown, ctx: PrivacyParseContext): PrivacySection {
  if (raw === undefined) return NO_PRIVACY;
  const t = table(raw, 'privacy');
  onlyKeys(t, SECTION_KEYS, 'privacy');
  const src: KeySource = { baseDir: ctx.baseDir, processEnv: ctx.env ?? process.env };
  if (t.pseudonym_key_file !== undefined) src.file = str(t.pseudonym_key_file, 'privacy.pseudonym_key_file');
  if (t.pseudonym_key_env !== undefined) src.env = str(t.pseudonym_key_env, 'privacy.pseudonym_key_env');
  if (src.file !== undefined && src.env !== undefined) throw new PolicyError('privacy.pseudonym_key_env', 'set either pseudonym_key_file or pseudonym_key_env, not both');
  // Read once, and only when configured: a key that is set but unreadable is refused even if no rule uses it yet.
  const key =
    src.file !== undefined
      ? readKeyFile(src.file, src.baseDir, 'privacy.pseudonym_key_file')
      : src.env !== undefined
        ? readKeyEnv(src.env, src.processEnv, 'privacy.pseudonym_key_env')
        : undefined;
  const rulesRaw = t.rules === undefined ? [] : t.rules;
  if (!Array.isArray(rulesRaw)) throw new PolicyError('privacy.rules', 'must be an array of tables ([[privacy.rules]])');
  if (rulesRaw.length > PRIVACY_RULES_MAX) throw new PolicyError('privacy.rules', `has ${rulesRaw.length} rules; at most ${PRIVACY_RULES_MAX} (PRIVACY_RULES_MAX)`);
  const rules = rulesRaw.map((r, i) => parseRule(r, i, key));
  // The version covers the key by its fingerprint: a new key is a new plan, and the digest shows nothing of it.
  const digest = createHash('sha256')
    .update(JSON.stringify(rules.map((r) => ({ ...r, pseudonymKeyHex: r.pseudonymKeyHex === undefined ? undefined : key?.fingerprint }))))
    .digest('hex')
    .slice(0, 16);
  return { rules, key: key && { source: key.source, fingerprint: key.fingerprint }, version: rules.length === 0 ? 'none' : digest };
}

const list = (xs: readonly string[]): string => (xs.length === 0 ? '-' : xs.join(', '));

/** One line per rule, for `otlp2delta policy check`. Never shows the key, only where it comes from. */
export function summarizePrivacy(privacy: PrivacySection): string[] {
  if (privacy.rules.length === 0) return ['privacy: no rules (every value is stored as sent)'];
  const lines: string[] = [];
  if (privacy.key) lines.push(`privacy: pseudonym key from ${privacy.key.source} (fingerprint ${privacy.key.fingerprint})`);
  else if (privacy.rules.some((r) => r.preset && PRESETS[r.preset]!.pseudonymize.length > 0)) {
    lines.push('privacy: no pseudonym key: the presets drop the identities (user.email...) they would pseudonymize');
  }
  for (const r of privacy.rules) {
    const parts = [
      `tables ${list(r.tables ?? ['*'])}`,
      `agents ${list(r.agents ?? ['*'])}`,
      ...(r.preset ? [`preset ${r.preset}`] : []),
      ...(r.allow ? [`allow only ${list(r.allow)}`] : []),
      ...(r.drop.length ? [`drop ${list(r.drop)}`] : []),
      ...(r.pseudonymize.length ? [`pseudonymize ${list(r.pseudonymize)}`] : []),
      ...(r.mask.length ? [`mask ${list(r.mask.map((m) => m.name))}`] : []),
      ...(r.body !== 'keep' ? [`body ${r.body}`] : []),
    ];
    lines.push(`privacy: ${r.label}: ${parts.join('; ')}`);
  }
  return lines;
}
