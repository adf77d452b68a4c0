// Public keys from SubjectPublicKeyInfo DER. OpenSSL 3 decodes an SPKI through its generic decoder
// framework: ~100 µs for an RSA-2048 key on the build machine (more under contention), against ~6 µs
// for the same key as a PKCS#1 RSAPublicKey. Every SCEP PKIOperation reads its signer's key, so an RSA
// SPKI (rsaEncryption, the only layout it takes) is unwrapped here and the RSAPublicKey handed over;
// anything else, or anything this reading does not recognise, goes to OpenSSL as an SPKI.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { children, content, read, readOid } from '../asn1/index.js';
import { OID } from './oids.js';

/** The RSAPublicKey inside an rsaEncryption SPKI that is exactly one DER element, else null. */
function rsaPublicKeyOf(spki: Buffer): Buffer | null {
  try {
    const outer = read(spki);
    if (outer.tag !== 0x30 || outer.next !== spki.length) return null;
    const [alg, bits, extra] = children(spki, outer);
    if (!alg || alg.tag !== 0x30 || !bits || bits.tag !== 0x03 || extra) return null;
    const [oid, params, more] = children(spki, alg);
    if (readOid(spki, oid) !== OID.rsaEncryption || more || (params && (params.tag !== 0x05 || params.end !== params.start))) return null;
    const b = content(spki, bits);
    return b.length > 1 && b[0] === 0 ? b.subarray(1) : null;
  } catch {
    return null;
  }
}

/** The public key of an SPKI (DER); throws as createPublicKey does for one it cannot read. */
export function publicKeyFromSpki(spki: Buffer): KeyObject {
  const rsa = rsaPublicKeyOf(spki);
  if (rsa) {
    try {
      return createPublicKey({ key: rsa, format: 'der', type: 'pkcs1' });
    } catch {
      // not a valid RSAPublicKey: OpenSSL reads the whole SPKI and reports why
    }
  }
  return createPublicKey({ key: spki, format: 'der', type: 'spki' });
}
