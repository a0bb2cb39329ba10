// The policy file on a running server: changes come into force without a
// restart, a broken change is refused and the last good policy stays, and a
// SIGHUP-style reload re-reads the file at once.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openPolicyFile, type PolicyWatcher } from '../../src/policy/policy-file.ts';
import { PolicyError } from '../../src/policy/policy-error.ts';

let dir: string;
let watcher: PolicyWatcher | undefined;
afterEach(async () => {
  watcher?.stop();
  watcher = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function until(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const since = Date.now();
  while (!check()) {
    if (Date.now() - since > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** As editors and config managers save: write aside, rename over (never a half-written file). */
async function save(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

const rate = (w: PolicyWatcher) => w.current().limits.global?.rates.requests?.perMinute;

async function start(text: string) {
  dir = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-policy-'));
  const file = path.join(dir, 'policy.toml');
  await writeFile(file, text);
  const logs: string[] = [];
  const outcomes: string[] = [];
  watcher = await openPolicyFile({ file, log: (l) => logs.push(l), pollMs: 30, onReload: (o) => outcomes.push(o) });
  return { file, logs, outcomes, w: watcher };
}

describe('the policy file', () => {
  it('refuses a broken file at start, naming the file and the setting', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-policy-'));
    const file = path.join(dir, 'policy.toml');
    await writeFile(file, '[limits.global]\nrequests_per_minute = -1\n');
    const e = await openPolicyFile({ file, log: () => undefined }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PolicyError);
    expect((e as Error).message).toBe(`policy file ${file}: limits.global.requests_per_minute: must be from 1 to ${Number.MAX_SAFE_INTEGER}, got -1; to refuse a principal altogether, revoke its token or its MODIFY grant`);
    await expect(openPolicyFile({ file: path.join(dir, 'none.toml'), log: () => undefined })).rejects.toThrow(/cannot read policy file .*none\.toml: ENOENT/);
  });

  it('takes a changed file into force, written in place or renamed over, and logs it', async () => {
    const { file, logs, outcomes, w } = await start('[limits.global]\nrequests_per_minute = 10\n');
    expect(rate(w)).toBe(10);
    // In place (a poll on a loaded machine may catch it half-written: only the end state is asserted).
    await writeFile(file, '[limits.global]\nrequests_per_minute = 20\n');
    await until(() => rate(w) === 20, 'in-place write');
    expect(logs.at(-1)).toBe(`policy reloaded from ${file} (changed; 1 rate limit, 0 privacy rules)`);
    const before = logs.length;
    await save(file, '[limits.global]\nrequests_per_minute = 30\n[limits.default_user]\nrecords_per_minute = 5\n');
    await until(() => rate(w) === 30, 'rename-over');
    expect(logs.slice(before)).toEqual([`policy reloaded from ${file} (changed; 2 rate limits, 0 privacy rules)`]);
    expect(outcomes.at(-1)).toBe('ok');
  });

  it('keeps the last good policy when the file breaks, says why once, and takes the fix', async () => {
    const { file, logs, outcomes, w } = await start('[limits.global]\nrequests_per_minute = 10\n');
    await save(file, '[limits.global]\nrequests_per_minut = 20\n');
    await until(() => logs.length > 0, 'refusal logged');
    expect(logs[0]).toBe(
      `policy reload from ${file} (changed) refused: limits.global.requests_per_minut: unknown setting; a limit has requests_per_minute, requests_burst, records_per_minute, records_burst, bytes_per_minute, bytes_burst; the policy in force stays (1 rate limit, 0 privacy rules)`,
    );
    expect(rate(w)).toBe(10);
    // The same broken file is not refused again at every poll.
    await new Promise((r) => setTimeout(r, 200));
    expect(logs).toHaveLength(1);
    await save(file, 'not = [toml');
    await until(() => logs.length > 1, 'TOML error logged');
    expect(logs[1]).toMatch(/refused: not valid TOML at line 1/);
    await save(file, '[limits.global]\nrequests_per_minute = 40\n');
    await until(() => rate(w) === 40, 'fixed file');
    expect(outcomes).toEqual(['failed', 'failed', 'ok']);
    await rm(file);
    await until(() => logs.length > 3, 'missing file logged');
    expect(logs[3]).toMatch(/refused: cannot read policy file .*: ENOENT; the policy in force stays/);
    expect(rate(w)).toBe(40);
  });

  it('re-reads the file on request (SIGHUP) without waiting for a poll', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-policy-'));
    const file = path.join(dir, 'policy.toml');
    await writeFile(file, '[limits.global]\nrequests_per_minute = 10\n');
    const logs: string[] = [];
    watcher = await openPolicyFile({ file, log: (l) => logs.push(l), pollMs: 3_600_000 });
    await writeFile(file, '[limits.global]\nrequests_per_minute = 11\n');
    expect(await watcher.reload('SIGHUP')).toBe(true);
    expect(rate(watcher)).toBe(11);
    expect(logs).toEqual([`policy reloaded from ${file} (SIGHUP; 1 rate limit, 0 privacy rules)`]);
  });
});
