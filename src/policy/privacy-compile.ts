// A privacy plan compiled for applying: key tests, regexes and the HMAC key.
// Compiled once per plan version in each thread (the event loop and every
// render worker keep their own cache), since plans arrive as plain data.
import { createHmac } from 'node:crypto';
import { globRegex, keyMatcher } from './glob.ts';
import { ALWAYS_ALLOWED } from './privacy-presets.ts';
import type { BodyAction, PrivacyPlan } from './types.ts';

export type CompiledMask = { re: RegExp; replacement: string };

export type CompiledRule = {
  label: string;
  agents: RegExp | undefined;
  drop: (key: string) => boolean;
  pseudonymize: (key: string) => boolean;
  /** Allow-list mode: whether a key is kept; undefined when the rule keeps every key not dropped. */
  allowed: ((key: string) => boolean) | undefined;
  masks: CompiledMask[];
  body: BodyAction;
  pseudonym: ((text: string) => string) | undefined;
};

export type CompiledPlan = { rules: CompiledRule[] };

/** Pseudonyms name their kind, so a reader of the table knows the value is not the original. */
export const PSEUDONYM_PREFIX = 'ps_';
/** Hex digits kept of the HMAC: 128 bits, far beyond collisions among any organisation's users. */
const PSEUDONYM_HEX = 32;

// A server has a few plans (one per table pattern set); old versions go after a reload.
const CACHE_MAX = 32;
const cache = new Map<string, CompiledPlan>();

function compileRule(r: PrivacyPlan['rules'][number]): CompiledRule {
  const key = r.pseudonymKeyHex === undefined ? undefined : Buffer.from(r.pseudonymKeyHex, 'hex');
  const allowedKeys = r.allow && keyMatcher([...r.allow, ...r.pseudonymize, ...ALWAYS_ALLOWED]);
  return {
    label: r.label,
    agents: r.agents ? globRegex(r.agents) : undefined,
    drop: keyMatcher(r.drop),
    pseudonymize: keyMatcher(r.pseudonymize),
    allowed: allowedKeys,
    masks: r.mask.map((m) => ({ re: new RegExp(m.source, m.ignoreCase ? 'giu' : 'gu'), replacement: m.replacement })),
    body: r.body,
    pseudonym: key && ((text) => PSEUDONYM_PREFIX + createHmac('sha256', key).update(text, 'utf8').digest('hex').slice(0, PSEUDONYM_HEX)),
  };
}

export function compilePlan(plan: PrivacyPlan): CompiledPlan {
  let c = cache.get(plan.version);
  if (c) return c;
  c = { rules: plan.rules.map(compileRule) };
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(plan.version, c);
  return c;
}
