// The auth modes of serve as a real process: an open loopback server says so
// and turns auth on with its first token, an open server off loopback refuses
// to start unless --auth off (which warns), --auth required refuses without a
// token, and a token sent over plain HTTP from another machine is warned about.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlainTokenWarnings } from '../../src/http/auth.ts';
import { newTokenSecret, tokenIdOf } from '../../src/access/token-format.ts';
import { cli, serve } from './cli-support.ts';

let root: string;
let n = 0;
const freshWarehouse = () => path.join(root, `wh${n++}`);

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-auth-modes-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A JSON export to a table that does not exist: 404 when let in, 401/403 when refused at the edge. */
const probe = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-databricks-uc-table-name': 'main.s.none_otel_logs', ...headers }, body: '{}' }).then((r) => r.status);

describe('serve auth modes', () => {
  it('stays open on loopback without tokens, says so, and turns auth on with the first token', async () => {
    const warehouse = freshWarehouse();
    const server = await serve(['--warehouse', warehouse]);
    try {
      expect(server.output()).toMatch(/listening on .* auth: off \(no tokens; loopback only\)/);
      expect(await probe(server.url)).toBe(404);
      const created = await cli(['token', 'create', '--principal', 'first', '--warehouse', warehouse], true);
      expect(created.code).toBe(0);
      const since = Date.now();
      let status = 404;
      while (status === 404 && Date.now() - since < 15_000) {
        await new Promise((r) => setTimeout(r, 200));
        status = await probe(server.url);
      }
      expect(status).toBe(401);
      expect(Date.now() - since).toBeLessThan(10_000);
      expect(await probe(server.url, { authorization: `Bearer ${created.stdout.trim()}` })).toBe(404);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 60_000);

  it('refuses to listen off loopback without a token (exit 2, naming both ways out)', async () => {
    const r = await cli(['serve', '--host', '0.0.0.0', '--port', '0', '--warehouse', freshWarehouse()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('otlp2delta token create');
    expect(r.stderr).toContain('--auth off');
    expect(r.stderr).not.toContain('listening on');
  }, 60_000);

  it('starts off loopback with --auth off, warning in the start line', async () => {
    const server = await serve(['--host', '0.0.0.0', '--auth', 'off', '--warehouse', freshWarehouse()]);
    try {
      expect(server.output()).toMatch(/listening on .* auth: off \(--auth off\) WARNING: anyone who reaches 0\.0\.0\.0 can write and read every table/);
      expect(await probe(server.url)).toBe(404);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 60_000);

  it('with --auth required refuses every request without a valid token, even with no tokens', async () => {
    const server = await serve(['--auth', 'required', '--warehouse', freshWarehouse()]);
    try {
      expect(server.output()).toContain('auth: on (--auth required)');
      expect(await probe(server.url)).toBe(401);
      expect(await probe(server.url, { authorization: `Bearer ${newTokenSecret()}` })).toBe(403);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 60_000);

  it('refuses an unknown --auth mode', async () => {
    const r = await cli(['serve', '--auth', 'maybe', '--port', '0', '--warehouse', freshWarehouse()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--auth must be auto, required, off');
  }, 60_000);
});

describe('plain-HTTP bearer warning', () => {
  it('warns once a minute per token for a non-loopback peer without TLS, naming the id only', () => {
    const lines: string[] = [];
    let now = 0;
    const w = new PlainTokenWarnings((l) => lines.push(l), () => now);
    const t = newTokenSecret();
    w.check(`Bearer ${t}`, false, '127.0.0.1');
    w.check(`Bearer ${t}`, false, '::1');
    w.check(`Bearer ${t}`, true, '10.0.0.5');
    w.check(undefined, false, '10.0.0.5');
    expect(lines).toEqual([]);
    w.check(`Bearer ${t}`, false, '10.0.0.5');
    w.check(`Bearer ${t}`, false, '10.0.0.6');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(tokenIdOf(t));
    expect(lines[0]).toContain('10.0.0.5');
    expect(lines[0]).not.toContain(t);
    now += 60_000;
    w.check(`Bearer ${t}`, false, '10.0.0.6');
    expect(lines).toHaveLength(2);
    w.check('Bearer not-a-token-secret', false, '10.0.0.6');
    expect(lines[2]).not.toContain('not-a-token-secret');
  });

  it('warns for a real request to a non-loopback address of this machine', async () => {
    const external = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    // Without a second address the unit test above is the whole check; this one needs a real one.
    expect(external, 'this check needs a non-loopback IPv4 address on the machine').toBeDefined();
    const warehouse = freshWarehouse();
    const created = await cli(['token', 'create', '--principal', 'remote', '--warehouse', warehouse], true);
    const secret = created.stdout.trim();
    const server = await serve(['--host', '0.0.0.0', '--warehouse', warehouse]);
    try {
      const port = new URL(server.url).port;
      expect(await probe(`http://${external}:${port}`, { authorization: `Bearer ${secret}` })).toBe(404);
      const since = Date.now();
      while (!server.output().includes('over plain HTTP') && Date.now() - since < 5_000) await new Promise((r) => setTimeout(r, 50));
      expect(server.output()).toContain(`a bearer token (${tokenIdOf(secret)}) arrived over plain HTTP from ${external}`);
      expect(server.output()).not.toContain(secret);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 60_000);
});
