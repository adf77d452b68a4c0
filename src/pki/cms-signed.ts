// CMS SignedData (RFC 5652): parse and verify a signer, and build attached messages (profiles, tests).
// Crypto is node:crypto; the ASN.1 structures are @peculiar/asn1-cms.
import 'reflect-metadata';
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import {
  Attribute,
  CertificateChoices,
  CertificateSet,
  ContentInfo,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
} from '@peculiar/asn1-cms';
import { DIGESTS, OID, SIGNATURE_ALGORITHMS, digestOid } from './oids.js';
import { ab, buf, issuerAndSerial, octets, oidValue, readOctets, sameIssuerAndSerial, subjectKeyId, utcTime } from './der.js';

export type CmsProblem = 'malformed' | 'badAlg' | 'badSignature';

export class CmsError extends Error {
  constructor(readonly problem: CmsProblem, message: string) {
    super(message);
  }
}

export interface ParsedSignedData {
  signedData: SignedData;
  /** The encapsulated content, or null when detached/absent. */
  content: Buffer | null;
}

/** Concatenated bytes of a (possibly constructed, BER) OCTET STRING. */
function octetStringBytes(block: asn1js.AsnType): Buffer {
  if (!(block instanceof asn1js.OctetString)) throw new CmsError('malformed', 'content is not an OCTET STRING');
  if (!block.idBlock.isConstructed) return buf(block.valueBlock.valueHexView);
  return Buffer.concat(block.valueBlock.value.map((part) => octetStringBytes(part)));
}

/**
 * The signed attributes of the first signer exactly as encoded (the signature covers these bytes),
 * read with asn1js because the schema parser does not keep them for a SET OF.
 */
function rawSignedAttributes(der: Uint8Array): Buffer | null {
  const { result } = asn1js.fromBER(der);
  const child = (b: asn1js.AsnType | undefined, i: number): asn1js.AsnType | undefined =>
    b instanceof asn1js.Constructed || b instanceof asn1js.Sequence || b instanceof asn1js.Set ? b.valueBlock.value[i] : undefined;
  const signedData = child(child(result, 1), 0);
  const sequence = signedData instanceof asn1js.Sequence ? signedData.valueBlock.value : [];
  const signerInfo = child(sequence[sequence.length - 1], 0);
  const items = signerInfo instanceof asn1js.Sequence ? signerInfo.valueBlock.value : [];
  const attrs = items.find((b) => b.idBlock.tagClass === 3 && b.idBlock.tagNumber === 0);
  return attrs ? Buffer.from(attrs.valueBeforeDecodeView) : null;
}

export function parseSignedData(der: Uint8Array): ParsedSignedData {
  let signedData: SignedData;
  try {
    const info = AsnConvert.parse(ab(der), ContentInfo);
    if (info.contentType !== OID.signedData) throw new CmsError('malformed', `content type ${info.contentType} is not signedData`);
    signedData = AsnConvert.parse(info.content, SignedData);
  } catch (e) {
    if (e instanceof CmsError) throw e;
    throw new CmsError('malformed', `not a CMS SignedData message (${(e as Error).message})`);
  }
  const eContent = signedData.encapContentInfo.eContent;
  let content: Buffer | null = null;
  if (eContent?.single) content = buf(eContent.single.buffer);
  else if (eContent?.any) content = octetStringBytes(asn1js.fromBER(eContent.any).result);
  const first = signedData.signerInfos[0];
  if (first?.signedAttrs && !first.signedAttrsRaw) first.signedAttrsRaw = ab(rawSignedAttributes(der) ?? Buffer.alloc(0));
  return { signedData, content };
}

export interface VerifiedSigner {
  cert: Certificate;
  certDer: Buffer;
  /** Signed attributes by OID (each with its raw DER values). */
  attributes: Map<string, ArrayBuffer[]>;
  /** node:crypto name of the signer's digest algorithm. */
  digest: string;
}

function findSignerCert(certs: Certificate[], sid: SignerIdentifier): Certificate | undefined {
  if (sid.issuerAndSerialNumber) return certs.find((c) => sameIssuerAndSerial(sid.issuerAndSerialNumber!, c));
  const ski = sid.subjectKeyIdentifier ? buf(sid.subjectKeyIdentifier.buffer) : null;
  return ski ? certs.find((c) => subjectKeyId(c)?.equals(ski)) : undefined;
}

export const publicKeyOf = (cert: Certificate): KeyObject =>
  createPublicKey({ key: buf(AsnConvert.serialize(cert.tbsCertificate.subjectPublicKeyInfo)), format: 'der', type: 'spki' });

/**
 * Verifies the (single) signer over the given content using a certificate carried in the message.
 * Checks the message digest and the signature; says nothing about whom the certificate belongs to.
 */
