// Device identity certificates built as DER by hand: the structure is fixed (v3, sha256WithRSA, five
// extensions plus a copied subjectAltName), so only the serial, validity, subject, key and key ids vary.
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import { algorithm, children, content, read, seq, time, tlv, integer } from '../asn1/index.js';

const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const SIG_ALG = algorithm(SHA256_WITH_RSA);
const VERSION_3 = Buffer.from([0xa0, 0x03, 0x02, 0x01, 0x02]);
// basicConstraints critical, cA false (the DEFAULT, so an empty SEQUENCE).
const BASIC_CONSTRAINTS_LEAF = Buffer.from('300c0603551d130101ff04023000', 'hex');
// keyUsage critical: digitalSignature | keyEncipherment.
const KEY_USAGE_SIG_ENC = Buffer.from('300e0603551d0f0101ff0404030205a0', 'hex');
// extKeyUsage: clientAuth.
const EKU_CLIENT_AUTH = Buffer.from('30130603551d25040c300a06082b06010505070302', 'hex');
const SKI_PREFIX = Buffer.from('301d0603551d0e04160414', 'hex');
const AKI_PREFIX = Buffer.from('301f0603551d23041830168014', 'hex');

/** SHA-1 of the subjectPublicKey bits of a SubjectPublicKeyInfo (RFC 5280 §4.2.1.2 method 1). */
export function spkiKeyId(spki: Buffer): Buffer {
  const [, bits] = children(spki, read(spki));
  return createHash('sha1').update(content(spki, bits!).subarray(1)).digest();
}

/** A positive 128-bit serial number (magnitude bytes). */
export function newSerial(): Buffer {
  const s = randomBytes(16);
  s[0] = (s[0]! & 0x7f) | 0x01;
  return s;
}

export interface LeafSpec {
  serial: Buffer;
  subject: Buffer;
  spki: Buffer;
  notBefore: Date;
  notAfter: Date;
  /** Whole DER Extensions copied from the request. */
  extensions: Buffer[];
}

export interface LeafIssuer {
  /** The issuer's subject Name, whole DER. */
  name: Buffer;
  /** The issuer's key identifier (20 bytes: becomes the authorityKeyIdentifier). */
  keyId: Buffer;
  key: KeyObject;
}

/** A signed client-identity certificate (DER). */
export function buildLeaf(spec: LeafSpec, issuer: LeafIssuer): Buffer {
  const ski = spkiKeyId(spec.spki);
  const aki = issuer.keyId.length === 20 ? Buffer.concat([AKI_PREFIX, issuer.keyId]) : seq(tlv(0x06, Buffer.from([0x55, 0x1d, 0x23])), tlv(0x04, seq(tlv(0x80, issuer.keyId))));
  const extensions = tlv(0xa3, seq(BASIC_CONSTRAINTS_LEAF, KEY_USAGE_SIG_ENC, EKU_CLIENT_AUTH, SKI_PREFIX, ski, aki, ...spec.extensions));
  const tbs = seq(VERSION_3, integer(spec.serial), SIG_ALG, issuer.name, seq(time(spec.notBefore), time(spec.notAfter)), spec.subject, spec.spki, extensions);
  const signature = sign('sha256', tbs, issuer.key);
  return seq(tbs, SIG_ALG, tlv(0x03, Buffer.from([0]), signature));
}
