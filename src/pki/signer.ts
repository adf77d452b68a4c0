// The identity that signs enrollment profiles: given as PEM files (e.g. a certificate from a public CA,
// which devices show as verified), or made once by our CA and kept in the data dir.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { simpleName } from './certificate.js';
import { spkiOf, type CA } from './ca.js';
import { asn1X509 } from './peculiar.js';
import { certPem, keyPem, readCertificates, readPrivateKey, writeSecret } from './pem.js';

export const SIGNER_CERT_FILE = 'profile-signer.pem';
export const SIGNER_KEY_FILE = 'profile-signer.key';
const SIGNER_VALIDITY_DAYS = 3650;

export interface SigningIdentity {
  cert: Buffer;
  /** Intermediate and root certificates to carry in the signature. */
  chain: Buffer[];
  key: KeyObject;
}

export interface SignerFiles {
  certFile?: string | null;
  keyFile?: string | null;
}

export function loadOrCreateSigner(dataDir: string, ca: CA, files: SignerFiles = {}): SigningIdentity {
  if (files.certFile || files.keyFile) {
    if (!files.certFile || !files.keyFile) throw new Error('a profile signing identity needs both its certificate and its key');
    const [cert, ...chain] = readCertificates(files.certFile);
    return { cert, chain, key: readPrivateKey(files.keyFile) };
  }
  const certFile = join(dataDir, SIGNER_CERT_FILE);
  const keyFile = join(dataDir, SIGNER_KEY_FILE);
  if (existsSync(certFile) && existsSync(keyFile)) return { cert: readCertificates(certFile)[0], chain: [ca.certDer], key: readPrivateKey(keyFile) };
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const at = new Date();
  const cert = ca.certify({
    subject: simpleName([
      ['2.5.4.10', 'Updraft'],
      ['2.5.4.3', 'Updraft Profile Signing'],
    ]),
    publicKey: spkiOf(publicKey),
    notBefore: at,
    notAfter: new Date(at.getTime() + SIGNER_VALIDITY_DAYS * 86_400_000),
    isCA: false,
    keyUsage: asn1X509().KeyUsageFlags.digitalSignature,
  });
  writeSecret(keyFile, keyPem(privateKey));
  writeSecret(certFile, certPem(cert));
  return { cert, chain: [ca.certDer], key: privateKey };
}
