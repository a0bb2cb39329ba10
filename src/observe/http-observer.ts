// The HTTP side of outcome reporting: a middleware that sees every answered
// request and hands it, with the note its handler left, to reportOutcome.
import type { IncomingMessage } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import { reportOutcome, type OutcomeSinks, type RequestNote } from './outcome.ts';

export type { RequestNote } from './outcome.ts';

const notes = new WeakMap<IncomingMessage, RequestNote>();

/** Adds to what is known of the request `c` is answering. */
export function noteRequest(c: Context<{ Bindings: HttpBindings }>, note: RequestNote): void {
  const incoming = c.env?.incoming;
  if (!incoming) return;
  notes.set(incoming, { ...notes.get(incoming), ...note });
}

export type ObserverOptions = OutcomeSinks & {
  /** Routes counted under their own path; any other path is counted as "other". */
  routes: ReadonlySet<string>;
  /** Routes whose refusals are logged and audited elsewhere (the SQL engine does its own). */
  quietRoutes?: ReadonlySet<string>;
};

export function observeRequests(opts: ObserverOptions): MiddlewareHandler<{ Bindings: HttpBindings }> {
  return async (c, next) => {
    const started = process.hrtime.bigint();
    await next();
    const incoming = c.env?.incoming;
    const quiet = opts.quietRoutes?.has(c.req.path) ?? false;
    reportOutcome(opts, {
      method: c.req.method,
      path: c.req.path,
      route: opts.routes.has(c.req.path) ? c.req.path : 'other',
      status: c.res.status,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      remote: incoming?.socket?.remoteAddress,
      userAgent: c.req.header('user-agent'),
      note: (incoming && notes.get(incoming)) || {},
      quiet,
      auditService: quiet ? 'sql' : 'otlp',
    });
  };
}
