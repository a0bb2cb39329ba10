// The dashboard on the server's app: its routes, over the server's query engine.
import type { Context, Hono } from 'hono';
import type { EdgeOutcome } from '../http/auth.ts';
import type { QueryEngine } from '../query/engine.ts';
import { registerDashboard } from './routes.ts';
import { DashboardService } from './service.ts';

export function mountDashboard(engine: QueryEngine, log: (line: string) => void): (app: Hono<any>, who: (c: Context<any>) => EdgeOutcome) => void {
  const dashboard = new DashboardService(engine, log);
  return (app, who) => registerDashboard(app, { dashboard, who, log });
}
