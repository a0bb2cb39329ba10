// `otlp2delta configure` and `otlp2delta unconfigure`: write (or take away) a
// coding agent's telemetry settings in its own user-level config files.
import os from 'node:os';
import { AGENTS, DEFAULT_GRPC_ENDPOINT, DEFAULT_HTTP_ENDPOINT, PROTOCOLS, baseUrl, type Agent, type Environment, type Protocol } from '../onboard/options.ts';
import { runConfigure, runUnconfigure } from '../onboard/run-configure.ts';
import { parseTableName } from '../tables/names.ts';
import { warehouseFromArgs } from './table-arg.ts';
import { parseCommandArgs, UsageError } from './usage.ts';

export const CONFIGURE_HELP = `usage: otlp2delta configure claude|codex|gemini|all [--endpoint URL] [--token T] [--prefix C.S.P]
                           [--protocol http/protobuf|http/json|grpc] [--dry-run] [--no-check] [--warehouse DIR]

Writes the agent's user-level telemetry settings, creates its tables when the
server is local, says which grants the token lacks, then sends one small export
per signal with the agent's own headers and reports each answer.

  claude   ~/.claude/settings.json "env" block ($CLAUDE_CONFIG_DIR)
  codex    ~/.codex/config.toml [otel] exporter, metrics_exporter, trace_exporter ($CODEX_HOME)
  gemini   ~/.gemini/settings.json "telemetry" block and ~/.gemini/.env (headers) ($GEMINI_CLI_HOME)

A file that does not parse is refused, never overwritten; everything else in it
is kept byte for byte; a backup is made before every change; a file holding the
token is made owner-only (0600); a second run changes nothing.

options:
  --endpoint URL     the server (default ${DEFAULT_HTTP_ENDPOINT}; ${DEFAULT_GRPC_ENDPOINT} with --protocol grpc)
  --token T          the agent's access token (otlp2delta token create); omitted when not given
  --prefix C.S.P     tables C.S.P_otel_{metrics,logs,spans} (default main.agent_telemetry.<agent>);
                     with all, give C.S and each agent gets C.S.<agent>
  --protocol P       http/protobuf (default), http/json or grpc
  --log-prompts      also export prompt text (off unless asked)
  --dry-run          print what would change (a diff) and change nothing
  --no-check         do not send the check exports
  --warehouse DIR    the local warehouse, for tables and grants (env OTLP2DELTA_WAREHOUSE, default ./warehouse)
  -h, --help         show this help`;

export const UNCONFIGURE_HELP = `usage: otlp2delta unconfigure claude|codex|gemini|all [--dry-run]

Takes away exactly what configure added: a file configure has not changed since
gets its original bytes back; otherwise only configure's values are removed (or
set back to what they were), and values changed since are left as they are.`;

export function environment(): Environment {
  return { env: { ...process.env }, home: os.homedir(), systemRoot: '/', cwd: process.cwd() };
}

function agentsOf(arg: string | undefined, help: string): Agent[] {
  if (arg === 'all') return [...AGENTS];
  if (arg !== undefined && (AGENTS as readonly string[]).includes(arg)) return [arg as Agent];
  throw new UsageError(`give the agent: ${AGENTS.join(', ')} or all`, help);
}

function prefixFor(agents: Agent[], prefix: string | undefined): (a: Agent) => string {
  if (prefix === undefined) return (a) => `main.agent_telemetry.${a}`;
  const parts = prefix.split('.');
  if (agents.length > 1) {
    if (parts.length !== 2 || parts.some((p) => p === '')) throw new UsageError('with all, --prefix is catalog.schema (each agent gets catalog.schema.<agent>)', CONFIGURE_HELP);
    return (a) => `${prefix}.${a}`;
  }
  try {
    parseTableName(`${prefix}_otel_logs`, '--prefix');
  } catch (e) {
    throw new UsageError((e as Error).message, CONFIGURE_HELP);
  }
  return () => prefix;
}

export async function runConfigureCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      endpoint: { type: 'string' },
      token: { type: 'string' },
      prefix: { type: 'string' },
      protocol: { type: 'string' },
      'log-prompts': { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      'no-check': { type: 'boolean' },
      warehouse: { type: 'string' },
    },
    CONFIGURE_HELP,
  );
  if (values.help) {
    process.stdout.write(`${CONFIGURE_HELP}\n`);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`, CONFIGURE_HELP);
  const agents = agentsOf(positionals[0], CONFIGURE_HELP);
  const protocol = (values.protocol ?? 'http/protobuf') as Protocol;
  if (!PROTOCOLS.includes(protocol)) throw new UsageError(`--protocol must be one of ${PROTOCOLS.join(', ')}`, CONFIGURE_HELP);
  const endpoint = values.endpoint ?? (protocol === 'grpc' ? DEFAULT_GRPC_ENDPOINT : DEFAULT_HTTP_ENDPOINT);
  try {
    baseUrl(endpoint);
  } catch (e) {
    throw new UsageError((e as Error).message, CONFIGURE_HELP);
  }
  if (values.token !== undefined && !/^[\x21-\x7e]+$/.test(values.token)) throw new UsageError('--token must be printable characters without spaces', CONFIGURE_HELP);
  const prefix = prefixFor(agents, values.prefix);
  return runConfigure(
    {
      agents,
      options: (a) => ({ endpoint, token: values.token, prefix: prefix(a), protocol, logPrompts: values['log-prompts'] ?? false }),
      warehouse: warehouseFromArgs(values.warehouse),
      dryRun: values['dry-run'] ?? false,
      check: !(values['no-check'] ?? false),
    },
    environment(),
    (l) => process.stdout.write(`${l}\n`),
  );
}

export async function runUnconfigureCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { 'dry-run': { type: 'boolean' } }, UNCONFIGURE_HELP);
  if (values.help) {
    process.stdout.write(`${UNCONFIGURE_HELP}\n`);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`, UNCONFIGURE_HELP);
  return runUnconfigure(agentsOf(positionals[0], UNCONFIGURE_HELP), environment(), values['dry-run'] ?? false, (l) => process.stdout.write(`${l}\n`));
}
