// Applies a privacy plan to a decoded export request, before it is rendered:
// on the event loop or in a render worker, the same function on the same
// decoded shape, so both paths write the same rows. Lists and values are
// replaced, never changed in place: a decoder may share one frozen empty
// list between messages.
import type { AnyValue, ExportRequest, KeyValue, LogRecord, Metric, Resource, Signal } from '../otlp/types.ts';
import { oneofMember } from '../tables/oneof.ts';
import { listOf } from '../tables/walk.ts';
import { compilePlan, type CompiledRule } from './privacy-compile.ts';
import type { PrivacyPlan } from './types.ts';
import { maskValue, pseudonymValue, str } from './privacy-values.ts';

/** The record attribute that says how many values of the row the privacy rules changed (only when some were). */
export const REDACTED_ATTRIBUTE = 'otlp2delta.redacted';

export type PrivacyAction = 'dropped' | 'pseudonymized' | 'masked' | 'disallowed';

export type PrivacyChanges = Record<PrivacyAction, number>;

export const noChanges = (): PrivacyChanges => ({ dropped: 0, pseudonymized: 0, masked: 0, disallowed: 0 });

/** What `policy check` shows: per rule, action and key, how often and one example. */
export type PrivacyReport = Map<string, Map<string, { action: PrivacyAction | 'kept'; key: string; count: number; before: AnyValue | null | undefined; after: AnyValue | null | undefined }>>;

/** The key a body change is reported under. */
export const BODY_KEY = '(body)';

type Ctx = { changes: PrivacyChanges; report: PrivacyReport | undefined };

function note(ctx: Ctx, rule: CompiledRule, action: PrivacyAction | 'kept', key: string, before: AnyValue | null | undefined, after: AnyValue | null | undefined): void {
  // `kept` (allow-list mode) is only reported: it changes nothing.
  if (action !== 'kept') ctx.changes[action] += 1;
  if (!ctx.report) return;
  let perRule = ctx.report.get(rule.label);
  if (!perRule) ctx.report.set(rule.label, (perRule = new Map()));
  const id = `${action}\0${key}`;
  const seen = perRule.get(id);
  if (seen) seen.count += 1;
  else perRule.set(id, { action, key, count: 1, before, after });
}

/** One rule over one attribute list: the new list (or the same one) and how many values changed. */
function applyToList(kvs: readonly KeyValue[], rule: CompiledRule, ctx: Ctx): { list: readonly KeyValue[]; changed: number } {
  let out: KeyValue[] | undefined;
  let changed = 0;
  for (let i = 0; i < kvs.length; i++) {
    const kv = kvs[i]!;
    let next: KeyValue | undefined = kv;
    const key = kv?.key ?? '';
    const allowed = rule.allowed?.(key);
    if (allowed === false) {
      note(ctx, rule, 'disallowed', key, kv.value, undefined);
      next = undefined;
    } else if (rule.drop(key)) {
      note(ctx, rule, 'dropped', key, kv.value, undefined);
      next = undefined;
    } else if (rule.pseudonym && rule.pseudonymize(key)) {
      const value = pseudonymValue(kv.value, rule.pseudonym);
      note(ctx, rule, 'pseudonymized', key, kv.value, value);
      next = { key, value };
    } else if (rule.masks.length > 0) {
      const value = maskValue(kv.value, rule);
      if (value) {
        note(ctx, rule, 'masked', key, kv.value, value);
        next = { key, value };
      }
    }
    if (allowed && next === kv && ctx.report) note(ctx, rule, 'kept', key, kv.value, kv.value);
    if (next !== kv) {
      changed++;
      out ??= kvs.slice(0, i);
    }
    if (out && next) out.push(next);
  }
  return { list: out ?? kvs, changed };
}

/** Every rule over one list; a sender's own REDACTED_ATTRIBUTE is removed first: only the server sets it. */
function applyRules(kvs: readonly KeyValue[] | null | undefined, rules: readonly CompiledRule[], ctx: Ctx): { list: KeyValue[]; changed: number } {
  let list = listOf(kvs);
  if (list.some((kv) => kv?.key === REDACTED_ATTRIBUTE)) list = list.filter((kv) => kv?.key !== REDACTED_ATTRIBUTE);
  let changed = 0;
  for (const r of rules) {
    const got = applyToList(list, r, ctx);
    list = got.list;
    changed += got.changed;
  }
  return { list: list as KeyValue[], changed };
}

/** The record's attributes after the rules, with the count of values changed in its row when there are any. */
function recordAttributes(kvs: readonly KeyValue[] | null | undefined, rules: readonly CompiledRule[], ctx: Ctx, inherited: number, more = 0): KeyValue[] {
  const { list, changed } = applyRules(kvs, rules, ctx);
  const total = inherited + changed + more;
  return total > 0 ? [...list, { key: REDACTED_ATTRIBUTE, value: { intValue: total, value: 'intValue' } }] : list;
}

