// Budgets: a USD limit per period (daily or monthly) for one user, one team
// or everyone. Setting one replaces the earlier limit of the same scope,
// subject and period; a limit of 0 with --remove takes it away.
import type { Row } from './system-table.ts';

export const SCOPES = ['user', 'team', 'all'] as const;
export const PERIODS = ['daily', 'monthly'] as const;
export type Budget = { scope: (typeof SCOPES)[number]; subject: string; period: (typeof PERIODS)[number]; usd: number; updated_at: string };

/** The subject every-one budgets carry, so (scope, subject, period) is always a key. */
export const EVERYONE = '*';

export function budgetFromRow(r: Row): Budget {
  return { scope: r.scope as Budget['scope'], subject: String(r.subject), period: r.period as Budget['period'], usd: Number(r.usd), updated_at: String(r.updated_at) };
}

/** `current` with `changes` applied: same scope, subject and period are replaced; `remove` ones dropped. */
export function mergeBudgets(current: Budget[], changes: Budget[], remove = false): Budget[] {
  const key = (b: Budget) => `${b.scope}\u0000${b.subject}\u0000${b.period}`;
  const out = new Map(current.map((b) => [key(b), b]));
  for (const c of changes) {
    if (remove) out.delete(key(c));
    else out.set(key(c), c);
  }
  return [...out.values()].sort((a, b) => key(a).localeCompare(key(b)));
}
