// The privacy rules in force, as the pipeline asks for them per request: the
// rules whose table globs match the request's table, as one plan. Plans are
// built once per table and section (the section object changes on reload),
// so a request costs one map lookup.
import { globRegex } from './glob.ts';
import type { PrivacyRule, PrivacySection } from './privacy-config.ts';
import type { PrivacyPlan, PrivacyRulePlan, PrivacyRules } from './types.ts';

/** The plain-data part of a rule: what is posted to render workers. */
function planRule(r: PrivacyRule): PrivacyRulePlan {
  const { label, agents, drop, pseudonymize, mask, allow, body, pseudonymKeyHex } = r;
  return { label, agents, drop, pseudonymize, mask, allow, body, pseudonymKeyHex };
}

/** `read` returns the section of the policy file in force (it changes on reload). */
export function createPrivacyRules(read: () => PrivacySection): PrivacyRules {
  let seen: PrivacySection | undefined;
  let tableTests: (RegExp | undefined)[] = [];
  const plans = new Map<string, PrivacyPlan | undefined>();
  return {
    planFor({ table }) {
      const section = read();
      if (section !== seen) {
        seen = section;
        tableTests = section.rules.map((r) => (r.tables ? globRegex(r.tables) : undefined));
        plans.clear();
      }
      if (section.rules.length === 0) return undefined;
      const full = `${table.catalog}.${table.schema}.${table.table}`.toLowerCase();
      if (plans.has(full)) return plans.get(full);
      const matching = section.rules.filter((_, i) => tableTests[i]?.test(full) ?? true);
      const plan = matching.length === 0 ? undefined : { version: `${section.version}:${matching.map((r) => r.label).join('|')}`, rules: matching.map(planRule) };
      plans.set(full, plan);
      return plan;
    },
  };
}
