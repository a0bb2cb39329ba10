// Raw TLS client probes: which certificate a new connection is shown, and
// how a handshake with given versions ends.
import tls from 'node:tls';

export type Handshake = { ok: true; serial: string; protocol: string | null } | { ok: false; code: string };

export function handshake(port: number, opts: tls.ConnectionOptions = {}): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...opts });
    socket.once('secureConnect', () => {
      const result: Handshake = { ok: true, serial: socket.getPeerCertificate().serialNumber, protocol: socket.getProtocol() };
      socket.end();
      resolve(result);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      socket.destroy();
      resolve({ ok: false, code: e.code ?? e.message });
    });
  });
}

/** The serial a new connection sees, once it is `serial`; throws with the last one seen after `ms`. */
export async function waitForSerial(port: number, ca: string, serial: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last: Handshake | undefined;
  while (Date.now() < deadline) {
    last = await handshake(port, { ca });
    if (last.ok && last.serial === serial) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server still shows ${JSON.stringify(last)}, expected serial ${serial}`);
}
