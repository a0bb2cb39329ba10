// Runs the real server as a separate process, so its CPU time and memory are
// its own and the load generator never waits on the server's event loop.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Kept equal to the flags of `npm start` (package.json): a larger young
 * generation lets most of each decoded ~1 MB body die in a scavenge instead of
 * being promoted (docs/performance.md has the measurement).
 */
export const START_NODE_FLAGS = ['--max-semi-space-size=32'] as const;

/** How long start-up (tsx compile, DuckDB, staging recovery) may take. */
const START_DEADLINE_MS = 60_000;
/** The server drains within its own 30 s deadline; this only guards against a hang. */
const STOP_DEADLINE_MS = 90_000;
/** Keep the tail of the server's log for error messages without growing without bound. */
const LOG_KEEP_CHARS = 64 * 1024;

export type ServerChild = {
  pid: number;
  url: string;
  /** Last part of what the server wrote to stderr. */
  log(): string;
  /** SIGTERM, then waits for the exit; resolves with the exit code (or the signal name). */
  stop(): Promise<number | string>;
};

export type ServerOptions = {
  warehouse: string;
  /** Extra `serve` flags, e.g. ['--flush-interval-ms', '1000']. */
  serveArgs?: string[];
  /** Node flags for the server process, e.g. ['--cpu-prof', '--cpu-prof-dir', dir]. */
  nodeArgs?: string[];
  /** Added to this process's environment for the server. */
  env?: Record<string, string>;
};

/**
 * V8 flags the server runs with: those of `npm start` (package.json), so the
 * benchmark measures what is deployed. OTLP2DELTA_BENCH_NODE_FLAGS replaces
 * them (space-separated, empty for none) to compare settings.
 */
export function serverNodeFlags(): string[] {
  const override = process.env.OTLP2DELTA_BENCH_NODE_FLAGS;
  if (override !== undefined) return override.split(' ').filter((f) => f !== '');
  return [...START_NODE_FLAGS];
}

export function startServer(opts: ServerOptions): Promise<ServerChild> {
  const args = [
    ...serverNodeFlags(),
    ...(opts.nodeArgs ?? []),
    'bin/otlp2delta',
    'serve',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--warehouse',
    opts.warehouse,
    ...(opts.serveArgs ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    // As `npm start` runs it: glibc then hands large freed buffers straight
    // back to the system instead of keeping them (see README, Performance).
    env: { MALLOC_MMAP_THRESHOLD_: '131072', ...process.env, ...opts.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle(() => reject(new Error(`server did not start within ${START_DEADLINE_MS} ms:\n${log}`)));
    }, START_DEADLINE_MS);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      log = (log + chunk).slice(-LOG_KEEP_CHARS);
      const m = /listening on (http:\/\/\S+)/.exec(log);
      if (m) settle(() => resolve(wrap(child, m[1]!, () => log, exited)));
    });
    void exited.then((code) => settle(() => reject(new Error(`server exited (${code}) before it listened:\n${log}`))));
  });
}

function wrap(child: ChildProcess, url: string, log: () => string, exited: Promise<number | string>): ServerChild {
  return {
    pid: child.pid!,
    url,
    log,
    async stop() {
      child.kill('SIGTERM');
      const guard = setTimeout(() => child.kill('SIGKILL'), STOP_DEADLINE_MS);
      try {
        return await exited;
      } finally {
        clearTimeout(guard);
      }
    },
  };
}
