// Gemini CLI: the "telemetry" block of ~/.gemini/settings.json, and the
// per-signal headers (table, token) in ~/.gemini/.env, which Gemini CLI loads
// at start; $GEMINI_CLI_HOME replaces the home folder when set.
import path from 'node:path';
import { envFormat } from './env-format.ts';
import { jsoncFormat } from './jsonc-format.ts';
import { baseUrl, headerList, signalHeaders, type Environment, type OnboardOptions } from './options.ts';
import { homeOf, inSystem, type AgentDef } from './plan.ts';
import { valueAt } from './same-value.ts';

const dir = (e: Environment): string => path.join(e.env.GEMINI_CLI_HOME ?? homeOf(e), '.gemini');

const HEADER_VARS = { metrics: 'OTEL_EXPORTER_OTLP_METRICS_HEADERS', logs: 'OTEL_EXPORTER_OTLP_LOGS_HEADERS', traces: 'OTEL_EXPORTER_OTLP_TRACES_HEADERS' } as const;

export const gemini: AgentDef = {
  agent: 'gemini',
  serviceName: 'gemini-cli',
  files: (e) => [path.join(dir(e), 'settings.json'), path.join(dir(e), '.env')],
  plan(o: OnboardOptions, e) {
    const grpc = o.protocol === 'grpc';
    const telemetry: Record<string, unknown> = {
      enabled: true,
      target: 'local',
      otlpProtocol: grpc ? 'grpc' : 'http',
      otlpEndpoint: grpc ? baseUrl(o.endpoint) : `${baseUrl(o.endpoint)}/api/2.0/otel`,
      // Gemini CLI logs prompt text unless told not to.
      logPrompts: o.logPrompts === true,
    };
    return {
      agent: 'gemini',
      serviceName: 'gemini-cli',
      signals: ['metrics', 'logs', 'traces'],
      files: [
        {
          file: path.join(dir(e), 'settings.json'),
          format: jsoncFormat,
          settings: Object.entries(telemetry).map(([k, v]) => ({ path: ['telemetry', k], value: v })),
          secret: false,
          conflicts(doc) {
            const out: string[] = [];
            if (valueAt(doc, ['telemetry', 'outfile']) !== undefined) out.push('telemetry.outfile is set: Gemini CLI writes telemetry to that file instead of exporting it; remove it');
            if (valueAt(doc, ['telemetry', 'useCollector']) === true) out.push('telemetry.useCollector is true: exports go to a collector it starts, not to the endpoint; remove it');
            return out;
          },
        },
        {
          file: path.join(dir(e), '.env'),
          format: envFormat,
          settings: (['metrics', 'logs', 'traces'] as const).map((s) => ({ path: [HEADER_VARS[s]], value: headerList(signalHeaders(o, s)) })),
          secret: o.token !== undefined,
          conflicts: () => [],
        },
      ],
      managedFiles: [e.env.GEMINI_CLI_SYSTEM_SETTINGS_PATH ?? inSystem(e, 'etc', 'gemini-cli', 'settings.json')],
      // A .env file never replaces a variable already in the environment, and GEMINI_TELEMETRY_* win over settings.json.
      overridingEnv: (name) => /^OTEL_EXPORTER_OTLP_(METRICS_|LOGS_|TRACES_)?(HEADERS|ENDPOINT|PROTOCOL)$/.test(name) || name.startsWith('GEMINI_TELEMETRY_') || name === 'OTEL_SDK_DISABLED',
    };
  },
};
