// Computes the dashboard's answers for one caller: every panel's queries in
// one materialised batch over the chosen catalog.schema's views (each view is
// computed once), the audit table's refusals in a batch of their own, and a
// session's page. Answers are cached per warehouse version, filters and caller.
import { createHash } from 'node:crypto';
import { DASHBOARD_REFRESH_MS, DASHBOARD_WATCHED_MAX, DASHBOARD_WATCH_MS } from '../config/limits.ts';
import { OWNER, type Caller } from '../access/types.ts';
import type { QueryEngine } from '../query/engine.ts';
import { QueryError } from '../query/read-only.ts';
import { agentSchemas } from '../query/schemas.ts';
import { AnswerCache, warehouseVersion } from './cache.ts';
import { FILTER_KEYS, type Filters } from './filters.ts';
import type { PanelData, Table } from './panel.ts';
import { PANELS } from './panels/index.ts';
import { refusedSql } from './refused.ts';
import { toTable } from './results.ts';
import { sessionQueries } from './session-page.ts';

/** `stale`: an answer for an earlier table version, given while the current one is computed (`cached=any`). */
export type Overview = { stale?: boolean; schema: string | null; schemas: string[]; filters: Filters; version: string; panels: PanelData[]; options: Record<string, string[]> };
export type SessionPage = { schema: string; agent: string; session: string; summary: Table; timeline: Table };

const SCHEMA = /^[a-z0-9_]{1,255}\.[a-z0-9_]{1,255}$/;

export class DashboardError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 403 | 404 | 429 | 503,
  ) {
    super(message);
  }
}

/** A QueryError as the status the JSON endpoints answer with. */
function asDashboardError(e: unknown): unknown {
  if (!(e instanceof QueryError)) return e;
  const status = e.code === 'forbidden' ? 403 : e.code === 'busy' ? 429 : e.code === 'closed' ? 503 : 400;
  return new DashboardError(e.message, status);
}

/**
 * The server audits itself into this table all the time (reads of the SQL
 * endpoint, exports per minute): only the refusals read it, so its commits
 * leave the other answers cached, and the refusals are read on every request.
 */
const AUDIT = 'system.access.audit';
/** Newest answers kept for `cached=any`; the same bound as the cache's. */
const LATEST_MAX = 64;

type Watched = { filters: Filters; caller: Caller; schema: string | undefined; seen: number };

export class DashboardService {
  private readonly overviews = new AnswerCache<Overview>();
  private readonly sessions = new AnswerCache<SessionPage>();
  /** The newest answer per caller, schema and filters, whatever its version: what `cached=any` gives at once. */
  private readonly latest = new Map<string, Overview>();
  /** Answers asked for lately, recomputed in the background after a commit so the next look is quick. */
  private readonly watched = new Map<string, Watched>();
  /**
   * Answers kept current from start on whether anyone asked or not: the
   * default view (no filters, first schema) as the owner sees it, so the first
   * visitor after a start or a commit does not wait for the views.
   */
  private readonly pinned: Watched[] = [];
  private readonly timer: NodeJS.Timeout;
  private refreshing = false;
  /** Overviews computed, and how many of them in the background. */
  readonly stats = { computed: 0, refreshed: 0 };

  constructor(
    private readonly engine: QueryEngine,
    private readonly log: (line: string) => void = () => undefined,
    opts: { refreshMs?: number; precompute?: boolean } = {},
  ) {
    this.timer = setInterval(() => void this.refresh(), opts.refreshMs ?? DASHBOARD_REFRESH_MS);
    this.timer.unref();
    if (opts.precompute ?? true) {
      this.pinned.push({ filters: {}, caller: OWNER, schema: undefined, seen: Date.now() });
      setImmediate(() => void this.refresh()).unref();
    }
  }

