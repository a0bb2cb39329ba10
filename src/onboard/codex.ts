// Codex CLI: the [otel] section of ~/.codex/config.toml ($CODEX_HOME when
// set): one exporter per signal (exporter = logs, metrics_exporter,
// trace_exporter), each otlp-http or otlp-grpc with the table in its headers.
import path from 'node:path';
import type { Signal } from '../otlp/types.ts';
import { tomlFormat } from './toml-format.ts';
import { baseUrl, signalHeaders, signalUrl, type Environment, type OnboardOptions } from './options.ts';
import { homeOf, inSystem, type AgentDef, type Setting } from './plan.ts';
import { valueAt } from './same-value.ts';

const configFile = (e: Environment): string => path.join(e.env.CODEX_HOME ?? path.join(homeOf(e), '.codex'), 'config.toml');

const KEYS: [string, Signal][] = [
  ['exporter', 'logs'],
  ['metrics_exporter', 'metrics'],
  ['trace_exporter', 'traces'],
];

function exporter(o: OnboardOptions, signal: Signal): Record<string, unknown> {
  // Codex sends metadata keys as given; gRPC lowercases them anyway, so lower case reads the same on both.
  const headers = Object.fromEntries(Object.entries(signalHeaders(o, signal)).map(([k, v]) => [k.toLowerCase(), v]));
  if (o.protocol === 'grpc') return { 'otlp-grpc': { endpoint: baseUrl(o.endpoint), headers } };
  return { 'otlp-http': { endpoint: signalUrl(o.endpoint, signal), protocol: o.protocol === 'http/json' ? 'json' : 'binary', headers } };
}

export const codex: AgentDef = {
  agent: 'codex',
  serviceName: 'codex_exec',
  files: (e) => [configFile(e)],
  plan(o, e) {
    const settings: Setting[] = KEYS.map(([k, s]) => ({ path: ['otel', k], value: exporter(o, s) }));
    if (o.logPrompts) settings.push({ path: ['otel', 'log_user_prompt'], value: true });
    return {
      agent: 'codex',
      serviceName: 'codex_exec',
      signals: ['logs', 'metrics', 'traces'],
      files: [
        {
          file: configFile(e),
          format: tomlFormat,
          settings,
          secret: o.token !== undefined,
          conflicts(doc) {
            const out: string[] = [];
            if (!o.logPrompts && valueAt(doc, ['otel', 'log_user_prompt']) === true) out.push('otel.log_user_prompt is true: prompt text is exported (left as it is)');
            return out;
          },
        },
      ],
      managedFiles: [inSystem(e, 'etc', 'codex', 'managed_config.toml')],
      overridingEnv: () => false,
    };
  },
};
