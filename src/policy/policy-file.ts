// The policy file in force on a running server: read at start (an error
// refuses the start), then re-read when it changes (polled: fs.watch misses
// editors' write-to-temp-and-rename) and on SIGHUP. A file with an error is
// refused whole and the last good policy stays in force; the log says why.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { POLICY_RELOAD_POLL_MS } from '../config/limits.ts';
import { parsePolicyText, type PolicyDocument } from './document.ts';
import { summarizeLimits } from './limits-config.ts';
import { PolicyError } from './policy-error.ts';

export type PolicyReloadStats = { reloads: number; failures: number };

export type PolicyWatcher = {
  file: string;
  current(): PolicyDocument;
  /** Reads the file now; resolves true when a new policy is in force. */
  reload(reason: string): Promise<boolean>;
  stats: PolicyReloadStats;
  stop(): void;
};

/** How the log describes a policy: counts, so a reload line stays one line. */
export function describePolicy(doc: PolicyDocument): string {
  const limits = summarizeLimits(doc.limits).length;
  const rules = doc.privacy.rules.length;
  return `${limits} rate limit${limits === 1 ? '' : 's'}, ${rules} privacy rule${rules === 1 ? '' : 's'}`;
}

/** A rewrite changes mtime or size, a rename-over the inode; missing files have a stamp too. */
async function stampOf(file: string): Promise<string> {
  try {
    const s = await stat(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch (e) {
    return `missing:${(e as NodeJS.ErrnoException).code ?? ''}`;
  }
}

const hashOf = (text: string): string => createHash('sha256').update(text).digest('hex');

const unreadable = (file: string, e: unknown): PolicyError =>
  new PolicyError('', `cannot read policy file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);

function parseWithFile(text: string, file: string): PolicyDocument {
  try {
    return parsePolicyText(text, file);
  } catch (e) {
    throw e instanceof PolicyError ? new PolicyError('', `policy file ${file}: ${e.message}`) : e;
  }
}

/** Reads the file at start; throws PolicyError naming the file and the setting. */
export async function openPolicyFile(opts: {
  file: string;
  log: (line: string) => void;
  pollMs?: number;
  /** Called after every reload attempt, for the metrics. */
  onReload?: (outcome: 'ok' | 'failed') => void;
}): Promise<PolicyWatcher> {
  const { log } = opts;
  // Taken before reading, so a change made while it is read is still seen.
  let applied = await stampOf(opts.file);
  // The text is read once, so the hash is of what was parsed even if the file changes meanwhile.
  let text: string;
  try {
    text = await readFile(opts.file, 'utf8');
  } catch (e) {
    throw unreadable(opts.file, e);
  }
  let current = parseWithFile(text, opts.file);
  const file = current.file;
  let appliedHash = hashOf(text);
  let seen = applied;
  const stats: PolicyReloadStats = { reloads: 0, failures: 0 };
  let queue: Promise<unknown> = Promise.resolve();

  const attempt = async (reason: string): Promise<boolean> => {
    const stamp = await stampOf(file);
    applied = stamp;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      return failed(reason, unreadable(file, e));
    }
    const hash = hashOf(text);
    // A touch or a save without change: nothing to swap, nothing to log.
    if (hash === appliedHash && reason !== 'SIGHUP') return false;
    try {
      const next = parsePolicyText(text, file);
      current = next;
      appliedHash = hash;
      stats.reloads += 1;
      opts.onReload?.('ok');
      log(`policy reloaded from ${file} (${reason}; ${describePolicy(next)})`);
      return true;
    } catch (e) {
      if (!(e instanceof PolicyError)) throw e;
      return failed(reason, e);
    }
  };
  const failed = (reason: string, e: PolicyError): false => {
    stats.failures += 1;
    opts.onReload?.('failed');
    log(`policy reload from ${file} (${reason}) refused: ${e.message}; the policy in force stays (${describePolicy(current)})`);
    return false;
  };
  // One reload at a time, so a SIGHUP during a poll's read cannot be overtaken by the older text.
  const serial = (reason: string): Promise<boolean> => {
    const run = queue.then(() => attempt(reason));
    queue = run.catch(() => undefined);
    return run;
  };
  // Acted on once the file has stayed the same for one poll, so a file
  // caught half-written is not refused as broken.
  const timer = setInterval(() => {
    void (async () => {
      const now = await stampOf(file);
      const settled = now === seen;
      seen = now;
      if (settled && now !== applied) await serial('changed');
    })().catch((e: unknown) => log(`policy file check failed: ${(e as Error).message}`));
  }, opts.pollMs ?? POLICY_RELOAD_POLL_MS);
  timer.unref();
  return {
    file,
    current: () => current,
    reload: serial,
    stats,
    stop: () => clearInterval(timer),
  };
}
