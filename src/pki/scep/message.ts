// SCEP pkiMessage (RFC 8894 §3): the signed envelope around a request, and the CertRep reply.
// Walked and built as DER by hand (src/pki/asn1.ts); signatures and digests are node:crypto.
import { createHash, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { FailInfo, MessageType, OID, PkiStatus, DIGESTS, SIGNATURE_ALGORITHMS, digestOid, type FailInfoName } from '../oids.js';
import { CmsError } from '../cms-signed.js';
import {
  Asn1Error, algorithm, children, content, expect, octetBytes, octetString, oid, printableString, read, readOid, readText, seq, set, setOf,
  smallInteger, time, tlv, whole, type Tlv,
} from '../asn1.js';
import { certPartsOrNull, serialKey, type CertParts } from '../x509-der.js';

/** A message too broken to answer with a CertRep (no transaction to refer to): HTTP 400. */
export class MalformedScep extends Error {}

export interface PkiRequest {
  messageType: string;
  transactionId: string;
  senderNonce: Buffer;
  /** The certificate the request was signed with (self-signed for PKCSReq, the old identity for RenewalReq). */
  signerCertDer: Buffer;
  signer: CertParts;
  /** The signer's public key (null when it cannot be read). */
  signerKey: KeyObject | null;
  /** node:crypto name of the digest the client signed with. */
  digest: string;
  /** The enveloped CSR (CMS EnvelopedData DER); for CertPoll, the IssuerAndSubject. */
  envelope: Buffer;
  /** Set when the signature did not verify (the reply is then a FAILURE). */
  signatureProblem: CmsError | null;
}

interface SignerInfo {
  sid: Tlv;
  digestOid: string;
  signedAttrs: Tlv | null;
  sigAlg: string;
  signature: Buffer;
}

function signerInfo(der: Buffer, t: Tlv): SignerInfo {
  const f = children(der, expect(der, t, 0x30, 'SignerInfo'));
  expect(der, f[0], 0x02, 'SignerInfo version');
  const digestOid = readOid(der, children(der, expect(der, f[2], 0x30, 'digestAlgorithm'))[0]!);
  let i = 3;
  const signedAttrs = f[i]?.tag === 0xa0 ? f[i++]! : null;
  const sigAlg = readOid(der, children(der, expect(der, f[i], 0x30, 'signatureAlgorithm'))[0]!);
  const signature = content(der, expect(der, f[i + 1], 0x04, 'signature'));
  return { sid: f[1]!, digestOid, signedAttrs, sigAlg, signature };
}

function findSigner(der: Buffer, sid: Tlv, certs: CertParts[]): CertParts | undefined {
  if (sid.tag === 0x30) {
    const [issuerT, serialT] = children(der, sid);
    const issuer = whole(der, expect(der, issuerT, 0x30, 'issuer'));
    const serial = serialKey(content(der, expect(der, serialT, 0x02, 'serial')));
    return certs.find((c) => c.issuer.equals(issuer) && serialKey(c.serial) === serial);
  }
  if (sid.tag === 0x80) return certs.find((c) => c.subjectKeyId?.equals(content(der, sid)));
  return undefined;
}

/** Parses and verifies a pkiMessage; throws MalformedScep when it cannot be answered at all. */
export function parsePkiMessage(der: Buffer): PkiRequest {
  try {
    return parse(der);
  } catch (e) {
    if (e instanceof Asn1Error) throw new MalformedScep(`not a CMS SignedData message (${e.message})`);
    throw e;
  }
}

function parse(der: Buffer): PkiRequest {
  const [typeT, wrapped] = children(der, expect(der, read(der), 0x30, 'ContentInfo'));
  const type = readOid(der, typeT!);
  if (type !== OID.signedData) throw new MalformedScep(`content type ${type} is not signedData`);
  const sd = children(der, expect(der, children(der, expect(der, wrapped, 0xa0, 'content'))[0], 0x30, 'SignedData'));
  expect(der, sd[1], 0x31, 'digestAlgorithms');
  const encap = children(der, expect(der, sd[2], 0x30, 'encapContentInfo'));
  const eContent = encap[1] ? children(der, expect(der, encap[1], 0xa0, 'eContent'))[0] : undefined;
  if (!eContent) throw new MalformedScep('the pkiMessage carries no content');
  if ((eContent.tag & 0xdf) !== 0x04) throw new MalformedScep('content is not an OCTET STRING');
  const envelope = octetBytes(der, eContent);
  let i = 3;
  const certs: CertParts[] = [];
  if (sd[i]?.tag === 0xa0) {
    for (const c of children(der, sd[i++]!)) {
      const parts = c.tag === 0x30 ? certPartsOrNull(Buffer.from(whole(der, c))) : null;
      if (parts) certs.push(parts);
    }
  }
  if (sd[i]?.tag === 0xa1) i++; // crls
  const signers = children(der, expect(der, sd[i], 0x31, 'signerInfos'));
  if (signers.length !== 1) throw new MalformedScep(`expected one signer, found ${signers.length}`);
  const si = signerInfo(der, signers[0]!);
  if (!si.signedAttrs) throw new MalformedScep('the pkiMessage has no signed attributes');
  const attrs = new Map<string, Tlv>();
  for (const a of children(der, si.signedAttrs)) {
    const [t, values] = children(der, expect(der, a, 0x30, 'attribute'));
    const first = children(der, expect(der, values, 0x31, 'attribute values'))[0];
    if (first) attrs.set(readOid(der, t!), first);
  }

  let signatureProblem: CmsError | null = null;
  const found = findSigner(der, si.sid, certs);
  if (!found) throw new MalformedScep('the signer certificate is not in the message');
  let signerKey: KeyObject | null = null;
  const digest = DIGESTS[si.digestOid];
  try {
    if (!digest) throw new CmsError('badAlg', `unsupported digest algorithm ${si.digestOid}`);
    if (!(si.sigAlg in SIGNATURE_ALGORITHMS)) throw new CmsError('badAlg', `unsupported signature algorithm ${si.sigAlg}`);
    const md = attrs.get(OID.messageDigest);
    if (!md || md.tag !== 0x04 || !content(der, md).equals(createHash(digest).update(envelope).digest()))
      throw new CmsError('badSignature', 'message digest does not match the content');
    const signed = Buffer.from(whole(der, si.signedAttrs));
    signed[0] = 0x31; // the signature covers the attributes as a SET, not as [0] IMPLICIT
    let ok: boolean;
    try {
      signerKey = createPublicKey({ key: found.spki, format: 'der', type: 'spki' });
      ok = verify(SIGNATURE_ALGORITHMS[si.sigAlg] ?? digest, signed, signerKey, si.signature);
    } catch (e) {
      throw new CmsError('badSignature', `signature cannot be checked (${(e as Error).message})`);
    }
    if (!ok) throw new CmsError('badSignature', 'signature does not verify');
  } catch (e) {
    if (!(e instanceof CmsError)) throw e;
    signatureProblem = e;
  }

  const nonce = attrs.get(OID.scepSenderNonce);
  if (!nonce || nonce.tag !== 0x04) throw new MalformedScep('the senderNonce attribute is missing');
  const text = (oid: string, name: string): string => {
    const t = attrs.get(oid);
    const s = t ? readText(der, t) : null;
    if (s === null) throw new MalformedScep(`the ${name} attribute is missing or not a string`);
    return s;
  };
  return {
    messageType: text(OID.scepMessageType, 'messageType'),
    transactionId: text(OID.scepTransactionId, 'transactionID'),
    senderNonce: Buffer.from(content(der, nonce)),
    signerCertDer: found.der,
    signer: found,
    signerKey,
    digest: signatureProblem ? 'sha256' : digest!,
    envelope,
    signatureProblem,
  };
}

export interface CertRepOptions {
  request: Pick<PkiRequest, 'transactionId' | 'senderNonce' | 'digest'>;
  /** The CA certificate DER and its IssuerAndSerialNumber DER. */
  caCert: Buffer;
  caIssuerAndSerial: Buffer;
  caKey: KeyObject;
  at: Date;
}

/** CertRep SUCCESS carrying the (already enveloped) degenerate certificate bundle. */
export function certRepSuccess(opts: CertRepOptions, envelopedCerts: Buffer): Buffer {
  return certRep(opts, PkiStatus.SUCCESS, null, envelopedCerts);
}

export function certRepFailure(opts: CertRepOptions, failInfo: FailInfoName): Buffer {
  return certRep(opts, PkiStatus.FAILURE, FailInfo[failInfo], null);
}

const attr = (type: string, value: Buffer): Buffer => seq(oid(type), set(value));
const CONTENT_TYPE_DATA = attr(OID.contentType, oid(OID.data));
const MESSAGE_TYPE_CERTREP = attr(OID.scepMessageType, printableString(MessageType.CertRep));
const SIGNED_DATA = oid(OID.signedData);
const DATA = oid(OID.data);
const RSA = algorithm(OID.rsaEncryption);

/** A certificates-only ("degenerate") SignedData, as SCEP uses to return certificates. */
export function certsOnly(certs: Buffer[]): Buffer {
  return seq(SIGNED_DATA, tlv(0xa0, seq(smallInteger(1), set(), seq(DATA), tlv(0xa0, ...certs), set())));
}

function certRep(opts: CertRepOptions, status: string, failInfo: string | null, data: Buffer | null): Buffer {
  const digest = opts.request.digest;
  const digestAlg = algorithm(digestOid(digest), null);
  const attrs = setOf([
    CONTENT_TYPE_DATA,
    attr(OID.signingTime, time(opts.at)),
    attr(OID.messageDigest, octetString(createHash(digest).update(data ?? Buffer.alloc(0)).digest())),
    MESSAGE_TYPE_CERTREP,
    attr(OID.scepPkiStatus, printableString(status)),
    ...(failInfo === null ? [] : [attr(OID.scepFailInfo, printableString(failInfo))]),
    attr(OID.scepTransactionId, printableString(opts.request.transactionId)),
    attr(OID.scepSenderNonce, octetString(randomBytes(16))),
    attr(OID.scepRecipientNonce, octetString(opts.request.senderNonce)),
  ]);
  const signature = sign(digest, attrs, opts.caKey);
  attrs[0] = 0xa0; // [0] IMPLICIT in the SignerInfo
  const si = seq(smallInteger(1), opts.caIssuerAndSerial, digestAlg, attrs, RSA, octetString(signature));
  const encap = data ? seq(DATA, tlv(0xa0, octetString(data))) : seq(DATA);
  return seq(SIGNED_DATA, tlv(0xa0, seq(smallInteger(1), set(digestAlg), encap, tlv(0xa0, opts.caCert), set(si))));
}
