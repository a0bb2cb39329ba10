// The [limits] part of a policy file: rate limits per principal, per group,
// a default per user, and global, each in requests, records and bytes per
// minute with a burst. Parsing is strict: a limit the operator believes is in
// force but was misspelt would be worse than no file at all.
import { PolicyError } from './policy-error.ts';

export const DIMENSIONS = ['requests', 'records', 'bytes'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export type RateSpec = {
  /** The limit's stable identifier, its dotted setting: `limits.groups.eng.records_per_minute`. */
  id: string;
  perMinute: number;
  /** Tokens a full bucket holds: what may arrive at once after a quiet spell. */
  burst: number;
};

export type LimitScope = 'global' | 'default_user' | 'group' | 'principal';

/** One table of [limits]: the dimensions it sets. */
export type LimitRule = {
  scope: LimitScope;
  /** The group's or principal's name (scopes group and principal). */
  name?: string;
  /** The rule's own dotted path, e.g. `limits.principals."alice@example.com"`. */
  path: string;
  rates: Partial<Record<Dimension, RateSpec>>;
};

export type LimitsSection = {
  global?: LimitRule | undefined;
  defaultUser?: LimitRule | undefined;
  groups: ReadonlyMap<string, LimitRule>;
  principals: ReadonlyMap<string, LimitRule>;
};

export const NO_LIMITS: LimitsSection = { groups: new Map(), principals: new Map() };

const SCOPE_KEYS = ['global', 'default_user', 'groups', 'principals'] as const;
/** Larger than any real rate (a million records a second is 6e7 a minute) yet exact as a double. */
const VALUE_MAX = Number.MAX_SAFE_INTEGER;

/** A name as a TOML key: bare when it may be, quoted otherwise (emails, service names with dots). */
export function tomlKey(name: string): string {
  return /^[A-Za-z0-9_-]+$/.test(name) ? name : JSON.stringify(name);
}

const isTable = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

function table(v: unknown, setting: string): Record<string, unknown> {
  if (!isTable(v)) throw new PolicyError(setting, 'must be a table');
  return v;
}

function count(v: unknown, setting: string): number {
  // smol-toml gives integers as numbers (bigint only past 2^53, which is past VALUE_MAX anyway).
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new PolicyError(setting, `must be a whole number, got ${describe(v)}`);
  if (n < 1 || n > VALUE_MAX) throw new PolicyError(setting, `must be from 1 to ${VALUE_MAX}, got ${String(v)}; to refuse a principal altogether, revoke its token or its MODIFY grant`);
  return n;
}

const describe = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'an array' : isTable(v) ? 'a table' : String(v));

function parseRule(raw: unknown, path: string, scope: LimitScope, name?: string): LimitRule {
  const t = table(raw, path);
  const known = new Set(DIMENSIONS.flatMap((d) => [`${d}_per_minute`, `${d}_burst`]));
  for (const key of Object.keys(t)) {
    if (!known.has(key)) throw new PolicyError(`${path}.${tomlKey(key)}`, `unknown setting; a limit has ${[...known].join(', ')}`);
  }
  const rates: Partial<Record<Dimension, RateSpec>> = {};
  for (const d of DIMENSIONS) {
    const rateKey = `${d}_per_minute`;
    const burstKey = `${d}_burst`;
    if (t[rateKey] === undefined) {
      if (t[burstKey] !== undefined) throw new PolicyError(`${path}.${burstKey}`, `needs ${rateKey} in the same table: a burst is the size of that rate's bucket`);
      continue;
    }
    const perMinute = count(t[rateKey], `${path}.${rateKey}`);
    // One minute's worth by default: a client may send its whole minute at once, as exporters batch.
    const burst = t[burstKey] === undefined ? perMinute : count(t[burstKey], `${path}.${burstKey}`);
    rates[d] = { id: `${path}.${rateKey}`, perMinute, burst };
  }
  if (Object.keys(rates).length === 0) throw new PolicyError(path, `sets no limit; give at least one of ${DIMENSIONS.map((d) => `${d}_per_minute`).join(', ')} (or remove the table)`);
  return { scope, path, rates, ...(name !== undefined ? { name } : {}) };
}

function parseNamed(raw: unknown, path: string, scope: 'group' | 'principal'): Map<string, LimitRule> {
  const out = new Map<string, LimitRule>();
  if (raw === undefined) return out;
  for (const [name, rule] of Object.entries(table(raw, path))) {
    if (name.trim() === '') throw new PolicyError(`${path}.""`, 'a name must not be empty');
    out.set(name, parseRule(rule, `${path}.${tomlKey(name)}`, scope, name));
  }
  return out;
}

/** Validates the [limits] table; `raw` is undefined when the file has none. */
export function parseLimits(raw: unknown): LimitsSection {
  if (raw === undefined) return NO_LIMITS;
  const t = table(raw, 'limits');
  for (const key of Object.keys(t)) {
    if (!(SCOPE_KEYS as readonly string[]).includes(key)) {
      throw new PolicyError(`limits.${tomlKey(key)}`, `unknown setting; [limits] has ${SCOPE_KEYS.map((k) => `limits.${k}`).join(', ')}`);
    }
  }
  return {
    global: t.global === undefined ? undefined : parseRule(t.global, 'limits.global', 'global'),
    defaultUser: t.default_user === undefined ? undefined : parseRule(t.default_user, 'limits.default_user', 'default_user'),
    groups: parseNamed(t.groups, 'limits.groups', 'group'),
    principals: parseNamed(t.principals, 'limits.principals', 'principal'),
  };
}

const WHO: Record<LimitScope, (name: string | undefined) => string> = {
  global: () => 'all requests together',
  default_user: () => 'each principal without a limit of its own or of a group, its own bucket',
  group: (n) => `members of group ${n ?? ''}, one bucket shared`,
  principal: (n) => `principal ${n ?? ''} alone`,
};

/** Every rule of the section, global first. */
export function allRules(limits: LimitsSection): LimitRule[] {
  return [limits.global, limits.defaultUser, ...limits.groups.values(), ...limits.principals.values()].filter((r): r is LimitRule => r !== undefined);
}

/** One line per limit in force, for `otlp2delta policy check` and the reload log line. */
export function summarizeLimits(limits: LimitsSection): string[] {
  return allRules(limits).flatMap((rule) =>
    Object.values(rule.rates).map((r) => `${r.id} = ${r.perMinute} (burst ${r.burst}): ${WHO[rule.scope](rule.name)}`),
  );
}
