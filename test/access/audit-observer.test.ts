// What the request observer sends to the audit sink, over real HTTP: an
// accepted export as an `export` event with its principal, token, table and
// records; a refusal as a `refused` event with its reason and message.
import { Hono } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/access/types.ts';
import { listen, type RunningServer } from '../../src/http/server.ts';
import { noteRequest, observeRequests } from '../../src/observe/http-observer.ts';

const events: AuditEvent[] = [];
let server: RunningServer;
let url: string;

beforeAll(async () => {
  const app = new Hono<{ Bindings: HttpBindings }>();
  app.use(observeRequests({ routes: new Set(['/v1/logs']), quietRoutes: new Set(['/sql']), audit: { record: (e) => events.push(e) } }));
  app.post('/v1/logs', (c) => {
    noteRequest(c, { signal: 'logs', table: 'main.s.t', tableKnown: true, rows: 3, tokenId: 'tok_9', principal: 'erin' });
    if (c.req.header('x-refuse')) {
      noteRequest(c, { reason: 'forbidden', message: 'erin lacks MODIFY on main.s.t' });
      return c.text('no', 403);
    }
    return c.text('ok', 200);
  });
  app.post('/sql', (c) => c.text('bad', 400));
  server = await listen(app, '127.0.0.1', 0);
  url = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server?.close();
});

describe('the observer as an audit source', () => {
  it('sends accepted exports and refusals with the caller, leaving quiet routes to themselves', async () => {
    await (await fetch(`${url}/v1/logs`, { method: 'POST', headers: { 'user-agent': 'ua-1' } })).text();
    await (await fetch(`${url}/v1/logs`, { method: 'POST', headers: { 'x-refuse': '1' } })).text();
    await (await fetch(`${url}/sql`, { method: 'POST' })).text();
    await (await fetch(`${url}/nowhere`, { method: 'POST' })).text();
    expect(events.map((e) => [e.action, e.status, e.principal, e.tokenId, e.params.table, e.params.records, e.params.reason])).toEqual([
      ['export', 200, 'erin', 'tok_9', 'main.s.t', '3', undefined],
      ['refused', 403, 'erin', 'tok_9', 'main.s.t', '3', 'forbidden'],
      ['refused', 404, undefined, undefined, undefined, undefined, 'not_found'],
    ]);
    expect(events[0]!.userAgent).toBe('ua-1');
    expect(events[0]!.sourceIp).toMatch(/127\.0\.0\.1/);
    expect(events[1]!.error).toBe('erin lacks MODIFY on main.s.t');
    expect(new Set(events.map((e) => e.requestId)).size).toBe(3);
  });
});