function applyBody(rec: LogRecord, rules: readonly CompiledRule[], ctx: Ctx): number {
  let changed = 0;
  for (const r of rules) {
    const body = rec.body;
    if (body == null) break;
    if (r.body === 'drop' || r.body === 'blank') {
      const after = r.body === 'blank' ? str('') : null;
      note(ctx, r, 'dropped', BODY_KEY, body, after);
      rec.body = after;
      changed++;
    } else if (r.masks.length > 0) {
      const masked = maskValue(body, r);
      if (masked) {
        note(ctx, r, 'masked', BODY_KEY, body, masked);
        rec.body = masked;
        changed++;
      }
    }
  }
  return changed;
}

function serviceName(resource: Resource | null | undefined): string {
  const kv = listOf(resource?.attributes).find((a) => a?.key === 'service.name');
  return kv?.value?.stringValue ?? '';
}

/** The rules that apply to a resource, and the changes to it (counted on each of its rows). */
function resourceLevel(holder: { resource?: Resource | null }, plan: readonly CompiledRule[], ctx: Ctx): { rules: CompiledRule[]; changed: number } {
  const name = serviceName(holder.resource);
  const rules = plan.filter((r) => !r.agents || r.agents.test(name));
  if (!holder.resource) return { rules, changed: 0 };
  const { list, changed } = applyRules(holder.resource.attributes, rules, ctx);
  holder.resource.attributes = list;
  return { rules, changed };
}

function scopeLevel(holder: { scope?: { attributes: KeyValue[] } | null }, rules: readonly CompiledRule[], ctx: Ctx): number {
  if (!holder.scope) return 0;
  const { list, changed } = applyRules(holder.scope.attributes, rules, ctx);
  holder.scope.attributes = list;
  return changed;
}

const POINT_KINDS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;

function applyMetric(m: Metric, rules: readonly CompiledRule[], ctx: Ctx, inherited: number): void {
  const meta = applyRules(m.metadata, rules, ctx);
  m.metadata = meta.list;
  const kind = oneofMember(m, 'data', POINT_KINDS);
  const data = kind === undefined ? undefined : m[kind];
  for (const p of listOf<{ attributes: KeyValue[]; exemplars?: { filteredAttributes: KeyValue[] }[] }>(data?.dataPoints)) {
    // Exemplar changes are not in the point's count: the count is part of the series key
    // (point attributes), and exemplars vary from point to point within a series.
    for (const ex of listOf(p.exemplars)) ex.filteredAttributes = applyRules(ex.filteredAttributes, rules, ctx).list;
    p.attributes = recordAttributes(p.attributes, rules, ctx, inherited + meta.changed);
  }
}

/** Returns the request with the plan's rules applied (no plan: unchanged); `changes` receives the counts. */
export function applyPrivacy<S extends Signal>(signal: S, req: ExportRequest[S], plan: PrivacyPlan | undefined, changes = noChanges(), report?: PrivacyReport): ExportRequest[S] {
  if (!plan || plan.rules.length === 0) return req;
  const compiled = compilePlan(plan).rules;
  const ctx: Ctx = { changes, report };
  if (signal === 'logs') {
    for (const rl of listOf((req as ExportRequest['logs']).resourceLogs)) {
      const { rules, changed: rc } = resourceLevel(rl, compiled, ctx);
      for (const sl of listOf(rl.scopeLogs)) {
        const sc = scopeLevel(sl, rules, ctx);
        for (const rec of listOf(sl.logRecords)) {
          const body = applyBody(rec, rules, ctx);
          rec.attributes = recordAttributes(rec.attributes, rules, ctx, rc + sc, body);
        }
      }
    }
  } else if (signal === 'traces') {
    for (const rs of listOf((req as ExportRequest['traces']).resourceSpans)) {
      const { rules, changed: rc } = resourceLevel(rs, compiled, ctx);
      for (const ss of listOf(rs.scopeSpans)) {
        const sc = scopeLevel(ss, rules, ctx);
        for (const span of listOf(ss.spans)) {
          let more = 0;
          for (const holder of [...listOf(span.events), ...listOf(span.links)]) {
            const got = applyRules(holder.attributes, rules, ctx);
            holder.attributes = got.list;
            more += got.changed;
          }
          span.attributes = recordAttributes(span.attributes, rules, ctx, rc + sc, more);
        }
      }
    }
  } else {
    for (const rm of listOf((req as ExportRequest['metrics']).resourceMetrics)) {
      const { rules, changed: rc } = resourceLevel(rm, compiled, ctx);
      for (const sm of listOf(rm.scopeMetrics)) {
        const sc = scopeLevel(sm, rules, ctx);
        for (const m of listOf(sm.metrics)) applyMetric(m, rules, ctx, rc + sc);
      }
    }
  }
  return req;
}
