// SCEP pkiMessage (RFC 8894 §3): the signed envelope around a request, and the CertRep reply.
// Read and built with the CMS layer (src/pki/cms/) over the DER codec (src/asn1/).
import { randomBytes, type KeyObject } from 'node:crypto';
import { FailInfo, MessageType, OID, PkiStatus, type FailInfoName } from '../oids.js';
import { CmsError, attribute, parseSignedData, signData, verifySigner } from '../cms/index.js';
import { Asn1Error, content, octetString, printableString, read, readText, type Tlv } from '../../asn1/index.js';
import { certPartsOrNull, type CertParts } from '../x509-der.js';
import { publicKeyFromSpki } from '../spki.js';

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

/** Parses and verifies a pkiMessage; throws MalformedScep when it cannot be answered at all. */
export function parsePkiMessage(der: Buffer): PkiRequest {
  try {
    return parse(der);
  } catch (e) {
    if (e instanceof Asn1Error || (e instanceof CmsError && e.problem === 'malformed')) throw new MalformedScep(`not a CMS SignedData message (${e.message})`);
    throw e;
  }
}

function parse(der: Buffer): PkiRequest {
  const msg = parseSignedData(der);
  if (!msg.content) throw new MalformedScep('the pkiMessage carries no content');
  if (msg.signers.length !== 1) throw new MalformedScep(`expected one signer, found ${msg.signers.length}`);
  const si = msg.signers[0]!;
  if (!si.signedAttrs) throw new MalformedScep('the pkiMessage has no signed attributes');
  const found = si.certDer ? certPartsOrNull(Buffer.from(si.certDer)) : null;
  if (!found) throw new MalformedScep('the signer certificate is not in the message');

  let signatureProblem: CmsError | null = null;
  let signerKey: KeyObject | null = null;
  let digest: string | null = null;
  try {
    try {
      signerKey = publicKeyFromSpki(found.spki);
    } catch (e) {
      throw new CmsError('badSignature', `signature cannot be checked (${(e as Error).message})`);
    }
    digest = verifySigner(si, msg.content, signerKey).hash;
  } catch (e) {
    if (!(e instanceof CmsError)) throw e;
    signatureProblem = e;
  }

  const attr = (oid: string): { der: Buffer; t: Tlv } | null => {
    const v = si.attributes.get(oid);
    return v ? { der: v, t: read(v) } : null;
  };
  const nonce = attr(OID.scepSenderNonce);
  if (!nonce || nonce.t.tag !== 0x04) throw new MalformedScep('the senderNonce attribute is missing');
  const text = (oid: string, name: string): string => {
    const a = attr(oid);
    const s = a ? readText(a.der, a.t) : null;
    if (s === null) throw new MalformedScep(`the ${name} attribute is missing or not a string`);
    return s;
  };
  return {
    messageType: text(OID.scepMessageType, 'messageType'),
    transactionId: text(OID.scepTransactionId, 'transactionID'),
    senderNonce: Buffer.from(content(nonce.der, nonce.t)),
    signerCertDer: found.der,
    signer: found,
    signerKey,
    digest: signatureProblem || !digest ? 'sha256' : digest,
    envelope: msg.content,
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

const MESSAGE_TYPE_CERTREP = attribute(OID.scepMessageType, printableString(MessageType.CertRep));

function certRep(opts: CertRepOptions, status: string, failInfo: string | null, data: Buffer | null): Buffer {
  return signData({
    content: data,
    signerCert: opts.caCert,
    signerIssuerAndSerial: opts.caIssuerAndSerial,
    signerKey: opts.caKey,
    digest: opts.request.digest,
    certs: [],
    at: opts.at,
    attributes: [
      MESSAGE_TYPE_CERTREP,
      attribute(OID.scepPkiStatus, printableString(status)),
      ...(failInfo === null ? [] : [attribute(OID.scepFailInfo, printableString(failInfo))]),
      attribute(OID.scepTransactionId, printableString(opts.request.transactionId)),
      attribute(OID.scepSenderNonce, octetString(randomBytes(16))),
      attribute(OID.scepRecipientNonce, octetString(opts.request.senderNonce)),
    ],
  });
}
