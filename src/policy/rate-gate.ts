// The rate limits in force, as the pipeline asks them per request. Which
// buckets a request draws from, per dimension: the global limit always; then
// the principal's own limit if the file sets one, else the limits of its
// groups (each group one bucket shared by its members; with several groups
// all apply, so the stricter refuses first), else the default per user (a
// bucket per principal). Anonymous requests (auth off, no token) draw from
// the global limit only: there is no one to key a bucket to.
import { OtlpError } from '../errors.ts';
import { withNote } from '../access/export-admission.ts';
import type { Principal } from '../access/types.ts';
import { allRules, type Dimension, type LimitRule, type LimitsSection, type RateSpec } from './limits-config.ts';
import { BucketTable } from './token-bucket.ts';
import type { PolicySubject, RateGate } from './types.ts';

type Draw = { rule: LimitRule; spec: RateSpec; key: string; amount: number; dimension: Dimension };

export type RateGateOptions = {
  /** The [limits] section in force; it changes when the policy file is reloaded. */
  read: () => LimitsSection;
  /** Called with the limit's identifier for every refusal, for the metrics. */
  onRefused?: (limitId: string) => void;
  now?: () => number;
  bucketsMax?: number;
};

const UNIT: Record<Dimension, string> = { requests: 'request', records: 'records', bytes: 'bytes' };

function scopeWords(rule: LimitRule): string {
  switch (rule.scope) {
    case 'global':
      return 'global, all requests share it';
    case 'default_user':
      return 'the default per user, a bucket of its own';
    case 'group':
      return `group ${rule.name ?? ''}, one bucket shared by its members`;
    case 'principal':
      return 'its own limit';
  }
}

/** Buckets `principal` draws from for one dimension. */
function drawsFor(limits: LimitsSection, principal: Principal | undefined, dimension: Dimension, amount: number): Draw[] {
  const out: Draw[] = [];
  const add = (rule: LimitRule | undefined, perPrincipal = false) => {
    const spec = rule?.rates[dimension];
    if (!rule || !spec) return false;
    out.push({ rule, spec, amount, dimension, key: perPrincipal && principal ? `${spec.id}\u0000${principal.name}` : spec.id });
    return true;
  };
  add(limits.global);
  if (!principal) return out;
  if (add(limits.principals.get(principal.name))) return out;
  let grouped = false;
  for (const g of new Set(principal.groups)) grouped = add(limits.groups.get(g)) || grouped;
  if (!grouped) add(limits.defaultUser, true);
  return out;
}

const who = (p: Principal | undefined): string => (p ? `principal ${p.name} is` : 'anonymous requests are');

export function createRateGate(opts: RateGateOptions): RateGate & { readonly buckets: BucketTable } {
  const buckets = new BucketTable(opts.now ?? Date.now, opts.bucketsMax);
  let seen: LimitsSection | undefined;

  const current = (): LimitsSection => {
    const limits = opts.read();
    if (limits !== seen) {
      // A reload keeps the buckets of limits that are still there (same identifier), whatever their new value.
      if (seen !== undefined) {
        const ids = new Set(allRules(limits).flatMap((r) => Object.values(r.rates).map((s) => s.id)));
        buckets.retain((key) => ids.has(key.split('\u0000')[0] ?? ''));
      }
      seen = limits;
    }
    return limits;
  };

  const refuse = (d: Draw, subject: PolicySubject, e: OtlpError): never => {
    opts.onRefused?.(d.spec.id);
    throw withNote(e, { limit: d.spec.id, ...(subject.principal ? { principal: subject.principal.name } : {}) });
  };

  const admit = (subject: PolicySubject, amounts: [Dimension, number][]): void => {
    const limits = current();
    const draws = amounts.flatMap(([d, n]) => (n > 0 ? drawsFor(limits, subject.principal, d, n) : []));
    let worst: { draw: Draw; seconds: number } | undefined;
    for (const d of draws) {
      if (d.amount > d.spec.burst) {
        // Waiting never helps: a 429 would only have the exporter resend it until it gives up.
        refuse(d, subject, new OtlpError(
          'too_large',
          `rate limit: this request has ${d.amount} ${UNIT[d.dimension]}, more than ${d.spec.id.replace(/_per_minute$/, '_burst')} = ${d.spec.burst} lets through at once (${scopeWords(d.rule)}); send smaller batches or raise the burst in the policy file`,
        ));
      }
      const seconds = buckets.secondsUntil(d.key, d.spec, d.amount);
      if (seconds > 0 && (!worst || seconds > worst.seconds)) worst = { draw: d, seconds };
    }
    if (worst) {
      const { draw: d } = worst;
      const retry = Math.max(1, Math.ceil(worst.seconds));
      const size = d.dimension === 'requests' ? '' : `, this request ${d.amount} ${UNIT[d.dimension]}`;
      refuse(d, subject, new OtlpError(
        'rate_limited',
        `rate limit exceeded: ${who(subject.principal)} over ${d.spec.id} = ${d.spec.perMinute} (burst ${d.spec.burst}; ${scopeWords(d.rule)}${size}); retry after ${retry} s or raise the limit in the policy file`,
        { retryAfterSeconds: retry },
      ));
    }
    // Only once every bucket has room: a refusal takes nothing from any of them.
    for (const d of draws) buckets.take(d.key, d.spec, d.amount);
  };

  return {
    buckets,
    admitRequest(subject, bytes) {
      admit(subject, [
        ['requests', 1],
        ['bytes', bytes],
      ]);
    },
    admitRecords(subject, records) {
      admit(subject, [['records', records]]);
    },
  };
}
