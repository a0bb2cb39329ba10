// Lists and strictly parses a table's _delta_log commit files (and finds its checkpoints), independently of the service's log code.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseJsonExact } from './json-exact.ts';

export type DeltaAction = Record<string, unknown>;
export type DeltaCommit = { version: number; actions: DeltaAction[] };
export type DeltaLog = {
  version: number;
  commits: DeltaCommit[];
  /** Versions of the classic checkpoint files, ascending. */
  checkpoints: number[];
  /** Whether `_delta_log/_last_checkpoint` exists. */
  hasLastCheckpoint: boolean;
};

const COMMIT = /^(\d{20})\.json$/;
const CHECKPOINT = /^(\d{20})\.checkpoint\.parquet$/;
// Files a Delta reader knows and may skip; anything else is most likely a
// commit that was staged and never linked into place, or a stray write.
const KNOWN_OTHER = [/\.crc$/];

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map);
}

/** Reads every commit, appending what is wrong to `problems` instead of
 * stopping at the first problem so one run shows the whole picture. */
export function scanDeltaLog(tableDir: string, problems: string[]): DeltaLog {
  const logDir = join(tableDir, '_delta_log');
  if (!existsSync(logDir) || !statSync(logDir).isDirectory()) {
    problems.push(`no _delta_log directory in ${tableDir}`);
    return { version: -1, commits: [], checkpoints: [], hasLastCheckpoint: false };
  }
  const found: Array<{ version: number; name: string }> = [];
  const checkpoints: number[] = [];
  let hasLastCheckpoint = false;
  for (const entry of readdirSync(logDir, { withFileTypes: true })) {
    const m = COMMIT.exec(entry.name);
    const cp = CHECKPOINT.exec(entry.name);
    if (m && entry.isFile()) {
      found.push({ version: Number(m[1]), name: entry.name });
    } else if (cp && entry.isFile()) {
      checkpoints.push(Number(cp[1]));
    } else if (entry.name === '_last_checkpoint' && entry.isFile()) {
      hasLastCheckpoint = true;
    } else if (!(entry.isFile() && KNOWN_OTHER.some((re) => re.test(entry.name)))) {
      problems.push(`_delta_log holds an unexpected ${entry.isDirectory() ? 'directory' : 'file'} '${entry.name}' (leftover temp file?)`);
    }
  }
  found.sort((a, b) => a.version - b.version);
  checkpoints.sort((a, b) => a - b);
  if (found.length === 0) problems.push('_delta_log has no commit files');
  // Commits behind a checkpoint may have expired; the ones left must run without gaps from there.
  const first = found[0]?.version ?? 0;
  const covered = first > 0 && checkpoints.some((c) => c >= first - 1 && c <= (found.at(-1)?.version ?? -1));
  if (first > 0 && !covered) problems.push(`the log starts at version ${first} with no checkpoint at version ${first - 1} or later to start from`);
  const missing: number[] = [];
  const from = covered ? first : 0;
  let expected = from;
  for (const f of found) {
    for (; expected < f.version && missing.length < 10; expected++) missing.push(expected);
    expected = f.version + 1;
  }
  if (missing.length > 0) {
    problems.push(
      `commit versions are not contiguous from ${from}: found [${found.map((f) => f.version).join(', ')}], missing ${missing.join(', ')}`,
    );
  }
  const commits = found.map((f) => ({ version: f.version, actions: parseCommit(join(logDir, f.name), f.name, problems) }));
  return { version: found.at(-1)?.version ?? -1, commits, checkpoints, hasLastCheckpoint };
}

function parseCommit(file: string, name: string, problems: string[]): DeltaAction[] {
  const text = readFileSync(file, 'utf8');
  if (text.startsWith('\uFEFF')) problems.push(`${name}: starts with a byte order mark`);
  const lines = text.split('\n');
  // One trailing newline is fine; an empty line anywhere else is not.
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) problems.push(`${name}: commit has no actions`);
  const actions: DeltaAction[] = [];
  lines.forEach((line, i) => {
    const where = `${name} line ${i + 1}`;
    if (line.trim() === '') {
      problems.push(`${where}: blank line`);
      return;
    }
    let parsed: unknown;
    try {
      parsed = parseJsonExact(line);
    } catch (e) {
      problems.push(`${where}: ${(e as Error).message}`);
      return;
    }
    if (!isPlainObject(parsed)) {
      problems.push(`${where}: action is not a JSON object`);
      return;
    }
    const keys = Object.keys(parsed);
    if (keys.length !== 1) {
      problems.push(`${where}: action must have exactly one key, has [${keys.join(', ')}]`);
      return;
    }
    actions.push(parsed);
  });
  return actions;
}

/** The parsed log; throws listing every problem when the log itself is malformed. */
export function readDeltaLog(tableDir: string): DeltaLog {
  const problems: string[] = [];
  const log = scanDeltaLog(tableDir, problems);
  if (problems.length > 0) {
    throw new Error(`Delta log of ${tableDir} has ${problems.length} problem(s):\n- ${problems.join('\n- ')}`);
  }
  return log;
}
