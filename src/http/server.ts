// Binds the Hono app to a Node HTTP or HTTPS server and closes it cleanly.
import type { Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS, TLS_HANDSHAKE_TIMEOUT_MS } from '../config/limits.ts';

/** Longest wait for requests in flight when the server closes. */
const CLOSE_DEADLINE_MS = 10_000;
/** How often Node checks the header and request timeouts (its default, 30 s, would double the headers one). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

export type RunningServer = {
  host: string;
  port: number;
  /** Whether connections are TLS (serve --tls-cert/--tls-key). */
  secure: boolean;
  /** The HTTPS server, for swapping its certificate; absent for plain HTTP. */
  tlsServer?: HttpsServer;
  /** Stops accepting connections and waits for open requests to finish. */
  close(): Promise<void>;
};

/** `tls`: certificate, key and minimum version; the server speaks HTTPS only with it. */
export function listen(app: Hono<any>, host: string, port: number, tls?: SecureContextOptions): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    // Node's request timeout answers a bare 408 and closes, so it is set
    // behind the app's own body limits, which answer in the OTLP shape.
    const timeouts = {
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    };
    // The app drains unread bodies itself, within its own bounds (drain.ts).
    const common = { fetch: app.fetch, hostname: host, port, autoCleanupIncoming: false };
    const server = (tls
      ? serve({ ...common, createServer: createHttpsServer, serverOptions: { ...timeouts, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS, ...tls } })
      : serve({ ...common, serverOptions: timeouts })) as Server;
    server.keepAliveTimeout = 65_000;
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const addr = server.address() as AddressInfo;
      resolve({
        host: addr.address,
        port: addr.port,
        secure: tls !== undefined,
        ...(tls ? { tlsServer: server as unknown as HttpsServer } : {}),
        close: () =>
          new Promise<void>((res) => {
            // Keep-alive sockets would hold close() open until they time out:
            // close them as soon as they are idle, and all of them at the deadline.
            const idle = setInterval(() => server.closeIdleConnections(), 50);
            const hard = setTimeout(() => server.closeAllConnections(), CLOSE_DEADLINE_MS);
            server.close(() => {
              clearInterval(idle);
              clearTimeout(hard);
              res();
            });
            server.closeIdleConnections();
          }),
      });
    });
  });
}
