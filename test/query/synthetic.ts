// Synthetic agent sessions with totals known by construction: cumulative and
// delta exports, a counter reset, a repeated export, two processes sharing a
// session id, Gemini's overlapping metric families and a logs-only Codex day.
// Sent as OTLP JSON to the real server, into the synth.agent_telemetry schema.

export const SYNTH_SCHEMA = 'synth.agent_telemetry';
/** The day most sessions happen on, and the days before it that some data falls on. */
export const DAY = '2026-11-20';
export const LOGS_ONLY_DAY = '2026-11-18';
export const EARLY_DAY = '2026-10-31';

type Attrs = Record<string, string | number | boolean>;
type Point = { start: bigint; time: bigint; value: number; attrs?: Attrs };
type Body = Record<string, unknown>;

const ns = (day: string, hh: number, mm: number, ss = 0): bigint => BigInt(Date.parse(`${day}T00:00:00Z`) + ((hh * 60 + mm) * 60 + ss) * 1000) * 1_000_000n;
const kv = (attrs: Attrs) =>
  Object.entries(attrs).map(([key, v]) => ({
    key,
    value: typeof v === 'string' ? { stringValue: v } : typeof v === 'boolean' ? { boolValue: v } : Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v },
  }));

const DELTA = 1;
const CUMULATIVE = 2;

function sum(name: string, temporality: number, base: Attrs, points: Point[]): Body {
  const dataPoints = points.map((p) => ({ startTimeUnixNano: String(p.start), timeUnixNano: String(p.time), asDouble: p.value, attributes: kv({ ...base, ...p.attrs }) }));
  return { name, sum: { aggregationTemporality: temporality, isMonotonic: true, dataPoints } };
}

function histogram(name: string, temporality: number, base: Attrs, points: Point[]): Body {
  const dataPoints = points.map((p) => ({
    startTimeUnixNano: String(p.start),
    timeUnixNano: String(p.time),
    count: '1',
    sum: p.value,
    bucketCounts: ['1'],
    explicitBounds: [],
    attributes: kv({ ...base, ...p.attrs }),
  }));
  return { name, histogram: { aggregationTemporality: temporality, dataPoints } };
}

function metricsBody(resource: Attrs, metrics: Body[]): Body {
  return { resourceMetrics: [{ resource: { attributes: kv(resource) }, scopeMetrics: [{ scope: { name: 'synthetic' }, metrics }] }] };
}

function logsBody(resource: Attrs, records: { time: bigint; attrs: Attrs; body?: string; observed?: bigint }[]): Body {
  const logRecords = records.map((r) => ({
    timeUnixNano: String(r.time),
    observedTimeUnixNano: String(r.observed ?? r.time),
    body: r.body === undefined ? undefined : { stringValue: r.body },
    attributes: kv(r.attrs),
  }));
  return { resourceLogs: [{ resource: { attributes: kv(resource) }, scopeLogs: [{ scope: { name: 'synthetic' }, logRecords }] }] };
}

export type SynthRequest = { signal: 'metrics' | 'logs'; table: string; body: Body };

const CLAUDE = { 'service.name': 'claude-code', 'service.version': '2.1.197' };
const alice = { 'user.email': 'alice@example.com', 'user.id': 'u-alice', 'organization.id': 'org-1', 'session.id': 'S1' };
const bob = { 'user.email': 'bob@example.com', 'user.id': 'u-bob', 'organization.id': 'org-1', 'session.id': 'S2' };
const tok = (type: string, model = 'claude-sonnet') => ({ type, model });

/** Claude Code, cumulative: process A with a repeated export and a restart, process B in the same session. */
function claudeCumulative(): SynthRequest[] {
  const t = (m: number) => ns(DAY, 10, m);
  const a0 = t(0);
  const a1 = t(30); // process A restarted: a new start time, counters from zero
  const b0 = t(1); // process B, same session and attributes, its own start
  const send = (points: Body[]): SynthRequest => ({ signal: 'metrics', table: `${SYNTH_SCHEMA}.claude_otel_metrics`, body: metricsBody(CLAUDE, points) });
  const tokens = (start: bigint, at: bigint, input: number, output: number) =>
    sum('claude_code.token.usage', CUMULATIVE, alice, [
      { start, time: at, value: input, attrs: tok('input') },
      { start, time: at, value: output, attrs: tok('output') },
    ]);
  const cost = (start: bigint, at: bigint, usd: number) => sum('claude_code.cost.usage', CUMULATIVE, alice, [{ start, time: at, value: usd, attrs: { model: 'claude-sonnet' } }]);
  const active = (start: bigint, at: bigint, cli: number, user: number) =>
    sum('claude_code.active_time.total', CUMULATIVE, alice, [
      { start, time: at, value: cli, attrs: { type: 'cli' } },
      { start, time: at, value: user, attrs: { type: 'user' } },
    ]);
  const second = send([tokens(a0, t(10), 250, 50), cost(a0, t(10), 1.25), active(a0, t(10), 4, 2)]);
  return [
    send([tokens(a0, t(5), 100, 20), cost(a0, t(5), 0.5), active(a0, t(5), 1.5, 2)]),
    send([tokens(b0, t(6), 50, 5), cost(b0, t(6), 0.3)]),
    second,
    second, // the exporter retried: the same points again
    send([tokens(a0, t(15), 400, 70)]),
    send([tokens(b0, t(16), 120, 15), cost(b0, t(16), 0.7)]),
    send([tokens(a1, t(35), 30, 4), cost(a1, t(35), 0.1)]),
    send([tokens(a1, t(40), 80, 9), cost(a1, t(40), 0.2)]),
  ];
}

