// A push certificate from a .p12 file, apart from cert.ts so the PKCS#12 reader (asn1js, ~0.8 MB of
// heap) is loaded when a .p12 is imported, not by every server.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { pushCertificateFor, PushCertError, x509, type PushCertificate } from './cert.js';
import { decodePkcs12, Pkcs12Error } from './pkcs12.js';

/** Parse a .p12 (PKCS#12) file, modern (AES) or legacy (3DES/RC2, as Keychain exports). */
export function parsePushCertP12(der: Buffer, password: string, now = new Date()): PushCertificate {
  let contents;
  try {
    contents = decodePkcs12(der, password);
  } catch (err) {
    if (err instanceof Pkcs12Error) throw new PushCertError(`cannot read the .p12 file: ${err.message}`);
    throw err;
  }
  if (contents.keys.length === 0) throw new PushCertError('the .p12 file holds no private key');
  if (contents.certificates.length === 0) throw new PushCertError('the .p12 file holds no certificate');
  const certs = contents.certificates.map((der) => x509(der));
  for (const der of contents.keys) {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } catch {
      throw new PushCertError('the private key in the .p12 file cannot be parsed');
    }
    if (certs.some((c) => c.checkPrivateKey(key))) return pushCertificateFor(certs, key, now);
  }
  throw new PushCertError('the private key does not match the certificate');
}
