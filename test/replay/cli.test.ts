// `otlp2delta replay` and `serve --capture` as child processes: help, usage errors, summary line and exit codes.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createDeltaTable } from '../../src/delta/table.ts';
import { schemaFor } from '../../src/tables/schema.ts';
import { startTestService } from '../support/service.ts';
import { logsLine, metricsLine } from './otlp-json.ts';
import { removeTempDirs, tempDir } from './support.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

afterAll(removeTempDirs);

type Run = { code: number | null; stdout: string; stderr: string };

/** Runs the command; async, so a server in this process keeps answering meanwhile. */
type CliHooks = {
  onStart?: (child: ReturnType<typeof spawn>) => void;
  onStderr?: (text: string, child: ReturnType<typeof spawn>) => void;
};

function cli(args: string[], opts: CliHooks = {}): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTLP2DELTA_')));
  const child = spawn(process.execPath, ['bin/otlp2delta', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  opts.onStart?.(child);
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    out.stderr += d.toString();
    opts.onStderr?.(out.stderr, child);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ...out }));
  });
}

async function collectorFile(lines: string[]): Promise<string> {
  const file = path.join(await tempDir('cli-in'), 'otelcol.jsonl');
  writeFileSync(file, lines.join('\n'));
  return file;
}

describe('otlp2delta replay (command line)', () => {
  it('--help shows the usage and exits 0; the command list names replay', async () => {
    const [help, main] = await Promise.all([cli(['replay', '--help']), cli(['--help'])]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: otlp2delta replay <DIR\|FILE\.\.\.> --to URL/);
    for (const opt of ['--token', '--table-prefix', '--concurrency', '--rate', '--warehouse', '--create-tables']) expect(help.stdout).toContain(opt);
    expect(main.stdout).toMatch(/\n {2}replay +send captured requests/);
  });

  it('refuses bad usage with exit 2 and says why', async () => {
    const file = await collectorFile([logsLine(1, 1)]);
    const runs = await Promise.all([
      cli(['replay', '--to', 'http://127.0.0.1:9']),
      cli(['replay', file, '--to', 'http://127.0.0.1:9', '--warehouse', '/tmp/x']),
      cli(['replay', file, '--to', 'http://127.0.0.1:9']),
      cli(['replay', file, '--to', 'http://127.0.0.1:9', '--table-prefix', 'only.two']),
      cli(['replay', file, '--to', 'http://127.0.0.1:9', '--table-prefix', 'a.b.c', '--concurrency', '0']),
    ]);
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2, 2]);
    expect(runs[0]!.stderr).toMatch(/give at least one capture folder or file/);
    expect(runs[1]!.stderr).toMatch(/exactly one of --to URL or --warehouse DIR/);
    expect(runs[2]!.stderr).toMatch(/names no table: give --table-prefix/);
    expect(runs[3]!.stderr).toMatch(/three dot-separated names/);
    expect(runs[4]!.stderr).toMatch(/--concurrency must be an integer from 1 to 256/);
  });

  it('exits 0 with the summary when everything is accepted, 1 when a table is missing or records are refused', async () => {
    const svc = await startTestService();
    try {
      await svc.createTable('main.cli.ok_otel_logs', 'logs');
      await svc.createTable('main.cli.ok_otel_metrics', 'metrics');
      const good = await collectorFile([logsLine(1, 3), logsLine(2, 2)]);
      const ok = await cli(['replay', good, '--to', svc.url, '--table-prefix', 'main.cli.ok', '--token', 't']);
      expect(ok.stdout).toMatch(/^summary: 2 requests, 5 records, 5 accepted, 0 rejected, 0 retried, \d+\.\d s\n$/);
      expect(ok.code).toBe(0);

      const missing = await cli(['replay', good, '--to', svc.url, '--table-prefix', 'main.cli.absent']);
      expect(missing.code).toBe(1);
      expect(missing.stdout).toMatch(/^summary: 2 requests \(2 refused\), 5 records, 0 accepted, 5 rejected/);
      expect(missing.stdout).toMatch(/otelcol\.jsonl:1: HTTP 404: table main\.cli\.absent_otel_logs does not exist/);

      // A metric without data is refused by partial success; the request itself is accepted.
      const noData = JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'empty' }] }] }] });
      const partial = await cli(['replay', await collectorFile([metricsLine(1, 2), noData]), '--to', svc.url, '--table-prefix', 'main.cli.ok', '--json']);
      expect(partial.code).toBe(1);
      const stats = JSON.parse(partial.stdout) as Record<string, unknown>;
      expect(stats).toMatchObject({ requests: 2, rejectedRequests: 0, records: 3, acceptedRecords: 2, rejectedRecords: 1 });
      expect(String(stats.problems)).toMatch(/metric "empty" has no data/);
    } finally {
      await svc.stop();
    }
  }, 60_000);
});

