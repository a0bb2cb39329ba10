// `otlp2delta dashboard`: the usage dashboard, read-only over a warehouse,
// for analysts who do not run ingest. Same pages and endpoints as serve's
// /dashboard; tokens and grants work as on the server when the warehouse has tokens.
import { Hono } from 'hono';
import { resolveAuth, AuthStartRefusal } from '../access/auth-mode.ts';
import { TokenStore } from '../access/token-store.ts';
import { checkCredential, type EdgeAuth } from '../http/auth.ts';
import { listen } from '../http/server.ts';
import { QueryEngine } from '../query/engine.ts';
import { registerDashboard } from '../dashboard/routes.ts';
import { DashboardService } from '../dashboard/service.ts';
import { coresBesideEventLoop } from './service.ts';
import { numberOption, warehouseFromArgs } from './table-arg.ts';
import { parseCommandArgs, UsageError } from './usage.ts';

export const DASHBOARD_HELP = `usage: otlp2delta dashboard [--port P] [--host H] [--warehouse DIR]

Serves the coding-agent usage dashboard (the pages serve has at /dashboard)
read-only over a warehouse: adoption, sessions, tokens, spend against budgets,
outcomes, tool decisions, API errors, top sessions and data health, from the
usage views. Nothing is written to the warehouse. When the warehouse has
tokens, the pages ask for one and its SELECT grants decide what is shown.

options:
  --port P          port to listen on (default 4319; 0 picks a free one)
  --host H          address to bind (default 127.0.0.1; another needs tokens in the warehouse)
  --warehouse DIR   folder holding the tables (env OTLP2DELTA_WAREHOUSE, default ./warehouse of
                    the working directory)
  -h, --help        show this help`;

/** Next to serve's 4318 (OTLP/HTTP), so both can run on one machine. */
const DASHBOARD_PORT_DEFAULT = 4319;

export async function runDashboard(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { port: { type: 'string' }, host: { type: 'string' }, warehouse: { type: 'string' } }, DASHBOARD_HELP);
  if (values.help) {
    process.stdout.write(`${DASHBOARD_HELP}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, DASHBOARD_HELP);
  const port = numberOption('port', values.port, DASHBOARD_HELP, { integer: true }) ?? DASHBOARD_PORT_DEFAULT;
  if (port > 65535) throw new UsageError('--port must be at most 65535', DASHBOARD_HELP);
  const host = values.host ?? '127.0.0.1';
  const warehouse = warehouseFromArgs(values.warehouse);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const engine = await QueryEngine.open({ warehouse, log, threads: coresBesideEventLoop() });
  const tokens = await TokenStore.open(engine.warehouse.root, { log });
  let auth;
  try {
    auth = resolveAuth('auto', host, tokens);
  } catch (e) {
    engine.close();
    await tokens.close();
    throw e instanceof AuthStartRefusal ? new UsageError(e.message) : e;
  }
  const edge: EdgeAuth = { authenticator: tokens, enforced: auth.enforced };
  const app = new Hono();
  const dashboard = new DashboardService(engine, log);
  registerDashboard(app, { dashboard, who: (c) => checkCredential(edge, c.req.header('authorization')), log });
  const server = await listen(app, host, port);
  const shown = server.host.includes(':') ? `[${server.host}]` : server.host;
  process.stdout.write(`otlp2delta dashboard: http://${shown}:${server.port}/dashboard over ${engine.warehouse.root} (auth ${auth.note})\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  dashboard.close();
  engine.close();
  await server.close();
  await tokens.close();
  return 0;
}
