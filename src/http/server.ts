// Binds the Hono app to a Node HTTP server and closes it cleanly.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from '../config/limits.ts';

/** Longest wait for requests in flight when the server closes. */
const CLOSE_DEADLINE_MS = 10_000;
/** How often Node checks the header and request timeouts (its default, 30 s, would double the headers one). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

export type RunningServer = {
  host: string;
  port: number;
  /** Stops accepting connections and waits for open requests to finish. */
  close(): Promise<void>;
};

export function listen(app: Hono<any>, host: string, port: number): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({
      fetch: app.fetch,
      hostname: host,
      port,
      // Node's request timeout answers a bare 408 and closes, so it is set
      // behind the app's own body limits, which answer in the OTLP shape.
      serverOptions: {
        headersTimeout: HEADERS_TIMEOUT_MS,
        requestTimeout: REQUEST_TIMEOUT_MS,
        connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
      },
      // The app drains unread bodies itself, within its own bounds (drain.ts).
      autoCleanupIncoming: false,
    }) as Server;
    server.keepAliveTimeout = 65_000;
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const addr = server.address() as AddressInfo;
      resolve({
        host: addr.address,
        port: addr.port,
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
