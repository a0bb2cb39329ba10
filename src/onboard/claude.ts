// Claude Code: the "env" block of ~/.claude/settings.json ($CLAUDE_CONFIG_DIR
// when set). Per-signal OTEL variables, so each signal names its own table.
import path from 'node:path';
import { jsoncFormat } from './jsonc-format.ts';
import { headerList, signalHeaders, signalUrl, baseUrl, type Environment, type OnboardOptions } from './options.ts';
import { homeOf, inSystem, type AgentDef, type Setting } from './plan.ts';
import { valueAt } from './same-value.ts';

const settingsFile = (e: Environment): string => path.join(e.env.CLAUDE_CONFIG_DIR ?? path.join(homeOf(e), '.claude'), 'settings.json');

function envBlock(o: OnboardOptions): Record<string, string> {
  const grpc = o.protocol === 'grpc';
  const out: Record<string, string> = { CLAUDE_CODE_ENABLE_TELEMETRY: '1', OTEL_METRICS_EXPORTER: 'otlp', OTEL_LOGS_EXPORTER: 'otlp' };
  for (const [signal, up] of [['metrics', 'METRICS'], ['logs', 'LOGS']] as const) {
    out[`OTEL_EXPORTER_OTLP_${up}_PROTOCOL`] = o.protocol;
    out[`OTEL_EXPORTER_OTLP_${up}_ENDPOINT`] = grpc ? baseUrl(o.endpoint) : signalUrl(o.endpoint, signal);
    out[`OTEL_EXPORTER_OTLP_${up}_HEADERS`] = headerList(signalHeaders(o, signal));
  }
  out.OTEL_METRIC_EXPORT_INTERVAL = '10000';
  out.OTEL_LOGS_EXPORT_INTERVAL = '5000';
  if (o.logPrompts) out.OTEL_LOG_USER_PROMPTS = '1';
  return out;
}

/** Variables that, set in the file alongside ours, change where or how the exports go. */
const GENERIC = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_PROTOCOL'];

export const claude: AgentDef = {
  agent: 'claude',
  serviceName: 'claude-code',
  files: (e) => [settingsFile(e)],
  plan(o, e) {
    const block = envBlock(o);
    const settings: Setting[] = Object.entries(block).map(([k, v]) => ({ path: ['env', k], value: v }));
    return {
      agent: 'claude',
      serviceName: 'claude-code',
      signals: ['metrics', 'logs'],
      files: [
        {
          file: settingsFile(e),
          format: jsoncFormat,
          settings,
          secret: o.token !== undefined,
          conflicts(doc) {
            const out: string[] = [];
            if (valueAt(doc, ['otelHeadersHelper']) !== undefined) out.push('otelHeadersHelper is set: its headers are added to every export (and are not applied over gRPC); remove it or make it print only the Authorization header');
            for (const k of GENERIC) {
              const v = valueAt(doc, ['env', k]);
              if (v !== undefined) out.push(`env.${k} is set (${k.endsWith('HEADERS') ? 'value hidden' : JSON.stringify(v)}): the per-signal variables configure writes take precedence, but other signals (traces) would use it`);
            }
            if (!o.logPrompts && valueAt(doc, ['env', 'OTEL_LOG_USER_PROMPTS']) === '1') out.push('env.OTEL_LOG_USER_PROMPTS is 1: prompt text is exported (left as it is)');
            return out;
          },
        },
      ],
      managedFiles: [inSystem(e, 'etc', 'claude-code', 'managed-settings.json')],
      overridingEnv: () => false,
    };
  },
};