/** Claude Code, delta: bob's session with a repeated export, code and git counters, events. */
function claudeDelta(): SynthRequest[] {
  const t = (m: number) => ns(DAY, 14, m);
  const metric = (points: Body[]): SynthRequest => ({ signal: 'metrics', table: `${SYNTH_SCHEMA}.claude_otel_metrics`, body: metricsBody(CLAUDE, points) });
  const step = (from: number, to: number, input: number, usd: number) => [
    sum('claude_code.token.usage', DELTA, bob, [{ start: t(from), time: t(to), value: input, attrs: tok('input', 'claude-opus') }]),
    sum('claude_code.cost.usage', DELTA, bob, [{ start: t(from), time: t(to), value: usd, attrs: { model: 'claude-opus' } }]),
  ];
  const second = metric(step(1, 2, 20, 0.02));
  const counters = metric([
    sum('claude_code.lines_of_code.count', DELTA, bob, [
      { start: t(0), time: t(1), value: 10, attrs: { type: 'added' } },
      { start: t(1), time: t(2), value: 5, attrs: { type: 'added' } },
      { start: t(1), time: t(2), value: 3, attrs: { type: 'removed' } },
    ]),
    sum('claude_code.commit.count', DELTA, bob, [{ start: t(1), time: t(2), value: 2 }]),
    sum('claude_code.pull_request.count', DELTA, bob, [{ start: t(1), time: t(2), value: 1 }]),
  ]);
  const ev = (m: number, name: string, attrs: Attrs) => ({ time: t(m), body: `claude_code.${name}`, attrs: { ...bob, 'event.name': name, ...attrs } });
  const events: SynthRequest = {
    signal: 'logs',
    table: `${SYNTH_SCHEMA}.claude_otel_logs`,
    body: logsBody(CLAUDE, [
      ev(1, 'api_request', { model: 'claude-opus', input_tokens: 10, output_tokens: 0, cost_usd: 0.01 }),
      ev(2, 'api_request', { model: 'claude-opus', input_tokens: 20, output_tokens: 0, cost_usd: 0.02 }),
      ev(3, 'api_request', { model: 'claude-opus', input_tokens: 30, output_tokens: 0, cost_usd: 0.03 }),
      ev(4, 'api_error', { model: 'claude-opus', status_code: '529', error: 'overloaded', duration_ms: 12 }),
      ev(5, 'tool_decision', { tool_name: 'Edit', decision: 'accept', source: 'user' }),
      ev(6, 'tool_decision', { tool_name: 'Bash', decision: 'accept', source: 'config' }),
      ev(7, 'tool_decision', { tool_name: 'Bash', decision: 'reject', source: 'user' }),
    ]),
  };
  return [metric(step(0, 1, 10, 0.01)), second, second, metric(step(2, 3, 30, 0.03)), counters, events];
}

/** Alice's early session, 20 days before DAY, for the 30-day window. */
function claudeEarly(): SynthRequest[] {
  const t = (m: number) => ns(EARLY_DAY, 9, m);
  const s0 = { ...alice, 'session.id': 'S0' };
  return [
    {
      signal: 'metrics',
      table: `${SYNTH_SCHEMA}.claude_otel_metrics`,
      body: metricsBody(CLAUDE, [sum('claude_code.token.usage', DELTA, s0, [{ start: t(0), time: t(1), value: 1000, attrs: tok('input') }])]),
    },
  ];
}

const CODEX = { 'service.name': 'codex_exec', 'service.version': '0.169.0' };

