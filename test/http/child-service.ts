// `otlp2delta serve` in a process of its own, for behaviour that depends on the
// client and server not sharing an event loop (how socket writes interleave).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export type ChildService = { url: string; warehouse: string; stderr: () => string; stop(): Promise<void> };

export async function startChildService(args: string[] = []): Promise<ChildService> {
  const warehouse = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-child-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTLP2DELTA_')));
  const child: ChildProcess = spawn(process.execPath, ['bin/otlp2delta', 'serve', '--port', '0', '--warehouse', warehouse, ...args], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString('utf8')));
  child.stdout!.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  const deadline = Date.now() + 30_000;
  let url: string | undefined;
  while (!url) {
    url = /listening on (http:\/\/\S+)/.exec(err)?.[1];
    if (url) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`serve did not start: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    warehouse,
    stderr: () => err,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await rm(warehouse, { recursive: true, force: true });
    },
  };
}
