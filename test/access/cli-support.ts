// The CLI and serve as child processes, with everything they print kept for inspection.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Every byte any process started here printed (but the stdout of a command that prints a secret). */
export const printed: string[] = [];

const childEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTLP2DELTA_')));

export type Run = { code: number | null; stdout: string; stderr: string };

/** Runs the CLI; `printsSecret` leaves its stdout (the one place a secret is shown) out of the scan. */
export function cli(args: string[], printsSecret = false): Promise<Run> {
  const child = spawn(process.execPath, ['bin/otlp2delta', ...args], { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      printed.push(printsSecret ? '' : out.stdout, out.stderr);
      resolve({ code, ...out });
    });
  });
}

export type Server = { url: string; output: () => string; stop(): Promise<number | null> };

/** Starts serve and waits for its start line; rejects with its output if it exits first. */
export async function serve(args: string[]): Promise<Server> {
  const child = spawn(process.execPath, ['bin/otlp2delta', 'serve', '--port', '0', ...args], { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('close', (code) => {
    printed.push(out);
    r(code);
  }));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
    if (url) {
      return {
        url: url.replace('0.0.0.0', '127.0.0.1'),
        output: () => out,
        stop: async () => {
          child.kill('SIGTERM');
          return exited;
        },
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`serve did not start (exit ${child.exitCode}): ${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

