// Swaps the server's certificate without a restart: on request (SIGHUP) and
// when the files change. A replacement is used only once both files load and
// match; until then the previous certificate keeps being served.
import { stat } from 'node:fs/promises';
import type { Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import { REJECTION_LOG_WINDOW_MS, TLS_HANDSHAKE_LOG_BURST, TLS_RELOAD_POLL_MS } from '../config/limits.ts';
import { describeCertificate, loadTlsMaterial, type TlsFiles, type TlsMaterial } from './tls.ts';

export type TlsStats = {
  /** Certificates put in service after the first one. */
  reloads: number;
  /** Replacements refused (unreadable, not a certificate, key not matching); the old one stays. */
  reloadFailures: number;
  /** Connections that failed before a request (plain HTTP on the TLS port, old TLS versions, bad handshakes). */
  handshakeFailures: number;
};

export type CertificateReloader = {
  /** Loads the files now; resolves true when the new pair is in service. */
  reload(reason: string): Promise<boolean>;
  /** The certificate new connections get. */
  current(): TlsMaterial;
  stats: TlsStats;
  stop(): void;
};

/** Identifies one version of a file: a rewrite changes mtime or size, a rename-over changes the inode. */
export async function stampOf(files: TlsFiles): Promise<string> {
  const one = async (f: string) => {
    try {
      const s = await stat(f);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (e) {
      return `missing:${(e as NodeJS.ErrnoException).code ?? ''}`;
    }
  };
  return `${await one(files.certFile)}|${await one(files.keyFile)}`;
}

export function startCertificateReloader(opts: {
  server: TlsServer;
  files: TlsFiles;
  initial: TlsMaterial;
  /** stampOf(files) taken before `initial` was read, so a change made while it loaded is still seen. */
  initialStamp: string;
  log: (line: string) => void;
  pollMs?: number;
  /** Also told of each pair put in service (the gRPC listener takes it from here). */
  onReload?: (m: TlsMaterial) => void;
}): CertificateReloader {
  const { server, files, log } = opts;
  const stats: TlsStats = { reloads: 0, reloadFailures: 0, handshakeFailures: 0 };
  let current = opts.initial;
  let tried = opts.initialStamp;
  let seen = tried;
  let queue: Promise<unknown> = Promise.resolve();

  const attempt = async (reason: string, stamp: string): Promise<boolean> => {
    tried = stamp;
    try {
      const next = await loadTlsMaterial(files);
      server.setSecureContext(next.context);
      opts.onReload?.(next);
      current = next;
      stats.reloads += 1;
      log(`TLS certificate reloaded (${reason}): ${describeCertificate(next.leaf)}; new connections use it`);
      return true;
    } catch (e) {
      stats.reloadFailures += 1;
      log(`TLS certificate reload (${reason}) failed: ${(e as Error).message}; still serving ${describeCertificate(current.leaf)}`);
      return false;
    }
  };
  // One load at a time, so a SIGHUP during a poll-triggered load cannot
  // finish first and be overwritten by the older pair.
  const serial = (reason: string, stamp: () => Promise<string>): Promise<boolean> => {
    const run = queue.then(async () => attempt(reason, await stamp()));
    queue = run.catch(() => undefined);
    return run;
  };

  // A change is acted on once the files have stayed the same for one poll,
  // so a pair being copied in one file at a time is read when complete.
  const timer = setInterval(() => {
    void stampOf(files).then((stamp) => {
      const settled = stamp === seen;
      seen = stamp;
      if (settled && stamp !== tried) void serial('files changed', async () => stamp);
    });
  }, opts.pollMs ?? TLS_RELOAD_POLL_MS);
  timer.unref();

  // Scanners and misconfigured agents can fail handshakes by the thousand:
  // each is counted, a few a window are logged.
  let windowStart = 0;
  let windowLogged = 0;
  // A socket closed by the handshake timeout no longer knows its peer, so the
  // address is noted when the TCP connection arrives, keyed by that socket
  // (which the TLS socket keeps as its parent).
  const peers = new WeakMap<Socket, string>();
  server.on('connection', (raw: Socket) => {
    if (raw.remoteAddress !== undefined) peers.set(raw, raw.remoteAddress);
  });
  const peerAddress = (socket: Socket): string => {
    const parent = (socket as Socket & { _parent?: Socket | null })._parent;
    return socket.remoteAddress ?? (parent ? peers.get(parent) : undefined) ?? 'unknown';
  };
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    stats.handshakeFailures += 1;
    const now = Date.now();
    if (now - windowStart >= REJECTION_LOG_WINDOW_MS) {
      windowStart = now;
      windowLogged = 0;
    }
    if (windowLogged >= TLS_HANDSHAKE_LOG_BURST) return;
    windowLogged += 1;
    const quiet = windowLogged === TLS_HANDSHAKE_LOG_BURST ? ' (further handshake failures this minute are only counted)' : '';
    log(`TLS handshake refused from ${peerAddress(socket)}: ${err.code ?? err.message}${quiet}`);
  });

  return {
    reload: (reason) => serial(reason, () => stampOf(files)),
    current: () => current,
    stats,
    stop: () => clearInterval(timer),
  };
}
