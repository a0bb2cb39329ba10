// A throwaway home folder for configure tests, filled from a golden input.
import { cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Environment } from '../../src/onboard/options.ts';

export const GOLDEN = path.join(import.meta.dirname, 'golden');

export type Home = { dir: string; env: Environment; cleanup(): Promise<void> };

export async function tempHome(input?: string, extraEnv: Record<string, string> = {}): Promise<Home> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-onboard-'));
  const home = path.join(dir, 'home');
  await cp(input ?? path.join(GOLDEN, 'inputs', 'claude', 'fresh'), home, { recursive: true, filter: (src) => path.basename(src) !== '.keep' });
  const sys = path.join(dir, 'system');
  return { dir: home, env: { env: { HOME: home, ...extraEnv }, home, systemRoot: sys }, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Every file under `dir` (relative path → text), the configure record folder aside. */
export async function snapshot(dir: string, opts: { backups?: boolean } = {}): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(d, e.name);
      const rel = path.relative(dir, full);
      if (rel === '.config') continue;
      if (e.isDirectory()) await walk(full);
      else if (opts.backups || !e.name.includes('.otlp2delta-backup-')) out[rel] = await readFile(full, 'utf8');
    }
  };
  await walk(dir);
  return out;
}

export const modeOf = async (file: string): Promise<number> => (await stat(file)).mode & 0o777;
