// Command-line entry: picks the command and exits with its status. The only
// place that calls process.exit.
import { runUsage } from './agent-usage.ts';
import { runCreateTable } from './create-table.ts';
import { runDescribe } from './describe.ts';
import { runHistory } from './history.ts';
import { runOptimize } from './optimize.ts';
import { runRepair } from './repair.ts';
import { runReplayCommand } from './replay.ts';
import { runServe } from './serve.ts';
import { runSql } from './sql.ts';
import { runStaging } from './staging.ts';
import { runVacuum } from './vacuum.ts';
import { UsageError } from './usage.ts';
import { isRemoteLocation } from '../storage/location.ts';
import { openWarehouse } from '../storage/open.ts';

const COMMANDS: Record<string, { summary: string; run: (argv: string[]) => Promise<number> }> = {
  serve: { summary: 'receive OTLP over HTTP and gRPC and write Delta tables', run: runServe },
  'create-table': { summary: 'create an otel metrics, logs or spans table', run: runCreateTable },
  optimize: { summary: "compact a table's small files into larger, time-ordered ones", run: runOptimize },
  vacuum: { summary: 'delete files a table no longer references, and expired log entries', run: runVacuum },
  describe: { summary: "show a table's version, files, rows, bytes and properties", run: runDescribe },
  history: { summary: "list a table's recent commits", run: runHistory },
  repair: { summary: 'remove data files that are gone from disk from a table (FSCK)', run: runRepair },
  replay: { summary: 'send captured requests or Collector files to a server or a warehouse', run: runReplayCommand },
  sql: { summary: 'run read-only SQL over the tables and the usage views', run: runSql },
  usage: { summary: 'summarise coding-agent tokens, cost, sessions and models', run: runUsage },
  staging: { summary: 'list quarantined staging segments, or move one back to be committed', run: runStaging },
  token: { summary: 'create, list or revoke access tokens', run: (argv) => import('./token.ts').then((m) => m.runToken(argv)) },
  policy: { summary: 'check a policy file, and show what its privacy rules do to recorded requests', run: (argv) => import('./policy.ts').then((m) => m.runPolicy(argv)) },
  prices: { summary: 'import or list model prices; list models used without one', run: (argv) => import('./prices.ts').then((m) => m.runPrices(argv)) },
  directory: { summary: 'import or list the user directory (teams, departments, cost centers)', run: (argv) => import('./directory.ts').then((m) => m.runDirectory(argv)) },
  dashboard: { summary: 'serve the usage dashboard read-only over a warehouse', run: (argv) => import('./dashboard.ts').then((m) => m.runDashboard(argv)) },
  budget: { summary: 'set, remove or list spending budgets per user, team or everyone', run: (argv) => import('./budget.ts').then((m) => m.runBudget(argv)) },
  configure: { summary: "write a coding agent's telemetry settings and check they reach the server", run: (argv) => import('./configure.ts').then((m) => m.runConfigureCommand(argv)) },
  unconfigure: { summary: 'take away exactly what configure added to an agent', run: (argv) => import('./configure.ts').then((m) => m.runUnconfigureCommand(argv)) },
  doctor: { summary: 'show which agents are set up here and which are really sending', run: (argv) => import('./doctor.ts').then((m) => m.runDoctor(argv)) },
};

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'usage: otlp2delta <command> [options]',
    '',
    'Receives OpenTelemetry metrics, logs and traces from coding agents and lands them in Delta tables.',
    '',
    'commands:',
    ...lines,
    '',
    "Run 'otlp2delta <command> --help' for a command's options.",
  ].join('\n');
}

/**
 * A warehouse named as a store URL (--warehouse, or OTLP2DELTA_WAREHOUSE) is
 * opened once, before any command reads or writes it: its credentials and its
 * conditional writes are checked, whatever the command.
 */
async function openNamedWarehouse(argv: string[]): Promise<void> {
  let named: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--warehouse') named = argv[i + 1];
    else if (a.startsWith('--warehouse=')) named = a.slice('--warehouse='.length);
  }
  const loc = named ?? process.env.OTLP2DELTA_WAREHOUSE;
  if (loc === undefined || !isRemoteLocation(loc)) return;
  try {
    await openWarehouse(loc);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${mainHelp()}\n`);
    return command === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[command];
  if (!cmd) {
    process.stderr.write(`otlp2delta: unknown command '${command}'\n\n${mainHelp()}\n`);
    return 2;
  }
  try {
    await openNamedWarehouse(rest);
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`otlp2delta ${command}: ${e.message}\n${e.help ? `\n${e.help}\n` : ''}`);
      return 2;
    }
    process.stderr.write(`otlp2delta ${command}: ${(e as Error).message}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`otlp2delta: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  },
);
