// `otlp2delta serve --policy` as a process: the start line names the file,
// SIGHUP re-reads it (without TLS too), and a broken file refuses the start
// with the exit code of other configuration mistakes.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/otlp2delta', import.meta.url));
let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTLP2DELTA_')));
const folder = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'otlp2delta-serve-policy-'));
  dirs.push(d);
  return d;
};

async function waitFor(read: () => string, pattern: RegExp, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (pattern.test(read())) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not appear:\n${read()}`);
}

describe('serve --policy', () => {
  it('names the policy in the start line and reloads it on SIGHUP', async () => {
    const dir = folder();
    const file = path.join(dir, 'policy.toml');
    writeFileSync(file, '[limits.global]\nrequests_per_minute = 100\n');
    // The environment variable, as a service manager would set it.
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--warehouse', path.join(dir, 'wh')], {
      env: { ...cleanEnv(), OTLP2DELTA_POLICY: file },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const closed = new Promise<number | null>((r) => child.once('close', r));
    try {
      await waitFor(() => err, /listening on/, 'the start line');
      expect(err).toContain(` policy ${file} (1 rate limit, 0 privacy rules) auth: `);
      writeFileSync(file, '[limits.global]\nrequests_per_minute = 100\n[limits.default_user]\nrecords_per_minute = 10\n');
      child.kill('SIGHUP');
      await waitFor(() => err, /policy reloaded from .*\(SIGHUP; 2 rate limits/, 'the reload line');
      // SIGHUP did not stop the server.
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await closed).toBe(0);
  }, 60_000);

  it('refuses to start with a broken policy file, exit code 2, naming the file and the setting', () => {
    const dir = folder();
    const file = path.join(dir, 'policy.toml');
    writeFileSync(file, '[limits.default_user]\nrequests_per_minute = 1.5\n');
    const r = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--warehouse', path.join(dir, 'wh'), '--policy', file], { env: cleanEnv(), encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`otlp2delta serve: policy file ${file}: limits.default_user.requests_per_minute: must be a whole number, got 1.5`);
    expect(r.stderr).not.toMatch(/listening on/);
  });
});
