// The push certificate request Apple's portal takes: the push CSR signed by an MDM vendor, as a
// base64 XML plist (PushCertRequestCSR, PushCertCertificateChain, PushCertSignature). Built here for
// `updraft pushcert request --vendor-cert`, and read back to check what mdmcert.download returned.
import { X509Certificate, sign, verify } from 'node:crypto';
import { buildPlist, parsePlist, type PlistValue } from '../plist/index.js';
import { parseCsr, CsrError } from '../pki/csr.js';
import { PushCertError } from './cert.js';
import { PORTAL, type RequestDigest } from './portal-facts.js';
import type { VendorIdentity } from './vendor.js';

export interface PortalRequest {
  /** The push CSR, DER. */
  csr: Buffer;
  /** The vendor certificate first, then its issuers up to Apple's root. */
  chain: X509Certificate[];
  signature: Buffer;
  /** The digest the signature verifies with. */
  digest: RequestDigest;
}

/** PEM with 64-character lines, as the portal requires of every certificate in the chain. */
const pem = (c: X509Certificate): string =>
  `-----BEGIN CERTIFICATE-----\n${c.raw.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;

/** Signs the CSR with the vendor key and returns the text to upload at the portal (base64 of the plist). */
export function signPushRequest(csrDer: Buffer, vendor: VendorIdentity, digest: RequestDigest = 'sha256'): string {
  const signature = sign(digest, csrDer, vendor.key);
  const [csrKey, chainKey, signatureKey] = PORTAL.requestKeys;
  const plist = buildPlist({
    [csrKey]: csrDer.toString('base64'),
    [chainKey]: [vendor.cert, ...vendor.chain].map(pem).join(''),
    [signatureKey]: signature.toString('base64'),
  });
  return Buffer.from(plist, 'utf8').toString('base64');
}

function garbled(why: string): PushCertError {
  return new PushCertError(`not a push certificate request: ${why}`);
}

/** Reads a request (base64 plist text), checks its keys, its CSR and that the vendor's signature verifies. */
export function readPushRequest(text: string): PortalRequest {
  const b64 = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+=*$/.test(b64)) throw garbled('it is not base64 text');
  let dict: PlistValue;
  try {
    dict = parsePlist(Buffer.from(b64, 'base64'));
  } catch (err) {
    throw garbled(`the base64 does not hold a plist (${(err as Error).message})`);
  }
  if (typeof dict !== 'object' || dict === null || Array.isArray(dict) || Buffer.isBuffer(dict) || dict instanceof Date) throw garbled('the plist is not a dictionary');
  const keys = Object.keys(dict).sort();
  if (keys.join() !== [...PORTAL.requestKeys].sort().join()) throw garbled(`its keys are ${keys.join(', ') || 'none'}, not ${PORTAL.requestKeys.join(', ')}`);
  const [csrKey, chainKey, signatureKey] = PORTAL.requestKeys.map((k) => (dict as Record<string, PlistValue>)[k]);
  if (typeof csrKey !== 'string' || typeof chainKey !== 'string' || typeof signatureKey !== 'string') throw garbled('its values are not strings');
  const csr = Buffer.from(csrKey, 'base64');
  try {
    parseCsr(csr);
  } catch (err) {
    if (err instanceof CsrError) throw garbled(`its CSR is unreadable (${err.message})`);
    throw err;
  }
  const chain = (chainKey.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((block) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw garbled('a certificate of its chain cannot be parsed');
    }
  });
  if (chain.length === 0) throw garbled('its certificate chain is empty');
  const signature = Buffer.from(signatureKey, 'base64');
  const digest = PORTAL.digests.find((d) => verify(d, csr, chain[0]!.publicKey, signature));
  if (!digest) throw garbled("its signature does not verify with the chain's first certificate");
  return { csr, chain, signature, digest };
}

/** The SubjectPublicKeyInfo (DER) a request's CSR carries, to match it to a push key. */
export function requestSpki(req: PortalRequest): Buffer {
  return parseCsr(req.csr).spki;
}
