// CMS SignedData (RFC 5652 §5): parse and verify. The message is walked once with the DER reader
// (no object model), keeping byte offsets so the signature is checked over the exact encoding of the
// signed attributes. One parser serves the Mdm-Signature fast path (identity/), SCEP requests and
// signed profiles. Cryptography is node:crypto.
import { createHash, verify, type KeyObject } from 'node:crypto';
import { Asn1Error, algorithmOid, children, content, expect, indefinite, octetBytes, read, readOid, whole, type Tlv } from '../../asn1/index.js';
import { DIGESTS, OID, SIGNATURE_ALGORITHMS, type HashName, type KeyKind } from '../oids.js';
import { CmsError } from './error.js';

export interface SignerInfo {
  /** The signer's certificate (DER) from the message's certificates, or null when it is not there. */
  certDer: Buffer | null;
  digestOid: string;
  signatureOid: string;
  /** The signed attributes as the signature covers them (re-tagged as a SET); null when absent. */
  signedAttrs: Buffer | null;
  /** Each signed attribute's first value (whole DER), by OID. */
  attributes: Map<string, Buffer>;
  signature: Buffer;
}

export interface SignedMessage {
  /** The encapsulated content, or null when detached. */
  content: Buffer | null;
  /** The certificates carried (DER). */
  certs: Buffer[];
  signers: SignerInfo[];
}

/**
 * Parses a ContentInfo holding a SignedData; throws Asn1Error or CmsError('malformed').
 * Bytes after the ContentInfo are refused unless `allowTrailing` (files written by some tools are padded).
 */
export function parseSignedData(input: Uint8Array, allowTrailing = false): SignedMessage {
  const der = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const ci = expect(read(der), 0x30, 'ContentInfo');
  if (ci.next !== der.length && !allowTrailing) throw new Asn1Error('trailing bytes after ContentInfo');
  const [type, wrapped] = children(der, ci);
  if (readOid(der, type) !== OID.signedData) throw new CmsError('malformed', 'not a CMS SignedData');
  const sd = children(der, expect(children(der, expect(wrapped, 0xa0, 'SignedData content'))[0], 0x30, 'SignedData'));
  expect(sd[1], 0x31, 'digestAlgorithms');
  const encap = children(der, expect(sd[2], 0x30, 'encapContentInfo'));
  const eContentType = whole(der, expect(encap[0], 0x06, 'eContentType'));
  let body: Buffer | null = null;
  if (encap[1]) {
    const e = children(der, expect(encap[1], 0xa0, 'eContent'))[0];
    if (!e || (e.tag & 0xdf) !== 0x04) throw new CmsError('malformed', 'content is not an OCTET STRING');
    body = octetBytes(der, e);
  }
  let i = 3;
  const certs: Tlv[] = [];
  if (sd[i]?.tag === 0xa0) for (const c of children(der, sd[i++]!)) if (c.tag === 0x30) certs.push(c);
  if (sd[i]?.tag === 0xa1) i++; // crls
  const signers = children(der, expect(sd[i], 0x31, 'signerInfos')).map((s) => signerInfo(der, s, certs, eContentType));
  return { content: body, certs: certs.map((c) => whole(der, c)), signers };
}

function signerInfo(der: Buffer, t: Tlv, certs: Tlv[], eContentType: Buffer): SignerInfo {
  const f = children(der, expect(t, 0x30, 'SignerInfo'));
  expect(f[0], 0x02, 'SignerInfo version');
  const sid = f[1];
  const digestOid = algorithmOid(der, f[2]);
  let i = 3;
  const attrs = f[i]?.tag === 0xa0 ? f[i++]! : null;
  const signatureOid = algorithmOid(der, f[i]);
  const signature = content(der, expect(f[i + 1], 0x04, 'signature'));
  let signedAttrs: Buffer | null = null;
  const attributes = new Map<string, Buffer>();
  if (attrs) {
    if (indefinite(attrs) || der[attrs.at + 1] === 0x80) throw new CmsError('malformed', 'signed attributes are not DER-encoded');
    for (const a of children(der, attrs)) {
      const [type, values] = children(der, expect(a, 0x30, 'attribute'));
      const name = readOid(der, type);
      if (attributes.has(name)) throw new CmsError('malformed', `signed attribute ${name} appears twice`);
      const first = children(der, expect(values, 0x31, 'attribute values'))[0];
      if (!first) throw new CmsError('malformed', `signed attribute ${name} has no value`);
      attributes.set(name, whole(der, first));
    }
    const ct = attributes.get(OID.contentType);
    if (ct && !ct.equals(eContentType)) throw new CmsError('malformed', 'contentType attribute does not match the signed content type');
    signedAttrs = Buffer.from(whole(der, attrs));
    signedAttrs[0] = 0x31; // [0] IMPLICIT → SET OF, as signed (RFC 5652 §5.4)
  }
  return { certDer: findSignerCert(der, certs, sid), digestOid, signatureOid, signedAttrs, attributes, signature };
}

