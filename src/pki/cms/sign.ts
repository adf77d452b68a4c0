// CMS SignedData (RFC 5652 §5): building. One signer named by issuer and serial, signed attributes in
// DER (sorted) order: contentType, signingTime and messageDigest, plus any the caller adds (SCEP's).
// Written with the DER writer; signatures are node:crypto. Used for signed profiles and SCEP CertReps.
import { createHash, sign, type KeyObject } from 'node:crypto';
import { algorithm, ctx, integer, octetString, oid, seq, set, setOf, time } from '../../asn1/index.js';
import { OID, digestOid } from '../oids.js';
import { certParts } from '../x509-der.js';

/** One signed attribute: its type and a single value (whole DER). */
export const attribute = (type: string, value: Buffer): Buffer => seq(oid(type), set(value));

const SIGNED_DATA = oid(OID.signedData);
const DATA = oid(OID.data);
const CONTENT_TYPE_DATA = attribute(OID.contentType, DATA);
const RSA = algorithm(OID.rsaEncryption);
const ECDSA: Record<string, string> = { sha1: '1.2.840.10045.4.1', sha256: '1.2.840.10045.4.3.2', sha384: '1.2.840.10045.4.3.3', sha512: '1.2.840.10045.4.3.4' };
const digestAlgorithms = new Map<string, Buffer>();
const digestAlgorithm = (digest: string): Buffer => {
  let der = digestAlgorithms.get(digest);
  if (!der) digestAlgorithms.set(digest, (der = algorithm(digestOid(digest), null)));
  return der;
};

export interface SignOptions {
  /** The content (id-data); null for a message that carries only certificates and attributes. */
  content: Buffer | null;
  signerCert: Buffer;
  /** IssuerAndSerialNumber of the signer (DER); read from signerCert when not given. */
  signerIssuerAndSerial?: Buffer;
  signerKey: KeyObject;
  /** node:crypto digest name, e.g. "sha256". */
  digest: string;
  /** Certificates to carry (the signer's is added first). */
  certs?: Buffer[];
  /** Signed attributes beyond contentType, signingTime and messageDigest (see attribute()). */
  attributes?: Buffer[];
  at: Date;
}

/** An attached SignedData with one signer. */
export function signData(opts: SignOptions): Buffer {
  const digestAlg = digestAlgorithm(opts.digest);
  const attrs = setOf([
    CONTENT_TYPE_DATA,
    attribute(OID.signingTime, time(opts.at)),
    attribute(OID.messageDigest, octetString(createHash(opts.digest).update(opts.content ?? Buffer.alloc(0)).digest())),
    ...(opts.attributes ?? []),
  ]);
  const signature = sign(opts.digest, attrs, opts.signerKey);
  attrs[0] = 0xa0; // [0] IMPLICIT in the SignerInfo
  const sigAlg = opts.signerKey.asymmetricKeyType === 'ec' ? algorithm(ECDSA[opts.digest] ?? ECDSA.sha256!, null) : RSA;
  const sid = opts.signerIssuerAndSerial ?? certParts(opts.signerCert).issuerAndSerial;
  const si = seq(integer(1), sid, digestAlg, attrs, sigAlg, octetString(signature));
  const certs = [opts.signerCert, ...(opts.certs ?? []).filter((c) => !c.equals(opts.signerCert))];
  const encap = opts.content ? seq(DATA, ctx(0, octetString(opts.content))) : seq(DATA);
  return seq(SIGNED_DATA, ctx(0, seq(integer(1), set(digestAlg), encap, ctx(0, ...certs), set(si))));
}

/** A certificates-only ("degenerate") SignedData, as SCEP uses to return certificates. */
export function certsOnly(certs: Buffer[]): Buffer {
  return seq(SIGNED_DATA, ctx(0, seq(integer(1), set(), seq(DATA), ctx(0, ...certs), set())));
}
