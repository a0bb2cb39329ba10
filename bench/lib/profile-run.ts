// Summarises a scenario's server CPU profile over the measured window with bench/profile-summary.ts.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './server-child.ts';

const SUMMARY_SCRIPT = path.join(REPO_ROOT, 'bench', 'profile-summary.ts');

/** Self time by area and by function of the newest main-thread profile in `dir`, between the two offsets (s). */
export function profileSummary(dir: string, fromS: number, toS: number, top = 12): { file: string; text: string } | undefined {
  // Names are CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the
  // main thread (the event loop), others are e.g. the module loader's thread.
  const files = readdirSync(dir)
    .filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f))
    .map((f) => path.join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  const file = files[0];
  if (file === undefined) return undefined;
  try {
    // profile-summary.ts runs its command when imported, so it runs as its own process.
    const text = execFileSync(
      process.execPath,
      ['--import', 'tsx', SUMMARY_SCRIPT, file, '--top', String(top), '--from-s', fromS.toFixed(2), '--to-s', toS.toFixed(2)],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
    );
    return { file, text };
  } catch (e) {
    return { file, text: `profile summary failed: ${(e as Error).message}` };
  }
}
