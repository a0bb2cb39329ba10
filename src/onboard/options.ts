// What a user asks configure for, and the endpoints and headers that follow.
import type { Signal } from '../otlp/types.ts';

export const AGENTS = ['claude', 'codex', 'gemini'] as const;
export type Agent = (typeof AGENTS)[number];

export const PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export type OnboardOptions = {
  /** The server's base URL, e.g. http://127.0.0.1:4318 (any /api/2.0/otel or /v1/<signal> suffix is dropped). */
  endpoint: string;
  token?: string | undefined;
  /** catalog.schema.prefix: the tables are <prefix>_otel_{metrics,logs,spans}. */
  prefix: string;
  protocol: Protocol;
  /** Turn on the agent's prompt logging (off unless asked). */
  logPrompts?: boolean;
};

/** Where the agent's files live: HOME and each agent's own home variable. */
export type Environment = { env: Record<string, string | undefined>; home: string; systemRoot: string; /** Where the agent will be started (Gemini CLI looks for .env files from there up). */ cwd?: string };

export const DEFAULT_HTTP_ENDPOINT = 'http://127.0.0.1:4318';
export const DEFAULT_GRPC_ENDPOINT = 'http://127.0.0.1:4317';

export const TABLE_SUFFIX: Record<Signal, string> = { metrics: '_otel_metrics', logs: '_otel_logs', traces: '_otel_spans' };

export const tableOf = (prefix: string, signal: Signal): string => `${prefix}${TABLE_SUFFIX[signal]}`;

/** The endpoint's origin and path prefix without the OTLP route, so both spellings users paste work. */
export function baseUrl(endpoint: string): string {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    throw new Error(`--endpoint must be a URL such as ${DEFAULT_HTTP_ENDPOINT}, got ${JSON.stringify(endpoint)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`--endpoint must be http:// or https://, got ${u.protocol}`);
  if (u.username || u.password) throw new Error('--endpoint must not carry a user name or password; give the token with --token');
  const p = u.pathname.replace(/\/+$/, '').replace(/\/v1\/(metrics|logs|traces)$/, '').replace(/\/api\/2\.0\/otel$/, '');
  return `${u.origin}${p}`;
}

/** The URL an HTTP exporter posts one signal to. */
export const signalUrl = (endpoint: string, signal: Signal): string => `${baseUrl(endpoint)}/api/2.0/otel/v1/${signal}`;

/** Headers of one signal's exports: the token, and the table the export lands in. */
export function signalHeaders(o: OnboardOptions, signal: Signal): Record<string, string> {
  return { ...(o.token ? { Authorization: `Bearer ${o.token}` } : {}), 'X-Databricks-UC-Table-Name': tableOf(o.prefix, signal) };
}

/** The OTEL_EXPORTER_OTLP_*_HEADERS form: k=v pairs separated by commas. */
export const headerList = (h: Record<string, string>): string =>
  Object.entries(h)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

export const isLoopback = (endpoint: string): boolean => {
  const host = new URL(endpoint).hostname;
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\./.test(host);
};
