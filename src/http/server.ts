// Binds the Hono app to a Node HTTP server and closes it cleanly.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

/** Longest wait for requests in flight when the server closes. */
const CLOSE_DEADLINE_MS = 10_000;

export type RunningServer = {
  host: string;
  port: number;
  /** Stops accepting connections and waits for open requests to finish. */
  close(): Promise<void>;
};

export function listen(app: Hono<any>, host: string, port: number): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }) as Server;
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
