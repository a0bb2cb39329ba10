// The server's certificate and key: read from files, checked as a pair, and
// turned into the options an HTTPS server (or its next secure context) takes.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { SecureContextOptions } from 'node:tls';

/** TLS 1.0 and 1.1 are broken or deprecated (RFC 8996); set explicitly so a lowered Node default cannot widen it. */
export const TLS_MIN_VERSION = 'TLSv1.2' as const;

export type TlsFiles = { certFile: string; keyFile: string };

export type TlsMaterial = {
  /** Options for https.createServer and server.setSecureContext. */
  context: SecureContextOptions & { minVersion: typeof TLS_MIN_VERSION };
  /** The leaf certificate, for log lines (subject, serial, expiry). */
  leaf: X509Certificate;
};

/** A problem with the certificate files, worded for the operator; never carries key bytes. */
export class TlsFileError extends Error {}

async function readPem(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${code ?? (e as Error).message})`;
    throw new TlsFileError(`${what} ${file} ${why}`);
  }
}

/**
 * Reads both files and checks that the key belongs to the certificate, so a
 * pair caught half-replaced is refused as a whole rather than half-used.
 */
export async function loadTlsMaterial(files: TlsFiles): Promise<TlsMaterial> {
  const [cert, key] = await Promise.all([readPem(files.certFile, 'TLS certificate'), readPem(files.keyFile, 'TLS key')]);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch {
    throw new TlsFileError(`TLS certificate ${files.certFile} holds no PEM certificate`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    // The parser's message is kept out: it could quote part of the key.
    throw new TlsFileError(`TLS key ${files.keyFile} holds no unencrypted PEM private key`);
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new TlsFileError(`TLS key ${files.keyFile} does not match the certificate ${files.certFile} (${describeCertificate(leaf)})`);
  }
  return { context: { cert, key, minVersion: TLS_MIN_VERSION }, leaf };
}

/** Subject, serial and expiry: enough to tell which certificate is being served. */
export function describeCertificate(leaf: X509Certificate): string {
  return `subject ${leaf.subject.replace(/\n/g, ', ')} serial ${leaf.serialNumber} valid until ${new Date(leaf.validTo).toISOString()}`;
}
