// The gRPC listener's settings: defaults, flags, environment and the refusals
// that name the setting; and the start line of a real `serve` naming both
// listeners, with --no-grpc leaving gRPC off.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveServeConfig } from '../../src/config/serve-config.ts';
import { createToken } from '../../src/access/token-store.ts';
import { cli, serve } from '../access/cli-support.ts';
import { createLogsTable } from '../durability/harness.ts';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import { rawClient, Status } from './grpc-client.ts';

const resolve = (flags: Parameters<typeof resolveServeConfig>[0], env: NodeJS.ProcessEnv = {}) => resolveServeConfig(flags, env);

describe('gRPC listener settings', () => {
  it('listens on the HTTP host at 4317 by default, and on a free port whenever HTTP does', () => {
    expect(resolve({}).grpc).toEqual({ host: '127.0.0.1', port: 4317 });
    expect(resolve({ port: '0' }).grpc).toEqual({ host: '127.0.0.1', port: 0 });
    expect(resolve({ host: '::1' }).grpc).toEqual({ host: '::1', port: 4317 });
  });

  it('takes --grpc-host/--grpc-port over OTLP2DELTA_GRPC_HOST/PORT', () => {
    expect(resolve({}, { OTLP2DELTA_GRPC_HOST: '0.0.0.0', OTLP2DELTA_GRPC_PORT: '5317' }).grpc).toEqual({ host: '0.0.0.0', port: 5317 });
    expect(resolve({ grpcHost: '127.0.0.2', grpcPort: '6317' }, { OTLP2DELTA_GRPC_PORT: '5317' }).grpc).toEqual({ host: '127.0.0.2', port: 6317 });
  });

  it('is off with --no-grpc or OTLP2DELTA_GRPC=off', () => {
    expect(resolve({ noGrpc: true }).grpc).toBeUndefined();
    expect(resolve({}, { OTLP2DELTA_GRPC: 'off' }).grpc).toBeUndefined();
    expect(resolve({}, { OTLP2DELTA_GRPC: 'on' }).grpc).toEqual({ host: '127.0.0.1', port: 4317 });
  });

  it('refuses a bad port, the HTTP port, and a bad OTLP2DELTA_GRPC, naming the setting', () => {
    expect(() => resolve({ grpcPort: 'x' })).toThrow(/--grpc-port must be an integer from 0 to 65535/);
    expect(() => resolve({ grpcPort: '70000' })).toThrow(/--grpc-port/);
    expect(() => resolve({ port: '4317' })).toThrow(/--grpc-port 4317 is the HTTP port too/);
    expect(() => resolve({}, { OTLP2DELTA_GRPC: 'maybe' })).toThrow(/OTLP2DELTA_GRPC must be on or off/);
  });
});

describe('serve with gRPC', () => {
  it('names both listeners in the start line and takes exports on the gRPC one', async () => {
    const warehouse = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-grpc-cli-'));
    try {
      const s = await serve(['--warehouse', warehouse]);
      try {
        const m = /listening on http:\/\/127\.0\.0\.1:\d+ .*; OTLP\/gRPC on http:\/\/(127\.0\.0\.1:\d+)/.exec(s.output());
        expect(m, s.output()).not.toBeNull();
        const client = rawClient(m![1]!);
        const a = await client.send('logs', Buffer.alloc(0), {});
        client.close();
        // An empty export is valid protobuf; without table metadata or default it is refused by name.
        expect(a).toMatchObject({ code: Status.INVALID_ARGUMENT, details: expect.stringMatching(/metadata/) });
      } finally {
        expect(await s.stop()).toBe(0);
      }
      await createLogsTable(warehouse, 'main.tel.agent_otel_logs');
      const prefixed = await serve(['--warehouse', warehouse, '--default-table-prefix', 'main.tel.agent']);
      try {
        const target = /OTLP\/gRPC on http:\/\/(\S+)/.exec(prefixed.output())![1]!;
        const client = rawClient(target);
        const t = SIGNAL_TYPES.logs.request;
        const body = t.encode(t.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: '1', body: { stringValue: 'x' } }] }] }] })).finish();
        const a = await client.send('logs', body, {});
        client.close();
        expect(a.code, a.details).toBe(Status.OK);
      } finally {
        expect(await prefixed.stop()).toBe(0);
      }
      const off = await serve(['--warehouse', warehouse, '--no-grpc']);
      try {
        expect(off.output()).toMatch(/; OTLP\/gRPC off/);
      } finally {
        await off.stop();
      }
    } finally {
      await rm(warehouse, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses to open gRPC off loopback without tokens, as for HTTP', async () => {
    const warehouse = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-grpc-cli-'));
    try {
      const r = await cli(['serve', '--port', '0', '--warehouse', warehouse, '--grpc-host', '0.0.0.0']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without authentication/);
      await createToken(warehouse, { principal: 'agent' });
      const s = await serve(['--warehouse', warehouse, '--grpc-host', '0.0.0.0']);
      await s.stop();
    } finally {
      await rm(warehouse, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('a gRPC port in use', () => {
  it('stops the start with a message that says what to do', async () => {
    const net = await import('node:net');
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const warehouse = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-grpc-cli-'));
    try {
      const r = await cli(['serve', '--port', '0', '--warehouse', warehouse, '--grpc-port', String(port)]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(new RegExp(`cannot listen for OTLP/gRPC on 127\\.0\\.0\\.1:${port}.*--grpc-port picks another, --no-grpc turns gRPC off`));
    } finally {
      blocker.close();
      await rm(warehouse, { recursive: true, force: true });
    }
  }, 60_000);
});
