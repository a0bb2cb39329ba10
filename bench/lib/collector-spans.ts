// Collector-sized OTLP trace exports of agent-like spans (tool calls and model
// requests of a session, a few events and an occasional link), for measuring
// the spans write paths side by side with metrics and logs.
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import { int, pick, rng, str, type Rand } from './collector-batches.ts';

const idBytes = (r: Rand, n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));

const NAMES = ['llm_call', 'tool_call Read', 'tool_call Edit', 'tool_call Bash', 'agent.turn', 'http POST /v1/messages'];
const MODELS = ['claude-sonnet-4-5', 'gpt-5-codex', 'gemini-2.5-pro'];

/** `resources` sessions, `spans` spans in all, each with 6-8 attributes, most with an event. */
export function spansRequestObject(seed: number, spans: number, resources = 30): object {
  const r = rng(seed);
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const per = Math.floor(spans / resources);
  const resourceSpans = Array.from({ length: resources }, (_, ri) => {
    const traceId = idBytes(r, 16);
    const session = idBytes(r, 16).toString('hex');
    const n = per + (ri < spans - per * resources ? 1 : 0);
    const list = Array.from({ length: n }, (_, k) => {
      const start = nowNs - BigInt(Math.floor(r() * 60_000)) * 1_000_000n;
      const end = start + BigInt(Math.floor(r() * 9_000)) * 1_000_000n;
      return {
        traceId,
        spanId: idBytes(r, 8),
        parentSpanId: k === 0 ? undefined : idBytes(r, 8),
        name: pick(r, NAMES),
        kind: 1 + Math.floor(r() * 3),
        startTimeUnixNano: start.toString(),
        endTimeUnixNano: end.toString(),
        attributes: [
          str('session.id', session),
          str('user.id', 'u-' + session.slice(0, 12)),
          str('model', pick(r, MODELS)),
          int('input_tokens', Math.floor(r() * 50_000)),
          int('output_tokens', Math.floor(r() * 4_000)),
          str('tool.name', pick(r, ['Read', 'Edit', 'Bash', 'Grep'])),
        ],
        events: k % 3 === 0 ? [] : [{ timeUnixNano: end.toString(), name: 'response.done', attributes: [int('bytes', Math.floor(r() * 90_000))] }],
        links: k % 10 === 0 ? [{ traceId: idBytes(r, 16), spanId: idBytes(r, 8) }] : [],
        status: { code: k % 17 === 0 ? 2 : 1 },
      };
    });
    return {
      resource: { attributes: [str('service.name', pick(r, ['gemini-cli', 'claude-code'])), str('service.version', `1.${ri % 20}.0`)] },
      scopeSpans: [{ scope: { name: 'agent.tracer', version: '1.0.0' }, spans: list }],
    };
  });
  return { resourceSpans };
}

/** `distinct` protobuf trace export bodies of `perBody` spans each. */
export function collectorSpanBodies(distinct: number, perBody: number): Buffer[] {
  const type = SIGNAL_TYPES.traces.request;
  return Array.from({ length: distinct }, (_, i) => Buffer.from(type.encode(type.fromObject(spansRequestObject(3000 + i, perBody))).finish()));
}
