// gRPC framing by hand over node:http2, for what a well-behaved client library
// will not send: pre-compressed bombs, lying compressed flags, random frames.
import http2 from 'node:http2';

export type H2Answer = { status: number | undefined; grpcStatus: number | undefined; grpcMessage: string; error?: string };

/** One gRPC message frame: compressed flag, big-endian length, payload. */
export function frame(payload: Uint8Array, compressed = false, declaredLength = payload.length): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(compressed ? 1 : 0, 0);
  head.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([head, payload]);
}

export function h2Call(target: string, path: string, body: Buffer, headers: Record<string, string> = {}, timeoutMs = 20_000): Promise<H2Answer> {
  return new Promise((resolve) => {
    const session = http2.connect(`http://${target}`);
    let done = false;
    const finish = (a: H2Answer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      session.close();
      resolve(a);
    };
    const timer = setTimeout(() => finish({ status: undefined, grpcStatus: undefined, grpcMessage: '', error: 'timeout' }), timeoutMs);
    session.on('error', (e) => finish({ status: undefined, grpcStatus: undefined, grpcMessage: '', error: e.message }));
    const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...headers });
    let status: number | undefined;
    let grpcStatus: number | undefined;
    let grpcMessage = '';
    const take = (h: http2.IncomingHttpHeaders) => {
      if (h['grpc-status'] !== undefined) grpcStatus = Number(h['grpc-status']);
      if (typeof h['grpc-message'] === 'string') grpcMessage = decodeURIComponent(h['grpc-message']);
    };
    req.on('response', (h) => {
      status = Number(h[':status']);
      take(h);
    });
    req.on('trailers', take);
    req.on('data', () => {});
    req.on('error', (e) => finish({ status, grpcStatus, grpcMessage, error: e.message }));
    req.on('close', () => finish({ status, grpcStatus, grpcMessage }));
    req.end(body);
  });
}
