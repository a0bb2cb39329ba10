// TLS for the gRPC listener from the same certificate pair as HTTPS. grpc-js
// takes its key pair from a certificate provider and re-applies it to the
// listening server whenever the provider reports a new one, so a reload of
// the pair (SIGHUP or changed files, see http/tls-reload.ts) reaches new gRPC
// connections without a restart, like it does for HTTPS.
import { experimental, type ServerCredentials } from '@grpc/grpc-js';
import type { TlsMaterial } from '../http/tls.ts';

type IdentityUpdate = experimental.IdentityCertificateUpdate;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

const toBuffer = (v: unknown): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(String(v)));

/** A certificate provider holding the pair in service; update() swaps it. */
export class ReloadableIdentity implements experimental.CertificateProvider {
  private latest: IdentityUpdate;
  private readonly listeners = new Set<IdentityListener>();

  constructor(initial: TlsMaterial) {
    this.latest = ReloadableIdentity.of(initial);
  }

  private static of(m: TlsMaterial): IdentityUpdate {
    return { certificate: toBuffer(m.context.cert), privateKey: toBuffer(m.context.key) };
  }

  update(m: TlsMaterial): void {
    this.latest = ReloadableIdentity.of(m);
    for (const l of this.listeners) l(this.latest);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.listeners.add(listener);
    // Delivered on the next microtask: grpc-js asks for the pair before it
    // registers the server that should receive it, so a synchronous answer
    // would be lost and every connection dropped as having no certificate.
    queueMicrotask(() => {
      if (this.listeners.has(listener)) listener(this.latest);
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.listeners.delete(listener);
  }

  // No client certificates are asked for: callers authenticate with tokens.
  addCaCertificateListener(): void {}
  removeCaCertificateListener(): void {}
}

export function tlsCredentials(identity: ReloadableIdentity): ServerCredentials {
  // grpc-js' exported function names its parameters the other way round; its class takes the identity provider first.
  return experimental.createCertificateProviderServerCredentials(identity, null, false);
}
