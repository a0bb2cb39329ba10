// `otlp2delta staging list` and `staging retry`, run as the real command in a
// child process, over a segment the real service quarantined.
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SEGMENT_COMMIT_ATTEMPTS_MAX } from '../../src/config/limits.ts';
import { listQuarantined } from '../../src/wal/quarantine.ts';
import { listSegments } from '../../src/wal/segment.ts';
import { TableWal } from '../../src/wal/table-wal.ts';
import { bench, bodies, row, TABLE, type Bench } from './harness.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

type Run = { code: number | null; stdout: string; stderr: string };

function cli(args: string[]): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTLP2DELTA_')));
  const child = spawn(process.execPath, ['bin/otlp2delta', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ...out }));
  });
}

let b: Bench;
beforeEach(async () => {
  b = await bench();
});
afterEach(async () => {
  await b.cleanup();
});

describe('otlp2delta staging', () => {
  it('lists a quarantined segment, refuses retry while a server runs, then moves it back to be committed', async () => {
    // Segment 0 holds a record DuckDB refuses; segment 1 commits, so the writer's committed number passes 0.
    const { wal } = await TableWal.open(b.segDir, 0n, { log: () => undefined });
    await wal.append(row(1) + row(2), 2);
    await wal.append('{"body": not json}\n', 1);
    await wal.seal();
    await wal.close();
    await b.stage([[7]]);
    let run = await b.start();
    for (let i = 0; i < SEGMENT_COMMIT_ATTEMPTS_MAX; i++) await run.service.pipeline.flushAll();
    expect(await b.committedBodies()).toEqual(bodies([7]));

    const w = ['--warehouse', b.warehouse];
    const listed = await cli(['staging', 'list', ...w]);
    expect(listed.code, listed.stderr).toBe(0);
    const [header, line, ...more] = listed.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^TABLE\s+SEGMENT\s+SIZE\s+RECORDS\s+ROWS\s+DAMAGED\s+QUARANTINED\s+REASON$/);
    expect(line).toMatch(/^main\.otel\.logs\s+0\s+\d+ B\s+2\s+3\s+0\s+\d{4}-\d\d-\d\dT\S+Z\s+.*JSON/i);
    expect(more).toEqual([]);
    const json = await cli(['staging', 'list', '--json', ...w]);
    expect(JSON.parse(json.stdout)).toMatchObject({ table: TABLE, seq: '0', records: 2, rows: 3, damagedRegions: 0, attempts: SEGMENT_COMMIT_ATTEMPTS_MAX });

    // The running server holds the staging lock: retry refuses and changes nothing.
    const refused = await cli(['staging', 'retry', `${TABLE}/0`, ...w]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot retry while a server uses the staging folder: .*in use by .*Stop that server/);
    expect((await listQuarantined(b.staging)).length).toBe(1);
    await run.service.stop();

    // Whatever made the load fail is fixed (here: the segment now holds rows the table takes).
    const [q] = await listQuarantined(b.staging);
    const fixedDir = `${b.segDir}-fixed`;
    const { wal: fixed } = await TableWal.open(fixedDir, 0n, { log: () => undefined });
    await fixed.append(row(1) + row(2), 2);
    await fixed.seal();
    await fixed.close();
    await fsp.copyFile(fixed.sealed[0]!.path, q!.path);
    await fsp.rm(fixedDir, { recursive: true });

    const retried = await cli(['staging', 'retry', `${TABLE}/0`, ...w]);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toMatch(/moved main\.otel\.logs\/0 back to .*00000000000000000002\.wal/);
    // Numbered past the committed segment 1: as segment 0 it would be taken for committed and deleted.
    expect((await listSegments(b.segDir)).map((s) => s.seq)).toEqual([2n]);
    expect((await cli(['staging', 'list', ...w])).stdout.trim()).toBe('no quarantined segments');

    run = await b.start();
    await run.service.pipeline.flushAll();
    expect(await b.committedBodies()).toEqual(bodies([7, 1, 2]));
    expect(await listSegments(b.segDir)).toEqual([]);
  }, 60_000);

  it('refuses a retry target that is not <table>/<segment>, and one that is not quarantined', async () => {
    const bad = await cli(['staging', 'retry', 'nonsense', '--warehouse', b.warehouse]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/retry takes one segment as <table>\/<segment>/);
    const missing = await cli(['staging', 'retry', `${TABLE}/9`, '--warehouse', b.warehouse]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no quarantined segment main\.otel\.logs\/9/);
    const file = `${b.warehouse}/not-a-folder`;
    await fsp.writeFile(file, 'x');
    const onFile = await cli(['staging', 'list', '--warehouse', file]);
    expect(onFile.code).toBe(2);
    expect(onFile.stderr).toContain(`otlp2delta staging: --warehouse ${file} is a file, not a folder`);
  }, 30_000);
});