  /** Stops the background refresh (also stopped once the engine has closed). */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }

  private closed = false;

  private async refresh(): Promise<void> {
    if (this.refreshing || this.closed) return;
    this.refreshing = true;
    try {
      for (const w of this.pinned) {
        if (this.closed) return;
        const before = this.stats.computed;
        await this.overviewOf(w.filters, w.caller, w.schema);
        if (this.stats.computed > before) this.stats.refreshed += 1;
      }
      for (const [key, w] of this.watched) {
        if (this.closed) return;
        if (Date.now() - w.seen > DASHBOARD_WATCH_MS) {
          this.watched.delete(key);
          continue;
        }
        const before = this.stats.computed;
        await this.overviewOf(w.filters, w.caller, w.schema);
        if (this.stats.computed > before) this.stats.refreshed += 1;
      }
    } catch (e) {
      if (e instanceof DashboardError && e.status === 503) this.close();
      else this.log(`dashboard: background refresh failed: ${(e as Error).message}`);
    } finally {
      this.refreshing = false;
    }
  }

  private callerKey(caller: Caller): string {
    if (caller === OWNER) return 'owner';
    const grants = createHash('sha256').update(JSON.stringify(this.engine.grants.list())).digest('hex');
    return `${caller.name}\u0000${caller.groups.join(',')}\u0000${grants}`;
  }

  /** The agent schemas this caller may use, and the one asked for (or the first). */
  private async schemaFor(caller: Caller, requested: string | undefined): Promise<{ schema: string | null; schemas: string[] }> {
    const visible = (await agentSchemas(this.engine.warehouse)).map((s) => s.schema).filter((s) => {
      const [c, sc] = s.split('.') as [string, string];
      return this.engine.grants.usesSchema(caller, c, sc);
    });
    if (requested === undefined) return { schema: visible[0] ?? null, schemas: visible };
    const want = requested.toLowerCase();
    if (!SCHEMA.test(want) || !visible.includes(want)) throw new DashboardError(`no agent tables you may read in ${JSON.stringify(requested)}; these schemas have them: ${visible.join(', ') || '(none)'}`, 404);
    return { schema: want, schemas: visible };
  }

  async overview(filters: Filters, caller: Caller, requestedSchema?: string, opts: { allowStale?: boolean } = {}): Promise<Overview> {
    const key = JSON.stringify([this.callerKey(caller), requestedSchema ?? null, FILTER_KEYS.map((k) => filters[k] ?? null)]);
    this.watched.delete(key);
    this.watched.set(key, { filters, caller, schema: requestedSchema, seen: Date.now() });
    while (this.watched.size > DASHBOARD_WATCHED_MAX) this.watched.delete(this.watched.keys().next().value as string);
    return this.overviewOf(filters, caller, requestedSchema, opts.allowStale ?? false);
  }

  private async overviewOf(filters: Filters, caller: Caller, requestedSchema: string | undefined, allowStale = false): Promise<Overview> {
    const { schema, schemas } = await this.schemaFor(caller, requestedSchema);
    const version = await warehouseVersion(this.engine.warehouse.root, [AUDIT]);
    const base = JSON.stringify([this.callerKey(caller), schema, FILTER_KEYS.map((k) => filters[k] ?? null)]);
    const fresh = this.overviews.get(JSON.stringify([version, base]), async () => {
      const computed = await this.computeOverview(filters, caller, schema, schemas, version);
      this.latest.delete(base);
      this.latest.set(base, computed);
      while (this.latest.size > LATEST_MAX) this.latest.delete(this.latest.keys().next().value as string);
      return computed;
    });
    const last = this.latest.get(base);
    let o: Overview;
    if (allowStale && last && last.version !== version) {
      // The current answer goes on being computed (and cached) for the request that follows.
      fresh.catch((e: unknown) => this.log(`dashboard: could not compute the overview: ${(e as Error).message}`));
      o = { ...last, stale: true };
    } else {
      o = { ...(await fresh), stale: false };
    }
    // A copy: the cached answer keeps no refusals of an earlier request.
    const panels = o.panels.map((p) => (p.id === 'health' ? { ...p, kpis: { ...p.kpis }, tables: { ...p.tables } } : p));
    await this.addRefusals(panels.find((p) => p.id === 'health') as PanelData, filters, caller);
    return { ...o, panels };
  }

  private async computeOverview(f: Filters, caller: Caller, schema: string | null, schemas: string[], version: string): Promise<Overview> {
    this.stats.computed += 1;
    if (schema === null) return { schema, schemas, filters: f, version, panels: PANELS.map((p) => ({ id: p.id, title: p.title, kpis: {}, tables: {} })), options: {} };
    const view = (v: string) => `${schema}.${v}`;
    const names: { panel: number; table: string }[] = [];
    const sqls: string[] = [];
    PANELS.forEach((p, panel) => {
      for (const [table, sql] of Object.entries(p.queries({ view, f }))) {
        names.push({ panel, table });
        sqls.push(sql);
      }
    });
    const options = {
      agent: `SELECT DISTINCT agent FROM ${view('daily_active_users')} WHERE agent IS NOT NULL ORDER BY 1`,
      user: `SELECT DISTINCT "user" FROM ${view('daily_active_users')} WHERE "user" IS NOT NULL ORDER BY 1 LIMIT 1000`,
      team: `SELECT DISTINCT team FROM ${view('daily_active_users')} WHERE team IS NOT NULL ORDER BY 1`,
      model: `SELECT DISTINCT model FROM ${view('usage_facts')} WHERE model IS NOT NULL ORDER BY 1`,
      day: `SELECT min(day), max(day) FROM ${view('agent_activity')}`,
    };
    let results;
    try {
      results = await this.engine.executeBatch([...sqls, ...Object.values(options)], { materialize: true, caller });
    } catch (e) {
      throw asDashboardError(e);
    }
    const panels: PanelData[] = PANELS.map((p) => ({ id: p.id, title: p.title, kpis: {}, tables: {} }));
    names.forEach(({ panel, table }, i) => {
      const t = toTable(results[i] as NonNullable<(typeof results)[number]>);
      const target = panels[panel] as PanelData;
      if (table === 'kpis') target.kpis = { ...(t.rows[0] as Record<string, number | string | null>) };
      else target.tables[table] = t;
    });
    const opt: Record<string, string[]> = {};
    Object.keys(options).forEach((k, j) => {
      const r = results[sqls.length + j] as NonNullable<(typeof results)[number]>;
      opt[k] = k === 'day' ? (r.rows[0] ?? []).map((v) => (v === null ? '' : String(v))) : r.rows.map((row) => String(row[0]));
    });
    return { schema, schemas, filters: f, version, panels, options: opt };
  }

  /** system.access.audit is read only by callers with SELECT on it; others see why it is missing. */
  private async addRefusals(health: PanelData, f: Filters, caller: Caller): Promise<void> {
    const empty: Table = { columns: ['table', 'action', 'reason', 'status_code', 'error', 'refusals', 'last_time'], rows: [] };
    // A warehouse that never ran a server has no audit table: nothing was refused.
    if ((await this.engine.warehouse.table('system', 'access', 'audit').catch(() => undefined)) === undefined) {
      health.tables.refused_exports = empty;
      health.kpis.refused_exports = 0;
      return;
    }
    try {
      const [r] = await this.engine.executeBatch([refusedSql(f)], { caller });
      const t = toTable(r as NonNullable<typeof r>);
      health.tables.refused_exports = t;
      health.kpis.refused_exports = t.rows.reduce((n, row) => n + Number(row.refusals), 0);
    } catch (e) {
      if (!(e instanceof QueryError)) throw e;
      health.tables.refused_exports = empty;
      health.kpis.refused_exports = null;
      health.error = `refused exports are not shown: ${e.message}`;
      this.log(`dashboard: refused exports not shown: ${e.message}`);
    }
  }

  async session(agent: string, session: string, caller: Caller, requestedSchema?: string): Promise<SessionPage> {
    const { schema } = await this.schemaFor(caller, requestedSchema);
    if (schema === null) throw new DashboardError('no agent tables you may read', 404);
    const version = await warehouseVersion(this.engine.warehouse.root, [AUDIT]);
    const key = JSON.stringify([version, this.callerKey(caller), schema, agent, session]);
    return this.sessions.get(key, async () => {
      const q = sessionQueries((v) => `${schema}.${v}`, agent, session);
      let r;
      try {
        r = await this.engine.executeBatch([q.summary as string, q.timeline as string], { materialize: true, caller });
      } catch (e) {
        throw asDashboardError(e);
      }
      const summary = toTable(r[0] as NonNullable<(typeof r)[0]>);
      if (summary.rows.length === 0) throw new DashboardError(`no session ${JSON.stringify(session)} of agent ${JSON.stringify(agent)} in ${schema}`, 404);
      return { schema, agent, session, summary, timeline: toTable(r[1] as NonNullable<(typeof r)[1]>) };
    });
  }
}
