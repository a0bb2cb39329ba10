// The dashboard's HTTP routes on a Hono app: the pages and their assets (all
// from the package: no CDN, no remote fonts), and the JSON and CSV endpoints
// the pages read, answered with the caller's grants. Pages and assets hold no
// data, so only the endpoints ask for a token.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Hono } from 'hono';
import { OWNER } from '../access/types.ts';
import type { EdgeOutcome } from '../http/auth.ts';
import { FilterError, parseFilters } from './filters.ts';
import { PANELS } from './panels/index.ts';
import { tableCsv } from './results.ts';
import { DashboardError, type DashboardService } from './service.ts';
import type { Table } from './panel.ts';

export type DashboardRoutes = {
  dashboard: DashboardService;
  /** Checks the request's bearer token (an open server passes everyone as the owner). */
  who: (c: Context) => EdgeOutcome;
  log: (line: string) => void;
};

const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');
const UPLOT_DIR = path.dirname(createRequire(import.meta.url).resolve('uplot'));

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };
/** Everything a page may load comes from this server; styles set by uPlot and the bars are inline. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

type Asset = { body: Buffer; type: string };

function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(STATIC_DIR)) {
    const type = TYPES[path.extname(name)];
    if (type) assets.set(`/dashboard/static/${name}`, { body: readFileSync(path.join(STATIC_DIR, name)), type });
  }
  assets.set('/dashboard/vendor/uPlot.esm.js', { body: readFileSync(path.join(UPLOT_DIR, 'uPlot.esm.js')), type: TYPES['.js'] as string });
  assets.set('/dashboard/vendor/uPlot.min.css', { body: readFileSync(path.join(UPLOT_DIR, 'uPlot.min.css')), type: TYPES['.css'] as string });
  assets.set('/dashboard', { body: readFileSync(path.join(STATIC_DIR, 'index.html')), type: TYPES['.html'] as string });
  assets.set('/dashboard/session', { body: readFileSync(path.join(STATIC_DIR, 'session.html')), type: TYPES['.html'] as string });
  return assets;
}

const failure = (c: Context, status: 400 | 401 | 403 | 404 | 429 | 500 | 503, error_code: string, message: string) => c.json({ error_code, message }, status);

function csv(c: Context, t: Table, name: string): Response {
  return c.body(tableCsv(t), 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name.replace(/[^a-z0-9_.-]/gi, '_')}.csv"` });
}

export function registerDashboard(app: Hono<any>, deps: DashboardRoutes): void {
  const assets = loadAssets();
  app.get('/', (c) => c.redirect('/dashboard', 302));
  app.get('/dashboard/', (c) => c.redirect('/dashboard', 302));
  for (const [route, asset] of assets) {
    // no-cache with an ETag: a reload costs a 304 per asset, and an upgrade is never served stale.
    const etag = `"${createHash('sha256').update(asset.body).digest('base64url').slice(0, 22)}"`;
    const headers = { 'content-type': asset.type, 'content-security-policy': CSP, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', etag };
    app.get(route, (c) => (c.req.header('if-none-match') === etag ? c.body(null, 304, headers) : c.body(new Uint8Array(asset.body), 200, headers)));
  }

  /** Runs `answer` for the authenticated caller, mapping refusals to JSON errors. */
  const api = (answer: (c: Context, caller: Parameters<DashboardService['overview']>[1]) => Promise<Response>) => async (c: Context) => {
    const who = deps.who(c);
    if (!who.ok) {
      deps.log(`dashboard: request refused (${who.problem}): ${who.message}`);
      return failure(c, who.status, who.status === 401 ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED', who.message);
    }
    try {
      return await answer(c, who.principal ?? OWNER);
    } catch (e) {
      if (e instanceof FilterError) return failure(c, 400, 'INVALID_PARAMETER_VALUE', e.message);
      if (e instanceof DashboardError) {
        deps.log(`dashboard: request refused (${e.status}): ${e.message}`);
        return failure(c, e.status, e.status === 403 ? 'PERMISSION_DENIED' : e.status === 404 ? 'NOT_FOUND' : e.status === 400 ? 'INVALID_PARAMETER_VALUE' : 'TEMPORARILY_UNAVAILABLE', e.message);
      }
      deps.log(`dashboard: request failed: ${(e as Error).message}`);
      return failure(c, 500, 'INTERNAL_ERROR', `the dashboard could not be computed: ${(e as Error).message}`);
    }
  };
  const overviewOf = (c: Context, caller: Parameters<DashboardService['overview']>[1]) =>
    deps.dashboard.overview(parseFilters((k) => c.req.query(k)), caller, c.req.query('schema') || undefined, { allowStale: c.req.query('cached') === 'any' });

  // Whether a token is needed and whether the one sent is good, answered 200 either way, so the
  // page can ask for a token without a refused request (which browsers log as an error).
  app.get('/dashboard/api/auth', (c) => {
    const who = deps.who(c);
    if (!who.ok) return c.json({ required: true, signedIn: false, message: who.message });
    return c.json({ required: who.principal !== undefined, signedIn: who.principal !== undefined, principal: who.principal?.name ?? null });
  });
  app.get('/dashboard/api/overview', api(async (c, caller) => c.json(await overviewOf(c, caller))));
  app.get('/dashboard/api/panels/:id', api(async (c, caller) => {
    const id = c.req.param('id');
    if (!PANELS.some((p) => p.id === id)) throw new DashboardError(`no panel ${JSON.stringify(id)}; panels: ${PANELS.map((p) => p.id).join(', ')}`, 404);
    const o = await overviewOf(c, caller);
    return c.json({ schema: o.schema, filters: o.filters, version: o.version, ...o.panels.find((p) => p.id === id) });
  }));
  app.get('/dashboard/api/panels/:id/:file{[a-z0-9_]+\\.csv}', api(async (c, caller) => {
    const id = c.req.param('id');
    const table = (c.req.param('file') ?? '').replace(/\.csv$/, '');
    const o = await overviewOf(c, caller);
    const panel = o.panels.find((p) => p.id === id);
    if (!panel) throw new DashboardError(`no panel ${JSON.stringify(id)}`, 404);
    const t = table === 'kpis' ? { columns: Object.keys(panel.kpis), rows: [panel.kpis] } : panel.tables[table];
    if (!t) throw new DashboardError(`panel ${id} has no table ${JSON.stringify(table)}; it has: kpis, ${Object.keys(panel.tables).join(', ')}`, 404);
    return csv(c, t, `${id}-${table}`);
  }));
  const sessionOf = (c: Context, caller: Parameters<DashboardService['overview']>[1]) => {
    const agent = c.req.query('agent');
    const session = c.req.query('session');
    if (!agent || !session || agent.length > 512 || session.length > 512) throw new FilterError('agent and session are required (at most 512 characters each)');
    return deps.dashboard.session(agent, session, caller, c.req.query('schema') || undefined);
  };
  app.get('/dashboard/api/session', api(async (c, caller) => c.json(await sessionOf(c, caller))));
  app.get('/dashboard/api/session/:file{(summary|timeline)\\.csv}', api(async (c, caller) => {
    const page = await sessionOf(c, caller);
    const which = (c.req.param('file') ?? '').startsWith('summary') ? 'summary' : 'timeline';
    return csv(c, page[which], `session-${which}`);
  }));
}
