// What the local agent configs say: each telemetry setting, its value (tokens
// hidden) and where it comes from, and whether the agent will export at all.
import path from 'node:path';
import { AGENT_DEFS } from './agents.ts';
import type { ConfigFormat } from './format.ts';
import { envFormat } from './env-format.ts';
import { jsoncFormat } from './jsonc-format.ts';
import { tomlFormat } from './toml-format.ts';
import { type Agent, type Environment } from './options.ts';
import { readCurrent } from './safe-write.ts';
import { shadowingEnvFiles } from './gemini-env-files.ts';
import { valueAt } from './same-value.ts';

export type Entry = { key: string; value: string; source: string; wins: boolean };
export type LocalReport = { agent: Agent; files: { file: string; state: 'missing' | 'ok' | string }[]; entries: Entry[]; verdict: string; problems: string[] };

/** Hides secrets in a header value: bearer tokens and any key that looks like one. */
export const hideSecrets = (v: string): string => v.replace(/(Bearer\s+)[^\s,"']+/gi, '$1<token>').replace(/((?:api[-_]?key|token|secret)=)[^,\s]+/gi, '$1<hidden>');

const show = (v: unknown): string => hideSecrets(typeof v === 'string' ? v : JSON.stringify(v));

type Source = { file: string; format: ConfigFormat; at: readonly string[]; label: string; match: (k: string) => boolean };

const TELEMETRY_ENV = (k: string) => /^(OTEL_|CLAUDE_CODE_ENABLE_TELEMETRY$|GEMINI_TELEMETRY_)/.test(k);

function sources(agent: Agent, e: Environment): Source[] {
  const files = AGENT_DEFS[agent].files(e);
  const sys = (...p: string[]) => path.join(e.systemRoot, ...p);
  if (agent === 'claude') {
    return [
      { file: sys('etc', 'claude-code', 'managed-settings.json'), format: jsoncFormat, at: ['env'], label: 'managed settings', match: TELEMETRY_ENV },
      { file: files[0]!, format: jsoncFormat, at: ['env'], label: 'user settings', match: TELEMETRY_ENV },
    ];
  }
  if (agent === 'codex') {
    return [
      { file: sys('etc', 'codex', 'managed_config.toml'), format: tomlFormat, at: ['otel'], label: 'managed settings', match: () => true },
      { file: files[0]!, format: tomlFormat, at: ['otel'], label: 'user config', match: () => true },
    ];
  }
  return [
    { file: e.env.GEMINI_CLI_SYSTEM_SETTINGS_PATH ?? sys('etc', 'gemini-cli', 'settings.json'), format: jsoncFormat, at: ['telemetry'], label: 'system settings', match: () => true },
    { file: files[0]!, format: jsoncFormat, at: ['telemetry'], label: 'user settings', match: () => true },
    { file: files[1]!, format: envFormat, at: [], label: 'environment file', match: TELEMETRY_ENV },
  ];
}

function verdict(agent: Agent, get: (k: string) => string | undefined): string {
  if (agent === 'claude') {
    if (get('CLAUDE_CODE_ENABLE_TELEMETRY') !== '1') return 'telemetry is off (CLAUDE_CODE_ENABLE_TELEMETRY is not 1)';
    const on = ['METRICS', 'LOGS'].filter((s) => get(`OTEL_${s}_EXPORTER`)?.split(',').includes('otlp'));
    return on.length === 0 ? 'telemetry is on but no signal is exported over OTLP' : `exports ${on.map((s) => s.toLowerCase()).join(' and ')} over OTLP`;
  }
  if (agent === 'codex') {
    const on = [['exporter', 'logs'], ['metrics_exporter', 'metrics'], ['trace_exporter', 'traces']].filter(([k]) => /otlp-(http|grpc)/.test(get(k!) ?? ''));
    return on.length === 0 ? 'no [otel] exporter is set: nothing is exported' : `exports ${on.map(([, s]) => s).join(', ')} over OTLP`;
  }
  if (get('enabled') !== 'true' && get('GEMINI_TELEMETRY_ENABLED') !== 'true') return 'telemetry is off (telemetry.enabled is not true)';
  if (get('outfile') !== undefined) return 'telemetry goes to a file (telemetry.outfile), not to the endpoint';
  return `exports over OTLP/${get('otlpProtocol') === 'http' ? 'HTTP' : 'gRPC'} to ${get('otlpEndpoint') ?? '(no otlpEndpoint)'}`;
}

export async function localReport(agent: Agent, e: Environment): Promise<LocalReport> {
  const entries: Entry[] = [];
  const files: LocalReport['files'] = [];
  const problems: string[] = [];
  for (const s of sources(agent, e)) {
    const cur = await readCurrent(s.file);
    const isUserFile = AGENT_DEFS[agent].files(e).includes(s.file);
    if (!cur) {
      if (isUserFile) files.push({ file: s.file, state: 'missing' });
      continue;
    }
    const problem = s.format.problem(cur.text);
    files.push({ file: s.file, state: problem ?? 'ok' });
    if (problem) {
      problems.push(`${s.file}: ${problem}; the agent may ignore it or refuse to start`);
      continue;
    }
    const block = valueAt(s.format.parse(cur.text), s.at);
    if (typeof block !== 'object' || block === null) continue;
    for (const [k, v] of Object.entries(block)) if (s.match(k)) entries.push({ key: k, value: show(v), source: `${s.label} ${s.file}`, wins: false });
  }
  for (const [k, v] of Object.entries(e.env).sort()) {
    if (v !== undefined && TELEMETRY_ENV(k) && agent !== 'codex') entries.push({ key: k, value: show(v), source: 'environment of this shell', wins: false });
  }
  if (agent === 'gemini' && e.cwd !== undefined) {
    for (const f of shadowingEnvFiles(e.cwd, e.env.GEMINI_CLI_HOME ?? e.env.HOME ?? e.home)) problems.push(`${f} is loaded instead of the home folder's .gemini/.env when Gemini CLI starts in ${e.cwd}`);
  }
  // Which source wins: Claude Code applies managed, then user settings over the shell; Gemini CLI's
  // shell environment wins over its .env file, and system settings over user settings.
  const rank = (src: string): number => {
    if (/^(managed|system) settings/.test(src)) return 0;
    if (agent === 'gemini') return src.startsWith('environment of') ? 1 : 2;
    return src.startsWith('environment of') ? 2 : 1;
  };
  for (const en of entries) en.wins = !entries.some((o) => o !== en && o.key === en.key && rank(o.source) < rank(en.source));
  const winning = new Map(entries.filter((x) => x.wins).map((x) => [x.key, x.value]));
  return { agent, files, entries, verdict: verdict(agent, (k) => winning.get(k)), problems };
}
