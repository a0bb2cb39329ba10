// An HTTP proxy between a store client and a store, to lose answers and to
// throttle the way a network and a busy service do: a request whose answer is
// "lost" still reaches the store and is carried out there.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultProxy = {
  endpoint: string;
  /** The next N requests matching `match` are forwarded, then their connection is cut before the answer. */
  loseAnswers(n: number, match?: (method: string, url: string) => boolean): void;
  /** The next N requests are forwarded and carried out, and their answer is never sent (the client times out). */
  holdAnswers(n: number): void;
  /** The next N requests are answered with this status and body without reaching the store. */
  refuse(n: number, status: number, body: string): void;
  /** Every request as "METHOD url". */
  requests: string[];
  close(): Promise<void>;
};

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  let lose = 0;
  let loseMatch: (m: string, u: string) => boolean = () => true;
  let hold = 0;
  let refuse = { n: 0, status: 503, body: '' };
  const requests: string[] = [];

  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    requests.push(`${method} ${url}`);
    if (refuse.n > 0) {
      refuse.n--;
      req.resume();
      res.writeHead(refuse.status, { 'content-type': 'application/xml' });
      res.end(refuse.body);
      return;
    }
    const cut = lose > 0 && loseMatch(method, url);
    if (cut) lose--;
    const held = !cut && hold > 0;
    if (held) hold--;
    const up = http.request(
      { host: target.hostname, port: target.port, method, path: url, headers: req.headers },
      (upRes) => {
        if (held) {
          upRes.resume();
          return;
        }
        if (cut) {
          upRes.resume();
          upRes.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => req.socket.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    loseAnswers(n, match) {
      lose = n;
      loseMatch = match ?? (() => true);
    },
    holdAnswers(n) {
      hold = n;
    },
    refuse(n, status, body) {
      refuse = { n, status, body };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
