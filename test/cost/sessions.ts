// Synthetic multi-user, multi-team sessions of the three agents, as OTLP JSON
// metrics with known token counts, for the cost tests (schema cost.agents).
// Codex names its user only by account id; Gemini's user is not in the directory.

export const SCHEMA = 'cost.agents';
export const DAY = '2026-11-20';
/** A Codex day before the price change of 2026-11-01 in PRICES_CSV. */
export const EARLY_DAY = '2026-10-15';

type Attrs = Record<string, string>;
const kv = (a: Attrs) => Object.entries(a).map(([key, v]) => ({ key, value: { stringValue: v } }));
let tick = 0;

/** `same` keeps the previous point's time: one export's points (Codex's token split) share it. */
function point(day: string, value: number, attrs: Attrs, same = false) {
  if (!same) tick += 1;
  const t = BigInt(Date.parse(`${day}T10:00:00Z`) + tick * 1000) * 1_000_000n;
  return { startTimeUnixNano: String(t - 1000n), timeUnixNano: String(t), asDouble: value, attributes: kv(attrs) };
}

const sum = (name: string, points: ReturnType<typeof point>[]) => ({ name, sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: points } });
const body = (resource: Attrs, metrics: unknown[]) => ({ resourceMetrics: [{ resource: { attributes: kv(resource) }, scopeMetrics: [{ scope: { name: 'cost-test' }, metrics }] }] });

type Claude = { email: string; model: string; input: number; output: number; cacheRead: number; cacheCreation: number; cost: number; commits: number; prs: number; added: number; removed: number };
export const CLAUDE: Claude[] = [
  { email: 'alice@example.com', model: 'claude-opus-4-8[1m]', input: 1000, output: 2000, cacheRead: 10000, cacheCreation: 500, cost: 0.5, commits: 2, prs: 1, added: 100, removed: 20 },
  { email: 'bob@example.com', model: 'claude-sonnet-4-5', input: 400, output: 800, cacheRead: 0, cacheCreation: 0, cost: 0.1, commits: 0, prs: 0, added: 0, removed: 0 },
  { email: 'Carol@Example.com', model: 'claude-opus-4-8', input: 2000, output: 1000, cacheRead: 0, cacheCreation: 0, cost: 0.2, commits: 1, prs: 0, added: 50, removed: 0 },
];

function claudeBody(c: Claude) {
  const a = { 'user.email': c.email, 'session.id': `s-${c.email}`, model: c.model };
  const who = { 'user.email': c.email, 'session.id': `s-${c.email}` };
  const tokens = ([['input', c.input], ['output', c.output], ['cacheRead', c.cacheRead], ['cacheCreation', c.cacheCreation]] as const).filter(([, n]) => n > 0);
  const metrics: unknown[] = [sum('claude_code.token.usage', tokens.map(([type, n]) => point(DAY, n, { ...a, type }))), sum('claude_code.cost.usage', [point(DAY, c.cost, a)])];
  if (c.commits > 0) metrics.push(sum('claude_code.commit.count', [point(DAY, c.commits, who)]));
  if (c.prs > 0) metrics.push(sum('claude_code.pull_request.count', [point(DAY, c.prs, who)]));
  const lines = ([['added', c.added], ['removed', c.removed]] as const).filter(([, n]) => n > 0);
  if (lines.length > 0) metrics.push(sum('claude_code.lines_of_code.count', lines.map(([type, n]) => point(DAY, n, { ...who, type }))));
  return body({ 'service.name': 'claude-code' }, metrics);
}

/** Codex reports cached input inside input and reasoning inside output. */
export const CODEX = { account: 'acct-dave', model: 'gpt-5.1-codex', day: { input: 1000, cached: 400, output: 300, reasoning: 100 }, early: { input: 100, output: 10 } };

