// How a request reached the server, for checks that depend on it (a bearer
// token sent in the clear from another machine deserves a warning).
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** Whether this request arrived over TLS: its socket is a TLS socket (serve --tls-cert/--tls-key). */
export function arrivedOverTls(incoming: IncomingMessage | undefined): boolean {
  return (incoming?.socket as TLSSocket | undefined)?.encrypted === true;
}
