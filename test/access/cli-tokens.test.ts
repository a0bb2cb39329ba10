// The token commands and serve as real processes: a token made with the CLI
// lets the SDK exporter in, a bad one does not, a revoke reaches the running
// server within 10 s, the start line tells the auth mode, an open server off
// loopback refuses to start, and no byte printed or written holds the secret.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenHash } from '../../src/access/token-format.ts';
import { cli, printed, serve } from './cli-support.ts';
import { sdkSendLog } from './sdk-send.ts';

const TABLE = 'main.tel.cli_otel_logs';
let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-cli-tokens-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((p) => path.join(dir, p))
    .filter((p) => statSync(p).isFile());
}

describe('tokens through the CLI and a running server', () => {
  it('create, export good and bad, revoke while running, list; no secret anywhere', async () => {
    const warehouse = path.join(root, 'wh');
    const capture = path.join(root, 'capture');
    expect((await cli(['create-table', TABLE, '--kind', 'logs', '--warehouse', warehouse])).code).toBe(0);
    const created = await cli(['token', 'create', '--principal', 'alice@example.com', '--group', 'eng', '--group', 'oncall', '--comment', 'laptop', '--warehouse', warehouse], true);
    expect(created.code, created.stderr).toBe(0);
    const secret = created.stdout.trim();
    expect(created.stdout).toBe(`${secret}\n`);
    expect(secret).toMatch(/^o2d_[0-9A-Za-z]{28}$/);
    expect(created.stderr).toMatch(/shown only this once/);
    const id = /created token (tk_[0-9a-f]+)/.exec(created.stderr)![1]!;
    const other = (await cli(['token', 'create', '--principal', 'bob', '--warehouse', warehouse], true)).stdout.trim();
    // Both may write the table: alice through her group, bob by name.
    for (const who of ['eng', 'bob']) {
      for (const grant of ['USE CATALOG ON CATALOG main', 'USE SCHEMA ON SCHEMA main.tel', `MODIFY ON TABLE ${TABLE}`]) {
        const granted = await cli(['sql', `GRANT ${grant} TO ${who}`, '--warehouse', warehouse]);
        expect(granted.code, granted.stderr).toBe(0);
      }
    }

    const server = await serve(['--warehouse', warehouse, '--capture', capture, '--flush-interval-ms', '100']);
    expect(server.output()).toContain('auth: on (the warehouse has tokens)');
    expect(await sdkSendLog(server.url, TABLE, `Bearer ${secret}`)).toMatchObject({ ok: true });
    expect(await sdkSendLog(server.url, TABLE, undefined)).toMatchObject({ ok: false, status: 401 });
    const typo = secret.slice(0, -1) + (secret.endsWith('a') ? 'b' : 'a');
    expect(await sdkSendLog(server.url, TABLE, `Bearer ${typo}`)).toMatchObject({ ok: false, status: 403 });
    expect(await sdkSendLog(server.url, TABLE, `Basic ${secret}`)).toMatchObject({ ok: false, status: 401 });

    const revoked = await cli(['token', 'revoke', id, '--warehouse', warehouse]);
    expect(revoked.code, revoked.stderr).toBe(0);
    const since = Date.now();
    let answer;
    do {
      answer = await sdkSendLog(server.url, TABLE, `Bearer ${secret}`);
      if (answer.ok) await new Promise((r) => setTimeout(r, 200));
    } while (answer.ok && Date.now() - since < 15_000);
    expect(answer).toMatchObject({ ok: false, status: 403 });
    expect(Date.now() - since).toBeLessThan(10_000);
    // The other token still works.
    expect(await sdkSendLog(server.url, TABLE, `Bearer ${other}`)).toMatchObject({ ok: true });
    expect(await server.stop()).toBe(0);
    expect(server.output()).toMatch(new RegExp(`refused 403 .*Invalid access token\\. \\(revoked credential\\) \\(token ${id}, principal alice@example.com, table ${TABLE}\\)`));

    const list = await cli(['token', 'list', '--json', '--warehouse', warehouse]);
    const rows = list.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const alice = rows.find((r) => r.id === id)!;
    expect(alice).toMatchObject({ principal: 'alice@example.com', groups: ['eng', 'oncall'], status: 'revoked', comment: 'laptop', expires: null });
    expect(typeof alice.lastUsed).toBe('string');
    const table = await cli(['token', 'list', '--warehouse', warehouse]);
    expect(table.stdout).toMatch(/^id +principal +groups +created +expires +last used +status/);
    expect(table.stdout).toContain('eng,oncall');

    // The scan: every byte printed and every file written under the warehouse and the capture folder.
    const needles = [secret, other, typo, ...[secret, other].flatMap((s) => [tokenHash(s).toString('hex'), tokenHash(s).toString('base64')])];
    const haystacks: [string, string][] = printed.map((p, i) => [`output ${i}`, p]);
    for (const f of [...filesUnder(warehouse), ...filesUnder(capture)]) haystacks.push([f, readFileSync(f).toString('latin1')]);
    expect(filesUnder(capture).length).toBeGreaterThan(0);
    for (const [where, text] of haystacks) {
      for (const n of needles.slice(0, 3)) expect(text.includes(n), `${where} holds a secret`).toBe(false);
      // The token file holds the hashes (that is what it is for); nothing else may.
      if (!where.endsWith('tokens.json')) for (const n of needles.slice(3)) expect(text.includes(n), `${where} holds a token hash`).toBe(false);
    }
  }, 120_000);
});
