// Start-up refusals of the real command, run as a child process: a warehouse that is a file
// (every command that takes one), a read-only warehouse or staging folder, an option given
// twice, a file replay cannot read, and a staging lock whose pid now belongs to another process.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logsLine } from '../replay/otlp-json.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-startup-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

type Run = { code: number | null; stdout: string; stderr: string };

const childEnv = (extra: Record<string, string>) => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTLP2DELTA_'))),
  ...extra,
});

// Each child compiles the sources through tsx; a few at a time keep two cores from thrashing.
let running = 0;
const waiting: (() => void)[] = [];
async function slot<T>(f: () => Promise<T>): Promise<T> {
  if (running >= 3) await new Promise<void>((r) => waiting.push(r));
  running += 1;
  try {
    return await f();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}

/** Runs `program args` to its end; a serve that starts after all is stopped with SIGTERM. */
const run = (program: string, args: string[], env: Record<string, string> = {}): Promise<Run> => slot(() => runNow(program, args, env));

function runNow(program: string, args: string[], env: Record<string, string>): Promise<Run> {
  const child = spawn(program, args, { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  let stopped = false;
  child.stderr.on('data', (d: Buffer) => {
    out.stderr += d.toString();
    if (!stopped && / listening on /.test(out.stderr)) stopped = child.kill('SIGTERM');
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ...out }));
  });
}

const cli = (args: string[], env: Record<string, string> = {}) => run(process.execPath, ['bin/otlp2delta', ...args], env);

describe('a warehouse path that is a file', () => {
  it('is refused by every command that takes --warehouse, naming the option and the path, exit 2', async () => {
    const file = path.join(root, 'not-a-folder');
    writeFileSync(file, 'x');
    const collector = path.join(root, 'ok.jsonl');
    writeFileSync(collector, `${logsLine(1, 1)}\n`);
    const w = ['--warehouse', file];
    const commands: string[][] = [
      ['serve', '--port', '0', ...w],
      ['sql', 'SELECT 1', ...w],
      ['usage', ...w],
      ['create-table', 'a.b.c', '--kind', 'logs', ...w],
      ['optimize', 'a.b.c', ...w],
      ['vacuum', 'a.b.c', ...w],
      ['describe', 'a.b.c', ...w],
      ['history', 'a.b.c', ...w],
      ['replay', collector, '--table-prefix', 'a.b.c', ...w],
    ];
    const runs = await Promise.all(commands.map((c) => cli(c)));
    for (const [i, r] of runs.entries()) {
      const name = commands[i]![0];
      expect(r.stderr, name).toContain(`otlp2delta ${name}: --warehouse ${file} is a file, not a folder`);
      expect(r.stderr, name).not.toMatch(/EEXIST|ENOTDIR|listening/);
      expect(r.code, name).toBe(2);
    }
  }, 120_000);

  it('is refused under a file, and from the environment, with the setting named', async () => {
    const file = path.join(root, 'plain-file');
    writeFileSync(file, 'x');
    const [under, fromEnv, staging] = await Promise.all([
      cli(['serve', '--port', '0', '--warehouse', path.join(file, 'sub')]),
      cli(['sql', 'SELECT 1'], { OTLP2DELTA_WAREHOUSE: file }),
      cli(['serve', '--port', '0', '--warehouse', path.join(root, 'wh-ok'), '--staging', file]),
    ]);
    expect(under.stderr).toContain(`--warehouse ${path.join(file, 'sub')} cannot be a folder: ${file} is a file`);
    expect(fromEnv.stderr).toContain(`OTLP2DELTA_WAREHOUSE ${file} is a file, not a folder`);
    expect(staging.stderr).toContain(`--staging ${file} is a file, not a folder`);
    expect([under.code, fromEnv.code, staging.code]).toEqual([2, 2, 2]);
  }, 60_000);
});

describe('an option given twice', () => {
  it('is an error for every command, and nothing is created', async () => {
    const warehouse = path.join(root, 'twice');
    const runs = await Promise.all([
      cli(['create-table', 'a.b.c', '--kind', 'logs', '--kind', 'metrics', '--warehouse', warehouse]),
      cli(['serve', '--port', '0', '--port', '0', '--warehouse', warehouse]),
      cli(['sql', 'SELECT 1', '--format', 'csv', '--format=json', '--warehouse', warehouse]),
      cli(['describe', 'a.b.c', '--json', '--json', '--warehouse', warehouse]),
    ]);
    for (const [i, opt] of ['kind', 'port', 'format', 'json'].entries()) {
      expect(runs[i]!.stderr).toContain(`--${opt} is given more than once`);
      expect(runs[i]!.code).toBe(2);
    }
    await expect(readdir(warehouse)).rejects.toMatchObject({ code: 'ENOENT' });
  }, 60_000);
});

