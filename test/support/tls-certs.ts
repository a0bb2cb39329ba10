// Test certificates made with the system's openssl: a private CA and server
// certificates it signs for 127.0.0.1 and localhost, each with a chosen serial
// and common name so a test can tell which one a server presents.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const OPENSSL = '/usr/bin/openssl';
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export type ServerCert = { certFile: string; keyFile: string; cert: string; key: string; serial: string; commonName: string };

export type TestCa = {
  dir: string;
  caFile: string;
  ca: string;
  /** A server certificate for 127.0.0.1/localhost; `serial` is hex (openssl's and Node's spelling, upper case). */
  issue(name: string, serial: string): ServerCert;
  remove(): void;
};

function openssl(args: string[], cwd: string): void {
  execFileSync(OPENSSL, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeTestCa(): TestCa {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'otlp2delta-tls-'));
  openssl(['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=otlp2delta test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  const caFile = path.join(dir, 'ca.crt');
  return {
    dir,
    caFile,
    ca: readFileSync(caFile, 'utf8'),
    issue(name, serial) {
      const keyFile = path.join(dir, `${name}.key`);
      const certFile = path.join(dir, `${name}.crt`);
      openssl(['req', ...EC, '-keyout', keyFile, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
      openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', `0x${serial}`,
        '-days', '2', '-extfile', 'server.ext', '-out', certFile], dir);
      return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), serial: serial.toUpperCase(), commonName: name };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
