// Raw TCP clients for the HTTP tests: uploads that stop, bodies larger than
// announced, and the bytes of the answer exactly as the server wrote them.
import net from 'node:net';

export type RawAnswer = { status: number; headers: Record<string, string>; body: Buffer };

export type RawConnection = {
  socket: net.Socket;
  /** Everything the server has sent so far. */
  received(): Buffer;
  /** Resolves when the server has ended or reset the connection. */
  closed: Promise<{ at: number; error?: string }>;
  /** The first complete answer on the connection (Content-Length framed). */
  answer(timeoutMs?: number): Promise<RawAnswer>;
  write(data: Buffer | string): Promise<void>;
};

/** Parses the answers in `bytes`, in order; a partial one at the end is left out. */
export function parseAnswers(bytes: Buffer): RawAnswer[] {
  const out: RawAnswer[] = [];
  let at = 0;
  for (;;) {
    const end = bytes.indexOf('\r\n\r\n', at);
    if (end < 0) return out;
    const [statusLine, ...lines] = bytes.subarray(at, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (bytes.length < end + 4 + length) return out;
    out.push({ status: Number(statusLine!.split(' ')[1]), headers, body: bytes.subarray(end + 4, end + 4 + length) });
    at = end + 4 + length;
  }
}

export function connect(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    const parts: Buffer[] = [];
    const waiters: (() => void)[] = [];
    socket.on('data', (b: Buffer) => {
      parts.push(b);
      for (const w of waiters.splice(0)) w();
    });
    const closed = new Promise<{ at: number; error?: string }>((res) => {
      let error: string | undefined;
      socket.on('error', (e) => (error = e.message));
      socket.on('close', () => {
        res({ at: Date.now(), ...(error ? { error } : {}) });
        for (const w of waiters.splice(0)) w();
      });
    });
    const received = () => Buffer.concat(parts);
    const conn: RawConnection = {
      socket,
      received,
      closed,
      answer: (timeoutMs = 30_000) =>
        new Promise((res, rej) => {
          const deadline = setTimeout(() => rej(new Error(`no answer within ${timeoutMs} ms; got ${JSON.stringify(received().toString('latin1').slice(0, 200))}`)), timeoutMs);
          const check = () => {
            const [first] = parseAnswers(received());
            if (first) {
              clearTimeout(deadline);
              res(first);
            } else if (socket.destroyed) {
              clearTimeout(deadline);
              rej(new Error(`connection closed without an answer; got ${JSON.stringify(received().toString('latin1').slice(0, 200))}`));
            } else waiters.push(check);
          };
          check();
        }),
      write: (data) =>
        new Promise((res, rej) => {
          socket.write(data, (e) => (e ? rej(e) : res()));
        }),
    };
    socket.once('connect', () => resolve(conn));
    socket.once('error', reject);
  });
}

/** The head of a POST with the given headers (Host and Connection are added). */
export function postHead(path: string, headers: Record<string, string | number>): string {
  const lines = [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join('\r\n')}\r\n\r\n`;
}