/** The certificate named by the SignerIdentifier (issuerAndSerialNumber or subjectKeyIdentifier). */
function findSignerCert(der: Buffer, certs: Tlv[], sid: Tlv | undefined): Buffer | null {
  if (sid?.tag === 0x30) {
    const [issuer, serial] = children(der, sid);
    if (!issuer || !serial) throw new Asn1Error('malformed issuerAndSerialNumber');
    const wantIssuer = whole(der, issuer);
    const wantSerial = serialKey(content(der, serial));
    for (const cert of certs) {
      const tbs = tbsFields(der, cert);
      const at = tbs[0]?.tag === 0xa0 ? 1 : 0;
      const s = tbs[at];
      const iss = tbs[at + 2];
      if (s && iss && whole(der, iss).equals(wantIssuer) && serialKey(content(der, s)) === wantSerial) return whole(der, cert);
    }
    return null;
  }
  if (sid?.tag === 0x80) {
    const want = content(der, sid);
    for (const cert of certs) if (subjectKeyIdentifier(der, cert)?.equals(want)) return whole(der, cert);
    return null;
  }
  throw new Asn1Error('malformed SignerIdentifier');
}

/** Serial bytes without leading zero padding, for comparisons. */
const serialKey = (serial: Buffer): string => serial.toString('hex').replace(/^(00)+/, '');

const tbsFields = (der: Buffer, cert: Tlv): Tlv[] => children(der, expect(children(der, cert)[0], 0x30, 'TBSCertificate'));

function subjectKeyIdentifier(der: Buffer, cert: Tlv): Buffer | null {
  const exts = tbsFields(der, cert).find((t) => t.tag === 0xa3);
  if (!exts) return null;
  for (const ext of children(der, expect(children(der, exts)[0], 0x30, 'Extensions'))) {
    const fields = children(der, ext);
    if (readOid(der, fields[0]) !== OID.subjectKeyIdentifier) continue;
    const value = content(der, expect(fields[fields.length - 1], 0x04, 'extnValue'));
    return content(value, expect(read(value), 0x04, 'SubjectKeyIdentifier'));
  }
  return null;
}

/** The signer's single signer, or CmsError('malformed'). */
export function onlySigner(msg: SignedMessage): SignerInfo {
  if (msg.signers.length !== 1) throw new CmsError('malformed', `expected exactly one signer, found ${msg.signers.length}`);
  return msg.signers[0]!;
}

/** The digest and the key type a signer used; CmsError('badAlg') for ones not accepted or inconsistent. */
export function signerAlgorithms(si: SignerInfo): { hash: HashName; keyKind: KeyKind } {
  const hash = DIGESTS[si.digestOid];
  if (!hash) throw new CmsError('badAlg', `unsupported digest algorithm ${si.digestOid}`);
  const spec = SIGNATURE_ALGORITHMS[si.signatureOid];
  if (!spec) throw new CmsError('badAlg', `unsupported signature algorithm ${si.signatureOid}`);
  if (spec.hash && spec.hash !== hash) throw new CmsError('badAlg', `signature algorithm hash ${spec.hash} differs from digest algorithm ${hash}`);
  return { hash, keyKind: spec.key };
}

/** The messageDigest attribute's value, or null when it is absent or not an OCTET STRING. */
export function messageDigest(si: SignerInfo): Buffer | null {
  const v = si.attributes.get(OID.messageDigest);
  if (!v) return null;
  const t = read(v);
  return t.tag === 0x04 ? content(v, t) : null;
}

/**
 * Checks a signer over the content with the given public key: the messageDigest attribute (when there
 * are signed attributes) and the signature. Says nothing about whom the key belongs to.
 * Throws CmsError: badAlg, or badSignature with 'digest' or 'signature' in the message.
 */
export function verifySigner(si: SignerInfo, body: Buffer, key: KeyObject): { hash: HashName; keyKind: KeyKind } {
  const algs = signerAlgorithms(si);
  let signed = body;
  if (si.signedAttrs) {
    const md = messageDigest(si);
    if (!md) throw new CmsError('malformed', 'signed attributes lack a messageDigest');
    if (!md.equals(createHash(algs.hash).update(body).digest())) throw new CmsError('badSignature', 'message digest does not match the content');
    signed = si.signedAttrs;
  }
  let ok: boolean;
  try {
    ok = verify(algs.hash, signed, key, si.signature);
  } catch {
    ok = false; // e.g. an ECDSA signature that is not a valid DER (r, s)
  }
  if (!ok) throw new CmsError('badSignature', 'signature does not verify');
  return algs;
}
