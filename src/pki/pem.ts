// PEM files: certificates (one or several per file), private keys, and writing secrets 0600.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate in a PEM text, as DER. */
export function pemCertificates(text: string): Buffer[] {
  return (text.match(CERT_BLOCK) ?? []).map((block) => new X509Certificate(block).raw);
}

export function readCertificates(file: string): Buffer[] {
  const certs = pemCertificates(readFileSync(file, 'utf8'));
  if (certs.length === 0) throw new Error(`${file} holds no PEM certificate`);
  return certs;
}

/** A private key from a PEM file (PKCS#1, PKCS#8 or SEC1), decrypting with the passphrase if it is encrypted. */
export function readPrivateKey(file: string, passphrase = ''): KeyObject {
  return createPrivateKey({ key: readFileSync(file, 'utf8'), format: 'pem', passphrase });
}

export const certPem = (der: Buffer): string =>
  `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;

export const keyPem = (key: KeyObject): string => key.export({ format: 'pem', type: 'pkcs8' }).toString();

/** Writes a file readable by the owner only. */
export function writeSecret(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
}
