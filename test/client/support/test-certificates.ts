import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** A test certificate authority, a server certificate for `localhost` / 127.0.0.1 and a client certificate, as PEM files. */
export interface TestCertificates {
  folder: string;
  caCertPath: string;
  serverCertPath: string;
  serverKeyPath: string;
  clientCertPath: string;
  clientKeyPath: string;
  /** A client certificate from another CA: the proxy must refuse it. */
  strangerCertPath: string;
  strangerKeyPath: string;
}

function openssl(folder: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: folder, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const detail = (error as { stderr?: Buffer }).stderr?.toString() ?? (error as Error).message;
    throw new Error(`openssl ${args[0]} failed (the TLS tests need the openssl CLI on the PATH): ${detail}`);
  }
}

/** An EC P-256 key and a certificate signed by `issuer` (or self-signed), valid for a day. */
function issue(
  folder: string,
  name: string,
  subject: string,
  issuer: { cert: string; key: string } | undefined,
  extensions: string,
): void {
  openssl(folder, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`]);
  fs.writeFileSync(path.join(folder, `${name}.ext`), extensions);
  if (issuer === undefined) {
    openssl(folder, [
      'req',
      '-x509',
      '-new',
      '-key',
      `${name}.key`,
      '-subj',
      subject,
      '-days',
      '1',
      '-extensions',
      'v3',
      '-config',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    ]);
    return;
  }
  openssl(folder, [
    'req',
    '-new',
    '-key',
    `${name}.key`,
    '-subj',
    subject,
    '-config',
    `${name}.ext`,
    '-out',
    `${name}.csr`,
  ]);
  openssl(folder, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    issuer.cert,
    '-CAkey',
    issuer.key,
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    `${name}.ext`,
    '-extensions',
    'v3',
    '-out',
    `${name}.pem`,
  ]);
}

const AUTHORITY = `[req]\ndistinguished_name = dn\n[dn]\n[v3]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n`;
const SERVER = `[req]\ndistinguished_name = dn\n[dn]\n[v3]\nbasicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = serverAuth\nsubjectAltName = DNS:localhost, IP:127.0.0.1\n`;
const CLIENT = `[req]\ndistinguished_name = dn\n[dn]\n[v3]\nbasicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = clientAuth\n`;

/** Generates the certificates with the openssl CLI into a fresh folder under `parent`. */
export function generateTestCertificates(parent: string): TestCertificates {
  const folder = fs.mkdtempSync(path.join(parent, 'certificates-'));
  issue(folder, 'ca', '/CN=Chassis test CA', undefined, AUTHORITY);
  issue(folder, 'server', '/CN=localhost', { cert: 'ca.pem', key: 'ca.key' }, SERVER);
  issue(folder, 'client', '/CN=chassis-worker', { cert: 'ca.pem', key: 'ca.key' }, CLIENT);
  issue(folder, 'stranger-ca', '/CN=Another CA', undefined, AUTHORITY);
  issue(folder, 'stranger', '/CN=stranger', { cert: 'stranger-ca.pem', key: 'stranger-ca.key' }, CLIENT);
  const file = (name: string) => path.join(folder, name);
  return {
    folder,
    caCertPath: file('ca.pem'),
    serverCertPath: file('server.pem'),
    serverKeyPath: file('server.key'),
    clientCertPath: file('client.pem'),
    clientKeyPath: file('client.key'),
    strangerCertPath: file('stranger.pem'),
    strangerKeyPath: file('stranger.key'),
  };
}
