// Parses the CMS SignedData of an Mdm-Signature header (RFC 5652) down to what a signature check
// needs: the signer's certificate, algorithms, the DER of the signed attributes and the signed
// message digest. No cryptography happens here; see signature.ts.
import { DIGEST_ALGORITHMS, OID, SIGNATURE_ALGORITHMS, type HashName, type KeyKind } from './algorithms.js';
import { children, DerError, encoding, expect, oid, readTlv, value, type Tlv } from './der.js';

export interface SignerData {
  /** The signer's certificate, DER. */
  certDer: Buffer;
  hash: HashName;
  keyKind: KeyKind;
  /** The signed attributes re-tagged as a SET (the bytes the signature covers); null when absent. */
  signedAttrs: Buffer | null;
  /** The messageDigest signed attribute; null when there are no signed attributes. */
  messageDigest: Buffer | null;
  signature: Buffer;
}

export function parseSignedData(der: Buffer): SignerData {
  const ci = expect(der, 0, 0x30, 'ContentInfo');
  if (ci.next !== der.length) throw new DerError('trailing bytes after ContentInfo');
  const [type, wrapped] = children(der, ci);
  if (!type || oid(der, type) !== OID.signedData) throw new DerError('not a CMS SignedData');
  if (!wrapped || wrapped.tag !== 0xa0) throw new DerError('SignedData content missing');
  const sd = expect(der, wrapped.start, 0x30, 'SignedData', wrapped.end);

  const parts = children(der, sd);
  const encap = parts[2];
  if (!encap || encap.tag !== 0x30) throw new DerError('SignedData: encapContentInfo missing');
  const eContentType = children(der, encap)[0];
  if (!eContentType || eContentType.tag !== 0x06) throw new DerError('SignedData: eContentType missing');
  let certSet: Tlv | undefined;
  let signerSet: Tlv | undefined;
  for (const t of parts.slice(3)) {
    if (t.tag === 0xa0) certSet = t;
    else if (t.tag === 0x31) signerSet = t;
  }
  if (!signerSet) throw new DerError('SignedData: signerInfos missing');
  const signers = children(der, signerSet);
  if (signers.length !== 1) throw new DerError(`expected exactly one signer, found ${signers.length}`);
  const certs = certSet ? children(der, certSet).filter((t) => t.tag === 0x30) : [];

  const si = children(der, signers[0]);
  let i = 1; // skip version
  const sid = si[i++];
  const digestAlg = si[i++];
  const attrs = si[i]?.tag === 0xa0 ? si[i++] : null;
  const sigAlg = si[i++];
  const sig = si[i++];
  if (!sid || !digestAlg || !sigAlg || !sig || sig.tag !== 0x04) throw new DerError('SignerInfo incomplete');

  const hash = DIGEST_ALGORITHMS[algorithmOid(der, digestAlg)];
  if (!hash) throw new CmsError(`unsupported digest algorithm ${algorithmOid(der, digestAlg)}`);
  const sigSpec = SIGNATURE_ALGORITHMS[algorithmOid(der, sigAlg)];
  if (!sigSpec) throw new CmsError(`unsupported signature algorithm ${algorithmOid(der, sigAlg)}`);
  if (sigSpec.hash && sigSpec.hash !== hash) {
    throw new CmsError(`signature algorithm hash ${sigSpec.hash} differs from digest algorithm ${hash}`);
  }

  let signedAttrs: Buffer | null = null;
  let messageDigest: Buffer | null = null;
  if (attrs) {
    if (der[attrs.hdr + 1] === 0x80) throw new DerError('signed attributes are not DER-encoded');
    signedAttrs = Buffer.from(encoding(der, attrs));
    signedAttrs[0] = 0x31; // [0] IMPLICIT → SET OF, as signed (RFC 5652 §5.4)
    messageDigest = readSignedAttributes(der, attrs, encoding(der, eContentType));
  }

  return {
    certDer: findSignerCert(der, certs, sid),
    hash,
    keyKind: sigSpec.key,
    signedAttrs,
    messageDigest,
    signature: value(der, sig),
  };
}

export class CmsError extends Error {
  override name = 'CmsError';
}

function algorithmOid(der: Buffer, alg: Tlv): string {
  if (alg.tag !== 0x30) throw new DerError('expected an AlgorithmIdentifier');
  return oid(der, readTlv(der, alg.start, alg.end));
}

/** Checks the signed attributes and returns the messageDigest value. */
function readSignedAttributes(der: Buffer, attrs: Tlv, eContentType: Buffer): Buffer {
  let digest: Buffer | null = null;
  const seen = new Set<string>();
  for (const attr of children(der, attrs)) {
    const [type, values] = children(der, attr);
    if (!type || !values || values.tag !== 0x31) throw new DerError('malformed signed attribute');
    const name = oid(der, type);
    if (seen.has(name)) throw new CmsError(`signed attribute ${name} appears twice`);
    seen.add(name);
    const vals = children(der, values);
    if (name === OID.messageDigest) {
      if (vals.length !== 1 || vals[0].tag !== 0x04) throw new CmsError('malformed messageDigest attribute');
      digest = value(der, vals[0]);
    } else if (name === OID.contentType) {
      if (vals.length !== 1 || !encoding(der, vals[0]).equals(eContentType)) {
        throw new CmsError('contentType attribute does not match the signed content type');
      }
    }
  }
  if (!digest) throw new CmsError('signed attributes lack a messageDigest');
  return digest;
}

/** The certificate named by the SignerIdentifier (issuerAndSerialNumber or subjectKeyIdentifier). */
function findSignerCert(der: Buffer, certs: Tlv[], sid: Tlv): Buffer {
  if (sid.tag === 0x30) {
    const [issuer, serial] = children(der, sid);
    if (!issuer || !serial) throw new DerError('malformed issuerAndSerialNumber');
    const wantIssuer = encoding(der, issuer);
    const wantSerial = encoding(der, serial);
    for (const cert of certs) {
      const tbs = tbsFields(der, cert);
      const at = tbs[0]?.tag === 0xa0 ? 1 : 0;
      const s = tbs[at];
      const iss = tbs[at + 2];
      if (s && iss && encoding(der, s).equals(wantSerial) && encoding(der, iss).equals(wantIssuer)) {
        return encoding(der, cert);
      }
    }
  } else if (sid.tag === 0x80) {
    const want = value(der, sid);
    for (const cert of certs) {
      const ski = subjectKeyIdentifier(der, cert);
      if (ski && ski.equals(want)) return encoding(der, cert);
    }
  } else {
    throw new DerError('malformed SignerIdentifier');
  }
  throw new CmsError('the signer certificate is not in the signature');
}

function tbsFields(der: Buffer, cert: Tlv): Tlv[] {
  return children(der, expect(der, cert.start, 0x30, 'TBSCertificate', cert.end));
}

function subjectKeyIdentifier(der: Buffer, cert: Tlv): Buffer | null {
  const exts = tbsFields(der, cert).find((t) => t.tag === 0xa3);
  if (!exts) return null;
  for (const ext of children(der, expect(der, exts.start, 0x30, 'Extensions', exts.end))) {
    const fields = children(der, ext);
    if (fields[0] && oid(der, fields[0]) === OID.subjectKeyIdentifier) {
      const octets = fields[fields.length - 1];
      return value(der, expect(der, octets.start, 0x04, 'SubjectKeyIdentifier', octets.end));
    }
  }
  return null;
}