describe('replay of a file that is not a capture, fixture or Collector file', () => {
  it('is refused before anything is sent, naming the file, why, and what replay reads', async () => {
    const dir = path.join(root, 'replay-in');
    mkdirSync(dir);
    const passwd = path.join(dir, 'passwd');
    writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n');
    const otherJson = path.join(dir, 'config.json');
    writeFileSync(otherJson, '{"service":{"pipelines":{}}}\n');
    const gzText = path.join(dir, 'notes.gz');
    writeFileSync(gzText, gzipSync('just some text\n'));
    const mixed = path.join(root, 'mixed');
    mkdirSync(mixed);
    writeFileSync(path.join(mixed, 'a.jsonl'), `${logsLine(1, 1)}\n`);
    writeFileSync(path.join(mixed, 'b.json'), '[1, 2, 3]\n');
    const target = ['--to', 'http://127.0.0.1:9', '--table-prefix', 'a.b.c'];
    const [p, j, g, m, dev] = await Promise.all([
      cli(['replay', passwd, ...target]),
      cli(['replay', otherJson, ...target]),
      cli(['replay', gzText, ...target]),
      cli(['replay', mixed, ...target]),
      cli(['replay', '/dev/null', ...target]),
    ]);
    expect(p.stderr).toContain(`${passwd} is not a capture, a fixture or a Collector file: its first line is not JSON: "root:x:0:0`);
    expect(j.stderr).toContain(`${otherJson} is not a capture, a fixture or a Collector file: its first line has none of resourceMetrics, resourceLogs, resourceSpans`);
    expect(g.stderr).toContain(`${gzText} is not a capture, a fixture or a Collector file: its first line is not JSON`);
    expect(m.stderr).toContain(`${path.join(mixed, 'b.json')} is not a capture, a fixture or a Collector file`);
    expect(dev.stderr).toContain('/dev/null is not a regular file or a directory');
    for (const r of [p, j, g, m, dev]) {
      expect(r.stderr).toMatch(/replay reads capture folders .* and OpenTelemetry Collector file exporter output/);
      expect(r.stderr).not.toMatch(/Collector file output, which names no table|summary:/);
      expect(r.code).toBe(1);
    }
  }, 60_000);
});

/** Field 22 of /proc/<pid>/stat: the process's start, in clock ticks after boot. */
function startOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

describe('a staging LOCK after kill -9 in a container', () => {
  it('naming PID 1 (now another process) is taken over; one naming a running holder is refused', async () => {
    const staging = path.join(root, 'stale-staging');
    mkdirSync(staging);
    const lock = path.join(staging, 'LOCK');
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    writeFileSync(lock, JSON.stringify({ pid: 1, start: String(Number(startOf(1)) + 3), boot, host: os.hostname() }));
    const started = await cli(['serve', '--port', '0', '--warehouse', path.join(root, 'stale-wh'), '--staging', staging]);
    expect(started.stderr).toMatch(/ listening on http:\/\/127\.0\.0\.1:\d+ /);
    expect(started.stderr).toMatch(/stopped; all accepted rows are committed/);
    expect(started.code).toBe(0);

    // A holder that runs: this test process, by its exact identity.
    writeFileSync(lock, JSON.stringify({ pid: process.pid, start: startOf(process.pid), boot, host: os.hostname() }));
    const refused = await cli(['serve', '--port', '0', '--warehouse', path.join(root, 'stale-wh'), '--staging', staging]);
    expect(refused.stderr).toContain(`staging folder ${staging} is in use by process ${process.pid}, which is running`);
    expect(refused.stderr).toMatch(/stop that server first; each server needs its own --staging folder/);
    expect(refused.stderr).not.toMatch(/listening/);
    expect(refused.code).toBe(1);
  }, 60_000);
});

/**
 * A read-only folder. Root ignores permission bits, so as root it is a read-only
 * tmpfs mounted here; otherwise the command runs in a user and mount namespace
 * (unshare -rm) that mounts it for itself.
 */
let readOnly: { dir: string; wrap: (args: string[]) => [string, string[]]; cleanup(): void };

beforeAll(() => {
  const dir = path.join(root, 'ro');
  mkdirSync(dir);
  let mountError: string;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', dir], { stdio: 'pipe' });
    readOnly = { dir, wrap: (args) => [process.execPath, ['bin/otlp2delta', ...args]], cleanup: () => execFileSync('umount', [dir]) };
    return;
  } catch (e) {
    mountError = String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim();
  }
  const script = 'mount -t tmpfs -o ro,size=64k tmpfs "$0" && exec "$@"';
  try {
    execFileSync('unshare', ['-rm', 'sh', '-c', script, dir, 'true'], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`needs a read-only folder: mount as root failed (${mountError}) and so did unshare -rm (${(e as Error).message})`);
  }
  readOnly = {
    dir,
    wrap: (args) => ['unshare', ['-rm', 'sh', '-c', script, dir, process.execPath, 'bin/otlp2delta', ...args]],
    cleanup: () => undefined,
  };
});
afterAll(() => readOnly?.cleanup());

describe('a read-only warehouse or staging folder', () => {
  it('refuses to start, with the real cause, rather than accept rows it could never commit', async () => {
    const rw = await mkdtemp(path.join(root, 'rw-'));
    const ro = readOnly.dir;
    const serve = (...args: string[]) => run(...readOnly.wrap(['serve', '--port', '0', ...args]));
    const [inside, existing, stagingElsewhere, roStaging] = await Promise.all([
      serve('--warehouse', path.join(ro, 'warehouse')),
      serve('--warehouse', ro),
      serve('--warehouse', ro, '--staging', path.join(rw, 'staging')),
      serve('--warehouse', path.join(rw, 'warehouse'), '--staging', ro),
    ]);
    expect(inside.stderr).toContain(`warehouse ${path.join(ro, 'warehouse')} cannot be created: ${ro} is not writable: EROFS (read-only file system)`);
    expect(existing.stderr).toContain(`warehouse ${ro} is not writable: EROFS (read-only file system)`);
    expect(stagingElsewhere.stderr).toContain(`warehouse ${ro} is not writable: EROFS`);
    expect(roStaging.stderr).toContain(`staging folder ${ro} is not writable: EROFS`);
    for (const r of [inside, existing, stagingElsewhere, roStaging]) {
      expect(r.stderr).not.toMatch(/ENOENT|listening/);
      expect(r.code).toBe(1);
    }
    // The refused start staged nothing in the writable staging folder it was given.
    expect(await readdir(path.join(rw, 'staging')).catch(() => [])).toEqual([]);
  }, 60_000);
});
