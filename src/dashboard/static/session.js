// A session's page: its summary and its timeline in order.
import { AuthNeeded, askForToken, checkSignIn, getJson } from './api.js';
import { csvButton, dataTable, el, kpiStrip } from './render.js';

const status = document.getElementById('status');
const main = document.getElementById('panels');

async function load() {
  const q = new URLSearchParams(location.search);
  const keep = new URLSearchParams();
  for (const k of ['schema', 'agent', 'session']) if (q.get(k)) keep.set(k, q.get(k));
  if (q.get('schema')) document.getElementById('back').href = `/dashboard?schema=${encodeURIComponent(q.get('schema'))}`;
  status.textContent = 'Loading…';
  try {
    await checkSignIn();
    const s = await getJson(`/dashboard/api/session?${keep}`);
    const row = s.summary.rows[0];
    const kinds = {};
    for (const r of s.timeline.rows) kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;
    const kpis = { session_tokens: row.tokens, session_spend_usd: row.spend_usd, session_requests: row.requests, session_prompts: kinds.prompt ?? 0, session_tool_decisions: kinds.tool ?? 0, session_errors: kinds.error ?? 0 };
    main.replaceChildren(
      el('section', { 'data-panel': 'session_summary', class: 'panel' },
        el('div', { class: 'panel-head' }, el('h2', {}, `${s.agent} session ${s.session}`), csvButton(`/dashboard/api/session/summary.csv?${keep}`, 'session-summary')),
        kpiStrip(kpis, { session_tokens: 'tokens', session_spend_usd: 'spend', session_requests: 'model API calls', session_prompts: 'prompts', session_tool_decisions: 'tool events', session_errors: 'errors' }),
        dataTable(s.summary)),
      el('section', { 'data-panel': 'session_timeline', class: 'panel' },
        el('div', { class: 'panel-head' }, el('h2', {}, 'Timeline'), csvButton(`/dashboard/api/session/timeline.csv?${keep}`, 'session-timeline')),
        dataTable(s.timeline, { bar: 'tokens', limit: 2000 })));
    status.textContent = `${s.schema}, user ${row.user ?? '(unknown)'}, ${s.timeline.rows.length} events (times UTC)`;
    document.body.dataset.loaded = 'true';
  } catch (e) {
    if (e instanceof AuthNeeded) {
      status.textContent = 'Sign in to see this session.';
      askForToken(e.message, load);
    } else status.textContent = `Could not load: ${e.message}`;
  }
}
void load();
