// `serve --help` and the start line about where the warehouse is.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin/otlp2delta');
let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTLP2DELTA_')));

/** Starts serve in `cwd`, returns its stderr up to the start lines, then stops it. */
async function startLines(cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const closed = new Promise((r) => child.once('close', r));
  for (let i = 0; i < 600 && !/listening on/.test(err); i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 200));
  child.kill('SIGTERM');
  await closed;
  return err;
}

describe('serve --help', () => {
  it('lists every option in its usage line, and says where the default warehouse is and how to pin it', () => {
    const r = spawnSync(process.execPath, [BIN, 'serve', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const usage = r.stdout.split('\n\n')[0] as string;
    const options = [...(r.stdout.split('options:')[1] ?? '').matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1] as string);
    expect(options.length).toBeGreaterThan(10);
    for (const o of options) expect(usage, `${o} in the usage line`).toContain(`[${o}`);
    expect(r.stdout).toMatch(/default \.\/warehouse,\s+relative to the working directory: set the env var to pin/);
    expect(r.stdout).toContain('OTLP2DELTA_WAREHOUSE');
  });
});

describe('the start line', () => {
  it('says when the warehouse is the working directory default, and how to pin it', async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'otlp2delta-wh-'));
    dirs.push(cwd);
    const err = await startLines(cwd, cleanEnv());
    expect(err).toContain(`warehouse ${path.join(cwd, 'warehouse')} `);
    expect(err).toContain(`the warehouse is the default ./warehouse of the working directory; other commands run elsewhere would use another one (pin it with --warehouse or OTLP2DELTA_WAREHOUSE=${path.join(cwd, 'warehouse')})`);
  }, 60_000);

  it('says nothing more when OTLP2DELTA_WAREHOUSE pins it', async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'otlp2delta-wh-'));
    dirs.push(cwd);
    const pinned = path.join(cwd, 'pinned');
    const err = await startLines(cwd, { ...cleanEnv(), OTLP2DELTA_WAREHOUSE: pinned });
    expect(err).toContain(`warehouse ${pinned} `);
    expect(err).not.toContain('the warehouse is the default');
  }, 60_000);
});
