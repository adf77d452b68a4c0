// The MDM vendor identity that signs push certificate requests: its certificate (PEM, DER .cer or a
// .p12 holding the key too), its private key, and the chain up to Apple's root as the admin gives it.
// Refuses anything the portal would: not an MDM vendor certificate, a key that does not match, an
// expired certificate, a chain that does not reach a self-signed root.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { decodePkcs12, Pkcs12Error } from './pkcs12.js';
import { PushCertError } from './cert.js';
import { PORTAL } from './portal-facts.js';

export interface VendorIdentity {
  cert: X509Certificate;
  key: KeyObject;
  /** The issuers from the vendor certificate's up to the self-signed root, in order. */
  chain: X509Certificate[];
}

export interface VendorFiles {
  /** The vendor certificate file's bytes: PEM (certificates, maybe the key), DER, or PKCS#12. */
  cert: Buffer;
  /** The private key file (PEM, maybe encrypted), unless the certificate file holds it. */
  key?: Buffer | null;
  /** The .p12's password, or the encrypted PEM key's passphrase. */
  password?: string;
  /** Further certificate files (PEM or DER): Apple's WWDR intermediate and root. */
  chain?: Buffer[];
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

function x509(data: Buffer | string, what: string): X509Certificate {
  try {
    return new X509Certificate(data);
  } catch {
    throw new PushCertError(`${what} cannot be parsed as a certificate`);
  }
}

function privateKey(data: Buffer | string, password: string | undefined, what: string): KeyObject {
  try {
    return createPrivateKey({ key: data, format: 'pem', passphrase: password ?? '' });
  } catch (err) {
    const encrypted = /ENCRYPTED/.test(String(data));
    throw new PushCertError(encrypted ? `${what} is encrypted and the password does not open it` : `${what} cannot be parsed (${(err as Error).message})`);
  }
}

/** Certificates and keys in one file, whatever its form. */
function readBundle(bytes: Buffer, password: string | undefined, what: string): { certs: X509Certificate[]; keys: KeyObject[] } {
  const text = bytes.toString('latin1');
  if (text.includes('-----BEGIN ')) {
    const certs: X509Certificate[] = [];
    const keys: KeyObject[] = [];
    for (const [block, type] of text.matchAll(PEM_BLOCK)) {
      if (type === 'CERTIFICATE') certs.push(x509(block, what));
      else if (type!.endsWith('PRIVATE KEY')) keys.push(privateKey(block, password, `the private key in ${what}`));
    }
    return { certs, keys };
  }
  try {
    return { certs: [new X509Certificate(bytes)], keys: [] };
  } catch {
    // not a DER certificate: a .p12
  }
  let contents;
  try {
    contents = decodePkcs12(bytes, password ?? '');
  } catch (err) {
    if (err instanceof Pkcs12Error) throw new PushCertError(`cannot read ${what} as PEM, DER or .p12: ${err.message}`);
    throw err;
  }
  const keys = contents.keys.map((der) => {
    try {
      return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } catch {
      throw new PushCertError(`the private key in ${what} cannot be parsed`);
    }
  });
  return { certs: contents.certificates.map((der) => x509(der, what)), keys };
}

function commonName(dn: string): string {
  return /(?:^|\n)CN=([^\n]*)/.exec(dn)?.[1] ?? '';
}

/** Throws unless the certificate is an MDM vendor certificate Apple issued. */
export function checkVendorCertificate(cert: X509Certificate, now = new Date()): void {
  const cn = commonName(cert.subject);
  if (!PORTAL.vendorCommonName.test(cn) || !PORTAL.vendorIssuerCommonName.test(commonName(cert.issuer))) {
    throw new PushCertError(
      `"${cn || cert.subject.replace(/\n/g, ', ')}" (issued by "${commonName(cert.issuer) || cert.issuer.replace(/\n/g, ', ')}") is not an MDM vendor certificate: ` +
        'Apple issues those as "MDM Vendor: <organization>" under its Worldwide Developer Relations CA (an MDM CSR certificate of an ' +
        'Apple Developer Enterprise Program account). Without one, use `updraft pushcert mdmcert-download`',
    );
  }
  if (new Date(cert.validTo).getTime() <= now.getTime()) {
    throw new PushCertError(`the MDM vendor certificate "${cn}" expired on ${new Date(cert.validTo).toISOString()}: the portal refuses requests it signs`);
  }
}

const signedBy = (cert: X509Certificate, issuer: X509Certificate): boolean => cert.checkIssued(issuer) && cert.verify(issuer.publicKey);

/** The path from the vendor certificate to a self-signed root through the given certificates. */
function chainOf(leaf: X509Certificate, pool: X509Certificate[]): X509Certificate[] {
  const chain: X509Certificate[] = [];
  let cur = leaf;
  while (!signedBy(cur, cur)) {
    const next = pool.find((c) => !c.raw.equals(cur.raw) && signedBy(cur, c));
    if (!next || chain.length > 8) {
      throw new PushCertError(
        `the certificate chain stops at "${commonName(cur.issuer) || cur.issuer.replace(/\n/g, ', ')}": the portal needs the whole chain; ` +
          `give Apple's WWDR intermediate and the Apple Root CA with --chain (from ${PORTAL.certificateAuthorityUrl})`,
      );
    }
    chain.push(next);
    cur = next;
  }
  return chain;
}

/** Reads and checks the vendor identity; every problem is a PushCertError saying what to fix. */
export function loadVendorIdentity(files: VendorFiles, now = new Date()): VendorIdentity {
  const bundle = readBundle(files.cert, files.password, 'the vendor certificate file');
  if (bundle.certs.length === 0) throw new PushCertError('the vendor certificate file holds no certificate');
  const keys = [...bundle.keys];
  if (files.key) keys.unshift(privateKey(files.key, files.password, 'the vendor key'));
  if (keys.length === 0) throw new PushCertError("the vendor certificate's private key is missing: give --vendor-key, or a .p12 holding both");
  let cert: X509Certificate | undefined;
  let key: KeyObject | undefined;
  for (const k of keys) {
    cert = bundle.certs.find((c) => c.checkPrivateKey(k));
    if (cert) {
      key = k;
      break;
    }
  }
  if (!cert || !key) throw new PushCertError('the vendor key does not match the vendor certificate');
  checkVendorCertificate(cert, now);
  if (key.asymmetricKeyType !== 'rsa') throw new PushCertError('the vendor key must be RSA: the portal takes RSA signatures only');
  const pool = [...bundle.certs, ...(files.chain ?? []).flatMap((b, i) => readBundle(b, undefined, `chain file ${i + 1}`).certs)];
  return { cert, key, chain: chainOf(cert, pool) };
}