/** Codex: delta token histograms (no user, no session) and events they cover; a later logs-only day. */
function codex(): SynthRequest[] {
  const t = (m: number) => ns(DAY, 16, m);
  const base = { model: 'gpt-5.1-codex', originator: 'codex_exec' };
  const usage = (type: string, value: number): Point => ({ start: t(0), time: t(1), value, attrs: { token_type: type } });
  const completed = (time: bigint, conv: string, n: [number, number, number, number]) => ({
    time: 0n,
    observed: time,
    attrs: {
      'event.name': 'codex.sse_event',
      'event.kind': 'response.completed',
      'conversation.id': conv,
      'user.email': 'carol@example.com',
      model: 'gpt-5.1-codex',
      input_token_count: String(n[0]),
      cached_token_count: String(n[1]),
      output_token_count: String(n[2]),
      reasoning_token_count: String(n[3]),
    },
  });
  const logs = (records: ReturnType<typeof completed>[]): SynthRequest => ({ signal: 'logs', table: `${SYNTH_SCHEMA}.codex_otel_logs`, body: logsBody(CODEX, records) });
  const decision = (m: number, d: string) => ({
    time: 0n,
    observed: t(m),
    attrs: { 'event.name': 'codex.tool_decision', 'conversation.id': 'C1', 'user.email': 'carol@example.com', tool_name: 'shell', decision: d, source: 'user' },
  });
  return [
    {
      signal: 'metrics',
      table: `${SYNTH_SCHEMA}.codex_otel_metrics`,
      body: metricsBody(CODEX, [
        histogram('codex.turn.token_usage', DELTA, base, [
          usage('input', 1000),
          usage('cached_input', 400),
          usage('output', 200),
          usage('reasoning_output', 50),
          usage('total', 1200),
        ]),
      ]),
    },
    logs([completed(t(1), 'C1', [1000, 400, 200, 50])]),
    { signal: 'logs', table: `${SYNTH_SCHEMA}.codex_otel_logs`, body: logsBody(CODEX, [decision(2, 'approved'), decision(3, 'denied')]) },
    logs([completed(ns(LOGS_ONLY_DAY, 12, 0), 'C2', [100, 20, 40, 10])]),
  ];
}

/** Gemini CLI: cumulative gemini_cli.* with the overlapping gen_ai.* family, lines, a tool call and an API error. */
function gemini(): SynthRequest[] {
  const t = (m: number) => ns(DAY, 18, m);
  const res = { 'service.name': 'gemini-cli', 'session.id': 'G1', 'process.pid': 111 };
  const who = { 'session.id': 'G1', 'installation.id': 'inst-1', 'user.email': 'dave@example.com' };
  const tokens = (at: bigint, v: [number, number, number, number]) =>
    sum('gemini_cli.token.usage', CUMULATIVE, { ...who, model: 'gemini-pro' }, [
      { start: t(0), time: at, value: v[0], attrs: { type: 'input' } },
      { start: t(0), time: at, value: v[1], attrs: { type: 'output' } },
      { start: t(0), time: at, value: v[2], attrs: { type: 'cache' } },
      { start: t(0), time: at, value: v[3], attrs: { type: 'thought' } },
    ]);
  const semconv = (at: bigint, input: number, output: number) =>
    histogram('gen_ai.client.token.usage', CUMULATIVE, { ...who, 'gen_ai.response.model': 'gemini-pro' }, [
      { start: t(0), time: at, value: input, attrs: { 'gen_ai.token.type': 'input' } },
      { start: t(0), time: at, value: output, attrs: { 'gen_ai.token.type': 'output' } },
    ]);
  const lines = sum('gemini_cli.lines.changed', CUMULATIVE, who, [{ start: t(0), time: t(5), value: 7, attrs: { type: 'added', function_name: 'replace' } }]);
  const send = (metrics: Body[]): SynthRequest => ({ signal: 'metrics', table: `${SYNTH_SCHEMA}.gemini_otel_metrics`, body: metricsBody(res, metrics) });
  const ev = (m: number, attrs: Attrs) => ({ time: t(m), attrs: { ...who, ...attrs } });
  return [
    send([tokens(t(2), [100, 50, 0, 10]), semconv(t(2), 100, 50)]),
    send([tokens(t(5), [300, 80, 40, 20]), semconv(t(5), 300, 80), lines]),
    {
      signal: 'logs',
      table: `${SYNTH_SCHEMA}.gemini_otel_logs`,
      body: logsBody(res, [
        ev(3, { 'event.name': 'gemini_cli.tool_call', function_name: 'replace', decision: 'auto_accept', success: true }),
        ev(4, { 'event.name': 'gemini_cli.api_error', model: 'gemini-pro', error: 'quota', status_code: 429 }),
        ev(4, { 'event.name': 'gemini_cli.api_response', model: 'gemini-pro', status_code: 200, input_token_count: 300, output_token_count: 80 }),
      ]),
    },
  ];
}

/**
 * Gemini CLI refusing an untrusted folder: it loads its configuration, counts
 * a session and exits before any model call. Not a session, and erin, who did
 * nothing else, is not an active user.
 */
