// The overview page: filters from the URL, one request for every panel, and
// each panel drawn from its part of the answer.
import { AuthNeeded, askForToken, checkSignIn, getJson, mayAskBeforeSignIn } from './api.js';
import { csvButton, dataTable, el, kpiStrip, timeSeries } from './render.js';

const FILTERS = ['schema', 'from', 'to', 'agent', 'user', 'team', 'model'];
const form = document.getElementById('filters');
const status = document.getElementById('status');
const main = document.getElementById('panels');

const KPI_LABELS = {
  adoption: { active_users: 'active users', new_users: 'new users', agents: 'agents' },
  sessions: { sessions: 'sessions', median_minutes: 'median length', users: 'users with sessions', subagent_runs: 'subagent runs (– when none sent)' },
  tokens: { tokens: 'tokens', cache_hit_rate: 'cache hit rate' },
  spend: { spend_usd: 'spend', reported_usd: 'reported by agents', estimated_usd: 'estimated from prices' },
  outcomes: { lines_added: 'lines added', lines_removed: 'lines removed', commits: 'commits', pull_requests: 'pull requests', cost_per_commit: 'cost per commit', cost_per_line: 'cost per line added' },
  tools: { decisions: 'tool decisions', acceptance_rate: 'acceptance rate' },
  errors: { api_requests: 'model API calls', api_errors: 'errors', error_rate: 'error rate', latency_p50_ms: 'median latency', latency_p95_ms: 'p95 latency' },
  top_sessions: {},
  health: { last_data: 'last data', silent_exporters: 'logs but no metrics', refused_exports: 'refused exports' },
};

/** Per panel: charts (table, x, series, value, title) and tables (name, bar column, title). */
const LAYOUT = {
  adoption: { charts: [['daily', 'day', 'agent', 'users', 'Active users per day'], ['weekly', 'week', 'agent', 'users', 'Active users per week'], ['new_vs_returning', 'day', null, 'new_users', 'New users per day']], tables: [['new_vs_returning', 'returning_users', 'New and returning users']] },
  sessions: { charts: [['daily', 'day', 'agent', 'sessions', 'Sessions per day']], tables: [['by_user', 'sessions', 'Sessions per user'], ['subagents', 'runs', 'Subagents started (only agents that send them: Gemini CLI, Claude Code)']] },
  tokens: { charts: [['daily', 'day', 'agent', 'tokens', 'Tokens per day']], tables: [['by_agent', 'tokens', 'By agent'], ['by_type', 'tokens', 'By type'], ['by_model', 'tokens', 'By model']] },
  spend: { charts: [['daily', 'day', 'agent', 'spend_usd', 'Spend per day (USD)']], tables: [['by_agent', 'spend_usd', 'By agent'], ['by_model', 'spend_usd', 'By model'], ['by_user', 'spend_usd', 'By user'], ['by_team', 'spend_usd', 'By team'], ['budgets', 'spent_usd', 'Budgets (period holding the range end)']] },
  outcomes: { charts: [], tables: [['by_agent', 'commits', 'By agent (only agents that send them)']] },
  tools: { charts: [], tables: [['by_tool', 'decisions', 'By agent and tool']] },
  errors: { charts: [['daily', 'day', 'agent', 'errors', 'Errors per day'], ['daily', 'day', 'agent', 'latency_p50_ms', 'Median latency per day (ms)']], tables: [['by_model', 'requests', 'By agent and model'], ['error_kinds', 'errors', 'Errors']] },
  top_sessions: { charts: [], tables: [['sessions', 'spend_usd', 'Sessions']] },
  health: { charts: [], tables: [['last_arrival', null, 'Last data per agent, user and signal'], ['logs_without_metrics', null, 'Agents sending logs but no metrics'], ['refused_exports', 'refusals', 'Refused exports (system.access.audit)']] },
};

function params() {
  const q = new URLSearchParams(location.search);
  const out = new URLSearchParams();
  for (const k of FILTERS) if (q.get(k)) out.set(k, q.get(k));
  return out;
}

function fillSelect(select, values, current, withAll = true) {
  const all = withAll ? [''] : [];
  const list = [...new Set([...all, ...values, ...(current ? [current] : [])])];
  select.replaceChildren(...list.map((v) => el('option', { value: v }, v === '' ? 'all' : v)));
  select.value = current ?? '';
}