/** Without an account id, the server names the user by the exporting token's principal. */
export function codexBody(account: string | null = CODEX.account) {
  const m = { model: CODEX.model };
  const d = CODEX.day;
  return body({ 'service.name': 'codex_cli_rs', ...(account === null ? {} : { 'user.account_id': account }) }, [
    sum('codex.turn.token_usage', [
      point(DAY, d.input, { ...m, token_type: 'input' }),
      point(DAY, d.cached, { ...m, token_type: 'cached_input' }, true),
      point(DAY, d.output, { ...m, token_type: 'output' }, true),
      point(DAY, d.reasoning, { ...m, token_type: 'reasoning_output' }, true),
      point(EARLY_DAY, CODEX.early.input, { ...m, token_type: 'input' }),
      point(EARLY_DAY, CODEX.early.output, { ...m, token_type: 'output' }, true),
    ]),
  ]);
}

/** Gemini reports cached tokens inside input. */
export const GEMINI = { email: 'erin@example.com', model: 'gemini-3.1-pro-preview', input: 500, cache: 100, output: 50, thought: 20, tool: 10, unknownModel: 'mystery-model-9', unknownInput: 70, unknownOutput: 7, added: 30 };

function geminiBody() {
  const g = GEMINI;
  const who = { 'user.email': g.email, 'session.id': 's-erin' };
  const m = { ...who, model: g.model };
  const u = { ...who, model: g.unknownModel };
  return body({ 'service.name': 'gemini-cli' }, [
    sum('gemini_cli.token.usage', [
      point(DAY, g.input, { ...m, type: 'input' }),
      point(DAY, g.cache, { ...m, type: 'cache' }),
      point(DAY, g.output, { ...m, type: 'output' }),
      point(DAY, g.thought, { ...m, type: 'thought' }),
      point(DAY, g.tool, { ...m, type: 'tool' }),
      point(DAY, g.unknownInput, { ...u, type: 'input' }),
      point(DAY, g.unknownOutput, { ...u, type: 'output' }),
    ]),
    sum('gemini_cli.lines.changed', [point(DAY, g.added, { ...who, type: 'added' })]),
  ]);
}

export function costRequests(): { table: string; body: unknown }[] {
  return [
    ...CLAUDE.map((c) => ({ table: `${SCHEMA}.claude_otel_metrics`, body: claudeBody(c) })),
    { table: `${SCHEMA}.codex_otel_metrics`, body: codexBody() },
    { table: `${SCHEMA}.gemini_otel_metrics`, body: geminiBody() },
  ];
}

/** The price list the tests import; the estimates below are worked out from it by hand. */
export const PRICES_CSV = `model_pattern,token_type,usd_per_million_tokens,valid_from,source,retrieved
claude-opus-4*,input,100,2025-01-01,test,
claude-opus-4*,output,100,2025-01-01,test,
claude-opus-4-8*,input,5,2025-01-01,"test, quoted",2026-11-01
claude-opus-4-8*,output,25,2025-01-01,test,
claude-opus-4-8*,cache_read,0.5,2025-01-01,test,
claude-opus-4-8*,cache_write,6.25,2025-01-01,test,
claude-sonnet-4*,input,3,2025-01-01,test,
claude-sonnet-4*,output,15,2025-01-01,test,
gpt-5.1-codex*,input,1.25,2025-01-01,test,
gpt-5.1-codex*,input,2,2026-11-01,test,
gpt-5.1-codex*,cache_read,0.125,2025-01-01,test,
gpt-5.1-codex*,output,10,2025-01-01,test,
gpt-5.1-codex*,reasoning,10,2025-01-01,test,
gemini-3.1-pro*,input,2,2025-01-01,test,
gemini-3.1-pro*,cache_read,0.2,2025-01-01,test,
gemini-3.1-pro*,output,12,2025-01-01,test,
gemini-3.1-pro*,reasoning,12,2025-01-01,test,
gemini-3.1-pro*,tool,2,2025-01-01,test,
`;

export const DIRECTORY_CSV = `email,display_name,team,department,cost_center,location
alice@example.com,Alice,platform,engineering,CC-100,Berlin
BOB@example.com,Bob,platform,engineering,CC-100,Lisbon
carol@example.com,Carol,data,analytics,CC-200,Paris
acct-dave,Dave,data,analytics,CC-200,
`;