describe('otlp2delta replay interrupted', () => {
  it('finishes the requests in flight on SIGINT, prints the summary and exits 130', async () => {
    let hits = 0;
    let child: ReturnType<typeof spawn> | undefined;
    const server = http.createServer((req, res) => {
      req.resume();
      hits += 1;
      if (hits === 3) child?.kill('SIGINT');
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'), 100);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const file = await collectorFile(Array.from({ length: 40 }, (_, i) => logsLine(i, 1)));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const run = await cli(['replay', file, '--to', url, '--table-prefix', 'a.b.c', '--concurrency', '1'], {
        onStart: (c) => (child = c),
      });
      expect(run.code).toBe(130);
      expect(run.stderr).toMatch(/SIGINT: finishing the requests in flight/);
      const done = Number(/^summary: (\d+) requests, \1 records, \1 accepted, 0 rejected/.exec(run.stdout)?.[1]);
      expect(done).toBeGreaterThanOrEqual(3);
      expect(done).toBeLessThan(40);
      expect(hits).toBe(done);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 60_000);
});

describe('otlp2delta serve --capture (command line)', () => {
  it('records accepted requests without credentials and stops cleanly', async () => {
    const warehouse = await tempDir('cli-serve');
    const capture = path.join(await tempDir('cli-capture'), 'requests');
    const schema = schemaFor('logs');
    await createDeltaTable(path.join(warehouse, 'main', 'cli', 'cap_otel_logs'), { schema, properties: { ...schema.tableProperties } });
    let sent = false;
    const run = await cli(['serve', '--port', '0', '--warehouse', warehouse, '--capture', capture], {
      onStderr: (text, child) => {
        const url = /listening on (http:\/\/\S+)/.exec(text)?.[1];
        if (!url || sent) return;
        sent = true;
        const post = (table: string) =>
          fetch(`${url}/v1/logs`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: 'Bearer cli-secret-token', 'x-databricks-uc-table-name': table },
            body: logsLine(7, 2),
          });
        void Promise.all([post('main.cli.cap_otel_logs'), post('main.cli.nothere_otel_logs')]).then((answers) => {
          expect(answers.map((a) => a.status)).toEqual([200, 404]);
          child.kill('SIGTERM');
        });
      },
    });
    expect(run.stderr).toContain(`capture ${capture}`);
    expect(run.code).toBe(0);
    // Only the accepted request is recorded; the lock is gone once the server stopped.
    expect(readdirSync(capture).sort()).toEqual(['0001.body.bin', '0001.meta.json']);
    const meta = readFileSync(path.join(capture, '0001.meta.json'), 'utf8');
    expect(JSON.parse(meta)).toMatchObject({ seq: 1, signal: 'logs', path: '/v1/logs', table: 'main.cli.cap_otel_logs', rows: 2 });
    expect(meta).not.toMatch(/authorization|cli-secret-token/i);
  }, 60_000);
});