function syncForm(o, q) {
  fillSelect(form.elements.schema, o.schemas, o.schema ?? '', false);
  for (const k of ['agent', 'user', 'team', 'model']) fillSelect(form.elements[k], o.options[k] ?? [], q.get(k) ?? '');
  form.elements.from.value = q.get('from') ?? '';
  form.elements.to.value = q.get('to') ?? '';
  form.dataset.lastDay = (o.options.day ?? [])[1] ?? '';
}

function panelSection(p, q) {
  const layout = LAYOUT[p.id] ?? { charts: [], tables: [] };
  const base = `/dashboard/api/panels/${p.id}`;
  const qs = q.toString() ? `?${q}` : '';
  const section = el('section', { 'data-panel': p.id, class: `panel panel-${p.id}` },
    el('div', { class: 'panel-head' }, el('h2', {}, p.title), Object.keys(p.kpis).length ? csvButton(`${base}/kpis.csv${qs}`, `${p.id}-kpis`) : null),
    kpiStrip(p.kpis, KPI_LABELS[p.id] ?? {}));
  if (p.error) section.append(el('p', { class: 'error' }, p.error));
  const charts = el('div', { class: 'charts' });
  for (const [table, x, series, value, title] of layout.charts) charts.append(timeSeries(p.tables[table]?.rows ?? [], { x, series, value, title }));
  if (layout.charts.length) section.append(charts);
  for (const [table, bar, title] of layout.tables) {
    const link = p.id === 'top_sessions' ? { column: 'session_id', href: (r) => `/dashboard/session?${new URLSearchParams({ ...(q.get('schema') ? { schema: q.get('schema') } : {}), agent: r.agent, session: r.session_id })}` } : undefined;
    section.append(el('div', { class: 'block', 'data-table': table }, el('div', { class: 'block-head' }, el('h3', {}, title), csvButton(`${base}/${table}.csv${qs}`, `${p.id}-${table}`)), dataTable(p.tables[table], { bar, link })));
  }
  return section;
}

function render(o, q) {
  syncForm(o, q);
  main.replaceChildren(...o.panels.map((p) => panelSection(p, q)));
  const range = o.filters.from || o.filters.to ? `, ${o.filters.from ?? '…'} to ${o.filters.to ?? '…'}` : ', all time';
  status.textContent = o.schema ? `${o.schema}${range} (UTC days)${o.stale ? ' — updating to the newest data…' : ''}` : 'No agent tables you may read yet.';
}

let loading = 0;

async function load() {
  const q = params();
  const mine = ++loading;
  status.textContent = 'Loading…';
  main.setAttribute('aria-busy', 'true');
  const url = `/dashboard/api/overview${q.toString() ? `?${q}` : ''}`;
  try {
    // The last answer at once (if the data changed since, it says so), then the current one;
    // asked for alongside the sign-in check, which refuses the same way when a token is needed.
    const ask = () => getJson(`${url}${q.toString() ? '&' : '?'}cached=any`);
    const first = mayAskBeforeSignIn() ? (await Promise.all([checkSignIn(), ask()]))[1] : await checkSignIn().then(ask);
    if (mine !== loading) return;
    render(first, q);
    if (first.stale) {
      const current = await getJson(url);
      if (mine !== loading) return;
      render(current, q);
    }
    document.body.dataset.loaded = 'true';
  } catch (e) {
    if (e instanceof AuthNeeded) {
      status.textContent = 'Sign in to see the dashboard.';
      askForToken(e.message, load);
    } else status.textContent = `Could not load: ${e.message}`;
  } finally {
    main.removeAttribute('aria-busy');
  }
}

function apply() {
  const q = new URLSearchParams();
  for (const k of FILTERS) if (form.elements[k].value) q.set(k, form.elements[k].value);
  history.pushState(null, '', `/dashboard${q.toString() ? `?${q}` : ''}`);
  document.body.dataset.loaded = 'false';
  void load();
}

form.addEventListener('change', apply);
for (const b of form.querySelectorAll('[data-days]')) {
  b.addEventListener('click', () => {
    const days = Number(b.dataset.days);
    const last = form.dataset.lastDay || new Date().toISOString().slice(0, 10);
    form.elements.to.value = days ? last : '';
    form.elements.from.value = days ? new Date(Date.parse(`${last}T00:00:00Z`) - (days - 1) * 86400000).toISOString().slice(0, 10) : '';
    apply();
  });
}
window.addEventListener('popstate', load);
void load();
