// SCEP pkiMessage (RFC 8894 §3): the signed envelope around a request, and the CertRep reply.
import { randomBytes, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import type { Certificate } from '@peculiar/asn1-x509';
import { FailInfo, MessageType, OID, PkiStatus, type FailInfoName } from '../oids.js';
import { CmsError, attribute, parseSignedData, signData, verifySigner } from '../cms-signed.js';
import { buf, octets, printable, readOctets, readString } from '../der.js';

/** A message too broken to answer with a CertRep (no transaction to refer to): HTTP 400. */
export class MalformedScep extends Error {}

export interface PkiRequest {
  messageType: string;
  transactionId: string;
  senderNonce: Buffer;
  /** The certificate the request was signed with (self-signed for PKCSReq, the old identity for RenewalReq). */
  signerCert: Certificate;
  signerCertDer: Buffer;
  /** node:crypto name of the digest the client signed with. */
  digest: string;
  /** The enveloped CSR (CMS EnvelopedData DER). */
  envelope: Buffer;
  /** Set when the signature did not verify (the reply is then a FAILURE). */
  signatureProblem: CmsError | null;
}

function stringAttr(attrs: Map<string, ArrayBuffer[]>, oid: string, name: string): string {
  const v = attrs.get(oid)?.[0];
  const s = v ? readString(v) : null;
  if (s === null) throw new MalformedScep(`the ${name} attribute is missing or not a string`);
  return s;
}

/** Parses and verifies a pkiMessage; throws MalformedScep when it cannot be answered at all. */
export function parsePkiMessage(der: Buffer): PkiRequest {
  let parsed;
  try {
    parsed = parseSignedData(der);
  } catch (e) {
    throw new MalformedScep((e as Error).message);
  }
  if (!parsed.content) throw new MalformedScep('the pkiMessage carries no content');
  const si = parsed.signedData.signerInfos[0];
  if (!si?.signedAttrs) throw new MalformedScep('the pkiMessage has no signed attributes');
  let signer;
  let signatureProblem: CmsError | null = null;
  try {
    signer = verifySigner(parsed, parsed.content);
  } catch (e) {
    if (!(e instanceof CmsError) || e.problem === 'malformed') throw new MalformedScep((e as Error).message);
    signatureProblem = e;
  }
  const attrs = new Map(si.signedAttrs.map((a) => [a.attrType, a.attrValues] as const));
  const nonce = attrs.get(OID.scepSenderNonce)?.[0];
  const senderNonce = nonce ? readOctets(nonce) : null;
  if (!senderNonce) throw new MalformedScep('the senderNonce attribute is missing');
  const certs = (parsed.signedData.certificates ?? []).flatMap((c) => (c.certificate ? [c.certificate] : []));
  const signerCert = signer?.cert ?? certs[0];
  if (!signerCert) throw new MalformedScep('the pkiMessage carries no signer certificate');
  return {
    messageType: stringAttr(attrs, OID.scepMessageType, 'messageType'),
    transactionId: stringAttr(attrs, OID.scepTransactionId, 'transactionID'),
    senderNonce,
    signerCert,
    signerCertDer: signer?.certDer ?? buf(AsnConvert.serialize(signerCert)),
    digest: signer?.digest ?? 'sha256',
    envelope: parsed.content,
    signatureProblem,
  };
}

export interface CertRepOptions {
  request: Pick<PkiRequest, 'transactionId' | 'senderNonce' | 'digest'>;
  caCert: Buffer;
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

function certRep(opts: CertRepOptions, status: string, failInfo: string | null, content: Buffer | null): Buffer {
  return signData({
    content,
    signerCert: opts.caCert,
    signerKey: opts.caKey,
    digest: opts.request.digest,
    at: opts.at,
    attributes: [
      attribute(OID.scepMessageType, printable(MessageType.CertRep)),
      attribute(OID.scepPkiStatus, printable(status)),
      ...(failInfo === null ? [] : [attribute(OID.scepFailInfo, printable(failInfo))]),
      attribute(OID.scepTransactionId, printable(opts.request.transactionId)),
      attribute(OID.scepSenderNonce, octets(randomBytes(16))),
      attribute(OID.scepRecipientNonce, octets(opts.request.senderNonce)),
    ],
  });
}