function geminiWithoutModelCall(): SynthRequest[] {
  const t = (m: number) => ns(DAY, 19, m);
  const res = { 'service.name': 'gemini-cli', 'session.id': 'G2', 'process.pid': 222 };
  const who = { 'session.id': 'G2', 'installation.id': 'inst-2', 'user.email': 'erin@example.com' };
  return [
    {
      signal: 'metrics',
      table: `${SYNTH_SCHEMA}.gemini_otel_metrics`,
      body: metricsBody(res, [
        sum('gemini_cli.session.count', DELTA, who, [{ start: t(0), time: t(1), value: 1 }]),
        histogram('gemini_cli.startup.duration', DELTA, who, [{ start: t(0), time: t(1), value: 150, attrs: { phase: 'cli_startup' } }]),
      ]),
    },
    {
      signal: 'logs',
      table: `${SYNTH_SCHEMA}.gemini_otel_logs`,
      body: logsBody(res, [
        { time: t(0), body: 'CLI configuration loaded.', attrs: { ...who, 'event.name': 'gemini_cli.config', model: 'auto', interactive: false } },
      ]),
    },
  ];
}

export function syntheticRequests(): SynthRequest[] {
  return [...claudeCumulative(), ...claudeDelta(), ...claudeEarly(), ...codex(), ...gemini(), ...geminiWithoutModelCall()];
}

export const PARTIAL_SCHEMA = 'partial.agent_telemetry';

/**
 * Codex whose metrics (no session) count two turns, 500 input (100 cached)
 * and 80 output (20 reasoning), while only the first turn's
 * response.completed event (conversation P1: 300 input, 100 cached, 50
 * output, 20 reasoning) arrived. P1 gets that turn's 350 tokens; the other
 * 230 (200 input, 30 output) stay without a session; 580 in all.
 */
export function partialCoverageRequests(): SynthRequest[] {
  const t = (m: number) => ns(DAY, 16, m);
  const usage = (type: string, value: number): Point => ({ start: t(0), time: t(5), value, attrs: { token_type: type } });
  return [
    {
      signal: 'metrics',
      table: `${PARTIAL_SCHEMA}.codex_otel_metrics`,
      body: metricsBody(CODEX, [
        histogram('codex.turn.token_usage', DELTA, { model: 'gpt-5.1-codex' }, [
          usage('input', 500),
          usage('cached_input', 100),
          usage('output', 80),
          usage('reasoning_output', 20),
          usage('total', 580),
        ]),
      ]),
    },
    {
      signal: 'logs',
      table: `${PARTIAL_SCHEMA}.codex_otel_logs`,
      body: logsBody(CODEX, [
        {
          time: 0n,
          observed: t(1),
          attrs: {
            'event.name': 'codex.sse_event', 'event.kind': 'response.completed', 'conversation.id': 'P1', model: 'gpt-5.1-codex',
            input_token_count: '300', cached_token_count: '100', output_token_count: '50', reasoning_token_count: '20',
          },
        },
      ]),
    },
  ];
}

/**
 * What the views must report for synth.agent_telemetry. Claude A: 400 + 80
 * (after the restart) input, 70 + 9 output, cost 1.25 + 0.2; Claude B: 120
 * input, 15 output, cost 0.7. Bob: 60 input, 0.06 (events covered by metrics).
 * Codex: 600 input, 400 cache_read, 150 output, 50 reasoning on DAY (from the
 * events of C1, which carry the session the metrics lack: the same tokens);
 * 80/20/30/10 on LOGS_ONLY_DAY from events. Gemini: 260 input, 40
 * cache_read, 80 output, 20 reasoning (gen_ai.* and events covered).
 */
export const EXPECTED = {
  byAgentDay: [
    { agent: 'claude_code', day: EARLY_DAY, tokens: 1000, cost: null },
    { agent: 'claude_code', day: DAY, tokens: 400 + 80 + 70 + 9 + 120 + 15 + 60, cost: 1.25 + 0.2 + 0.7 + 0.06 },
    { agent: 'codex', day: LOGS_ONLY_DAY, tokens: 140, cost: null },
    { agent: 'codex', day: DAY, tokens: 1200, cost: null },
    { agent: 'gemini_cli', day: DAY, tokens: 400, cost: null },
  ],
  byTokenType: { input: 1000 + 600 + 80 + 260 + 400 + 80 + 120 + 60, cache_read: 460, output: 150 + 30 + 80 + 70 + 9 + 15, reasoning: 80 },
  sessions: ['claude_code/S0', 'claude_code/S1', 'claude_code/S2', 'codex/C1', 'codex/C2', 'gemini_cli/G1'],
  activeSeconds: { cli: 4, user: 2 },
  lines: { added: 15 + 7, removed: 3 },
  commits: 2,
  pullRequests: 1,
  decisions: { accept: 4, reject: 2 },
  apiRequests: { ok: 4, error: 2 },
};