export function verifySigner(parsed: ParsedSignedData, content: Buffer): VerifiedSigner {
  const { signedData } = parsed;
  if (signedData.signerInfos.length !== 1) throw new CmsError('malformed', `expected one signer, found ${signedData.signerInfos.length}`);
  const si = signedData.signerInfos[0];
  const certs = (signedData.certificates ?? []).flatMap((c) => (c.certificate ? [c.certificate] : []));
  const cert = findSignerCert(certs, si.sid);
  if (!cert) throw new CmsError('malformed', 'the signer certificate is not in the message');
  const digest = DIGESTS[si.digestAlgorithm.algorithm];
  if (!digest) throw new CmsError('badAlg', `unsupported digest algorithm ${si.digestAlgorithm.algorithm}`);
  const sigAlg = si.signatureAlgorithm.algorithm;
  if (!(sigAlg in SIGNATURE_ALGORITHMS)) throw new CmsError('badAlg', `unsupported signature algorithm ${sigAlg}`);
  const attributes = new Map<string, ArrayBuffer[]>();
  let signedBytes = content;
  if (si.signedAttrs) {
    if (!si.signedAttrsRaw?.byteLength) throw new CmsError('malformed', 'unreadable signed attributes');
    for (const a of si.signedAttrs) attributes.set(a.attrType, a.attrValues);
    const md = attributes.get(OID.messageDigest)?.[0];
    const expected = createHash(digest).update(content).digest();
    if (!md || !readOctets(md)?.equals(expected)) throw new CmsError('badSignature', 'message digest does not match the content');
    signedBytes = Buffer.from(si.signedAttrsRaw);
    signedBytes[0] = 0x31; // the signature covers the attributes as a SET, not as [0] IMPLICIT
  }
  let ok: boolean;
  try {
    ok = verify(SIGNATURE_ALGORITHMS[sigAlg] ?? digest, signedBytes, publicKeyOf(cert), buf(si.signature.buffer));
  } catch (e) {
    throw new CmsError('badSignature', `signature cannot be checked (${(e as Error).message})`);
  }
  if (!ok) throw new CmsError('badSignature', 'signature does not verify');
  return { cert, certDer: buf(AsnConvert.serialize(cert)), attributes, digest };
}

export const attribute = (type: string, value: ArrayBuffer): Attribute => new Attribute({ attrType: type, attrValues: [value] });

export interface SignOptions {
  /** Attached content (id-data); null for a message that carries only certificates and attributes. */
  content: Buffer | null;
  signerCert: Buffer;
  signerKey: KeyObject;
  /** node:crypto digest name, e.g. "sha256". */
  digest: string;
  /** Certificates to carry (the signer's is added first). */
  certs?: Buffer[];
  attributes?: Attribute[];
  at: Date;
}

const certChoice = (der: Buffer): CertificateChoices => new CertificateChoices({ certificate: AsnConvert.parse(ab(der), Certificate) });

function wrap(signedData: SignedData): Buffer {
  return buf(AsnConvert.serialize(new ContentInfo({ contentType: OID.signedData, content: AsnConvert.serialize(signedData) })));
}

/** An attached SignedData with one signer, signed attributes in DER (sorted) order. */
export function signData(opts: SignOptions): Buffer {
  const signer = AsnConvert.parse(ab(opts.signerCert), Certificate);
  const digestAlg = new AlgorithmIdentifier({ algorithm: digestOid(opts.digest) });
  const content = opts.content ?? Buffer.alloc(0);
  const attrs = [
    attribute(OID.contentType, oidValue(OID.data)),
    attribute(OID.signingTime, utcTime(opts.at)),
    attribute(OID.messageDigest, octets(createHash(opts.digest).update(content).digest())),
    ...(opts.attributes ?? []),
  ]
    .map((a) => ({ a, der: buf(AsnConvert.serialize(a)) }))
    .sort((x, y) => Buffer.compare(x.der, y.der));
  const set = Buffer.concat(attrs.map((x) => x.der));
  const signedSet = Buffer.concat([derHeader(0x31, set.length), set]);
  const signature = sign(opts.digest, signedSet, opts.signerKey);
  const signerInfo = new SignerInfo({
    version: 1,
    sid: new SignerIdentifier({ issuerAndSerialNumber: issuerAndSerial(signer) }),
    digestAlgorithm: digestAlg,
    signedAttrs: attrs.map((x) => x.a),
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: OID.rsaEncryption, parameters: null }),
    signature: new OctetString(ab(signature)),
  });
  const certs = [opts.signerCert, ...(opts.certs ?? []).filter((c) => !c.equals(opts.signerCert))];
  const signedData = new SignedData({
    version: 1,
    digestAlgorithms: new DigestAlgorithmIdentifiers([digestAlg]),
    encapContentInfo: new EncapsulatedContentInfo({
      eContentType: OID.data,
      eContent: opts.content ? new EncapsulatedContent({ single: new OctetString(ab(opts.content)) }) : undefined,
    }),
    certificates: new CertificateSet(certs.map(certChoice)),
    signerInfos: new SignerInfos([signerInfo]),
  });
  return wrap(signedData);
}

function derHeader(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
  return Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
}

/** The DER of every certificate the message carries (the signer's and its intermediates). */
export function carriedCertificates(parsed: ParsedSignedData): Buffer[] {
  return (parsed.signedData.certificates ?? []).flatMap((c) => (c.certificate ? [buf(AsnConvert.serialize(c.certificate))] : []));
}
