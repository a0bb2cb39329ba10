// What configure changed in each file, so unconfigure takes away exactly that:
// the bytes before the first change, the bytes last written, and, per path,
// the value that was there before (absent when none). Kept owner-only under
// $XDG_CONFIG_HOME/otlp2delta/onboard (the bytes may hold a token).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Agent, Environment } from './options.ts';
import { homeOf } from './plan.ts';
import { removeFile, writeAtomic } from './safe-write.ts';

export type PathRecord = { path: string[]; had: boolean; previous?: unknown; written: unknown };

export type FileRecord = {
  file: string;
  /** The file's text before configure first changed it; null when it did not exist. */
  original: string | null;
  originalMode: number | null;
  /** Whether `original` may be put back byte for byte (the file held only configure's changes since). */
  restorable: boolean;
  /** SHA-256 of the text configure last wrote. */
  writtenSha256: string;
  paths: PathRecord[];
  /** Objects or sections configure created to hold its values, removed again when left empty. */
  createdParents: string[][];
};

export type AgentState = { version: 1; agent: Agent; files: FileRecord[] };

export const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export const stateFile = (e: Environment, agent: Agent): string =>
  path.join(e.env.XDG_CONFIG_HOME ?? path.join(homeOf(e), '.config'), 'otlp2delta', 'onboard', `${agent}.json`);

export async function readState(e: Environment, agent: Agent): Promise<AgentState | undefined> {
  const file = stateFile(e, agent);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const s = JSON.parse(text) as AgentState;
  if (s?.version !== 1 || !Array.isArray(s.files)) throw new Error(`${file} is not a configure record; remove it to start afresh`);
  return s;
}

export async function writeState(e: Environment, s: AgentState): Promise<void> {
  const file = stateFile(e, s.agent);
  if (s.files.length === 0) return removeFile(file);
  await writeAtomic(file, `${JSON.stringify(s, null, 2)}\n`, 0o600);
}
