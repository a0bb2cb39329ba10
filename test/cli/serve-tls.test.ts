// `otlp2delta serve --tls-cert/--tls-key` as a real process: refusals at start
// for pairs that cannot be used, the https start line, the environment
// variables, and SIGHUP putting a replaced pair in service (or keeping the old
// one when the replacement's key does not match).
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCa, type ServerCert, type TestCa } from '../support/tls-certs.ts';
import { handshake, waitForSerial } from '../support/tls-client.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let ca: TestCa;
let first: ServerCert;
let second: ServerCert;
let third: ServerCert;
let dir: string;

beforeAll(() => {
  ca = makeTestCa();
  first = ca.issue('first', '1A01');
  second = ca.issue('second', '1B02');
  third = ca.issue('third', '1C03');
  dir = mkdtempSync(path.join(os.tmpdir(), 'otlp2delta-serve-tls-'));
});
afterAll(() => {
  ca?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Child = { child: ChildProcess; output: () => string; exited: Promise<number | null> };

function serve(args: string[], env: Record<string, string> = {}): Child {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTLP2DELTA_')));
  const warehouse = mkdtempSync(path.join(dir, 'wh-'));
  const child = spawn(process.execPath, ['bin/otlp2delta', 'serve', '--port', '0', '--warehouse', warehouse, ...args], {
    cwd: ROOT, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return { child, output: () => out, exited };
}

async function waitFor(c: Child, pattern: RegExp, ms = 30_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = pattern.exec(c.output());
    if (m) return m;
    if (Date.now() > deadline || c.child.exitCode !== null) throw new Error(`no ${pattern} in:\n${c.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(c: Child): Promise<number | null> {
  c.child.kill('SIGTERM');
  return c.exited;
}

describe('serve --tls-cert/--tls-key at start', () => {
  it('refuses pairs it cannot use with exit 2, naming the file and the problem', async () => {
    const cases: [string[], RegExp][] = [
      [['--tls-cert', first.certFile], /--tls-cert needs --tls-key \(or OTLP2DELTA_TLS_KEY\) too: give both or neither/],
      [['--tls-key', first.keyFile], /--tls-key needs --tls-cert \(or OTLP2DELTA_TLS_CERT\) too: give both or neither/],
      [['--tls-cert', path.join(dir, 'nope.crt'), '--tls-key', first.keyFile], /TLS certificate \S+nope\.crt does not exist/],
      [['--tls-cert', first.certFile, '--tls-key', dir], /TLS key \S+ is a folder/],
      [['--tls-cert', first.keyFile, '--tls-key', first.keyFile], /TLS certificate \S+first\.key holds no PEM certificate/],
      [['--tls-cert', first.certFile, '--tls-key', second.keyFile], /TLS key \S+second\.key does not match the certificate \S+first\.crt \(subject CN=first serial 1A01/],
    ];
    const runs = await Promise.all(cases.map(async ([args]) => {
      const c = serve(args);
      return { code: await c.exited, out: c.output() };
    }));
    runs.forEach((r, i) => {
      expect(r.out).toMatch(cases[i]![1]);
      expect(r.out).not.toContain('listening on');
      expect(r.out).not.toContain('PRIVATE KEY');
      expect(r.code).toBe(2);
    });
  }, 90_000);
});

describe('serve over TLS as a process', () => {
  it('starts on https:// from the environment variables and reloads on SIGHUP', async () => {
    const live = { certFile: path.join(dir, 'live.crt'), keyFile: path.join(dir, 'live.key') };
    copyFileSync(first.certFile, live.certFile);
    copyFileSync(first.keyFile, live.keyFile);
    const c = serve([], { OTLP2DELTA_TLS_CERT: live.certFile, OTLP2DELTA_TLS_KEY: live.keyFile });
    try {
      const url = (await waitFor(c, /listening on (https:\/\/127\.0\.0\.1:\d+) /))[1]!;
      // The certificate line follows the start line, possibly in a later chunk of output.
      await waitFor(c, /TLS 1\.2 or later with subject CN=first serial 1A01/);
      const port = Number(new URL(url).port);
      expect(await handshake(port, { ca: ca.ca })).toMatchObject({ ok: true, serial: first.serial });

      copyFileSync(second.certFile, live.certFile);
      copyFileSync(second.keyFile, live.keyFile);
      c.child.kill('SIGHUP');
      await waitFor(c, /TLS certificate reloaded \(SIGHUP\): subject CN=second serial 1B02/);
      await waitForSerial(port, ca.ca, second.serial);

      // A certificate whose key is not there yet: refused, the second stays in service.
      copyFileSync(third.certFile, live.certFile);
      c.child.kill('SIGHUP');
      await waitFor(c, /TLS certificate reload \(SIGHUP\) failed: TLS key \S+live\.key does not match the certificate \S+live\.crt \(subject CN=third serial 1C03.*still serving subject CN=second serial 1B02/);
      expect(await handshake(port, { ca: ca.ca })).toMatchObject({ ok: true, serial: second.serial });
      expect(c.child.exitCode).toBeNull();
    } finally {
      expect(await stop(c)).toBe(0);
    }
    expect(c.output()).not.toContain('PRIVATE KEY');
  }, 90_000);
});
