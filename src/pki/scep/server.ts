// The SCEP server's logic, independent of HTTP: GetCACaps, GetCACert and PKIOperation (PKCSReq and
// RenewalReq answered with CertRep SUCCESS, or FAILURE with a failInfo; CertPoll answered from the
// record of issued certificates). GetNextCACert is not offered: there is no rollover CA.
// A PKCSReq or RenewalReq repeated with a transactionID already issued for the same public key (the
// device lost the reply) is answered from the record; with another key it is refused (RFC 8894 §3.2.1.1:
// the transactionID names one key's request). The record keeps transactionIDs unique, so when
// identical requests race past that lookup only the first recorded is issued and the others are
// answered from it the same way. Revoked certificates are never handed out again and
// cannot sign a RenewalReq.
import { X509Certificate, createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { MessageType, SCEP_CAPABILITIES, type FailInfoName } from '../oids.js';
import type { CA } from '../ca.js';
import type { Challenges } from '../challenge.js';
import { CmsError, certsOnly, openEnveloped, seal } from '../cms/index.js';
import { CsrError, parseCsr, type CertRequest } from '../csr.js';
import { cipherByName, type ContentCipher } from '../symmetric.js';
import { certParts, nameText } from '../x509-der.js';
import type { CertificateStore, IssuedCertificateRecord } from '../../storage/types-certs.js';
import { certRepFailure, certRepSuccess, parsePkiMessage, type CertRepOptions, type PkiRequest } from './message.js';

/** Where issued certificates are recorded (CertPoll answers from it), and how a renewal finds its enrollment. */
export interface ScepRecords extends Pick<CertificateStore, 'recordCertificate' | 'certificateByTransaction' | 'certificateByHash'> {
  enrollmentIdsByCertHash(certHash: string): Promise<string[]>;
}

export interface ScepOptions {
  ca: CA;
  challenges: Challenges;
  certValidityDays: number;
  /** Without it nothing is recorded and CertPoll always answers badCertId. */
  records?: ScepRecords;
  logger?: Logger;
  now?: () => Date;
}

export interface IssuedCertificate {
  der: Buffer;
  subject: string;
  /** Upper-case hex, as X509Certificate prints it. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  sha256: string;
}

export interface PkiOperationResult {
  /** The CertRep (application/x-pki-message). */
  body: Buffer;
  status: 'SUCCESS' | 'FAILURE';
  failInfo?: FailInfoName;
  /** Why a request failed, for logs. */
  reason?: string;
  issued?: IssuedCertificate;
  /** True when a repeated request was answered with the certificate already issued for its transactionID. */
  repeated?: boolean;
}

class Refusal extends Error {
  constructor(readonly failInfo: FailInfoName, reason: string) {
    super(reason);
  }
}

const cmsFailInfo = (e: CmsError): FailInfoName => (e.problem === 'badAlg' ? 'badAlg' : 'badMessageCheck');

/** Replies go out with the client's cipher, except single DES, which is raised to 3DES. */
const replyCipher = (requested: ContentCipher): ContentCipher => (requested.name === 'des-cbc' ? cipherByName('des-ede3-cbc') : requested);
const AES_128 = cipherByName('aes-128-cbc');

const serialHex = (serial: Buffer): string => serial.toString('hex').replace(/^(00)+/, '').toUpperCase();

/**
 * The record of a certificate: its validity, and for a leaf just issued its serial and subject (DER), as
 * the caller knows them; what is not given is read from the certificate.
 */
function describe(der: Buffer, validity?: { notBefore: Date; notAfter: Date }, parts?: { serial: Buffer; subject: Buffer }): IssuedCertificate {
  const p = parts ?? certParts(der);
  const v = validity ?? (() => {
    const x = new X509Certificate(der);
    return { notBefore: new Date(x.validFrom), notAfter: new Date(x.validTo) };
  })();
  return { der, subject: nameText(p.subject), serialNumber: serialHex(p.serial), ...v, sha256: createHash('sha256').update(der).digest('hex') };
}

export class ScepServer {
  private readonly now: () => Date;

  constructor(private readonly opts: ScepOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  /** The GetCACaps answer: one capability per line. */
  caps(): string {
    return SCEP_CAPABILITIES.join('\n') + '\n';
  }

  /** The GetCACert answer: our CA alone, as DER (application/x-x509-ca-cert). */
  caCert(): Buffer {
    return this.opts.ca.certDer;
  }

  /** Answers a PKIOperation; throws MalformedScep for a message that cannot be answered with a CertRep. */
  async pkiOperation(der: Buffer): Promise<PkiOperationResult> {
    const req = parsePkiMessage(der);
    const at = this.now();
    const { ca } = this.opts;
    const reply: CertRepOptions = { request: req, caCert: ca.certDer, caIssuerAndSerial: ca.parts.issuerAndSerial, caKey: ca.key, at };
    try {
      if (req.signatureProblem) throw new Refusal(cmsFailInfo(req.signatureProblem), req.signatureProblem.message);
      if (req.signerKey?.asymmetricKeyType !== 'rsa') throw new Refusal('badAlg', 'the request must be signed with an RSA key: the reply is encrypted to it');
      if (req.messageType === MessageType.CertPoll) return await this.certPoll(req, reply);
      const { csr, cipher, previous } = await this.check(req, at);
      if (previous) return this.repeat(req, reply, cipher, previous, 'scep: repeated request answered with the certificate already issued');
      const leaf = ca.issueLeaf(csr, { validityDays: this.opts.certValidityDays, at });
      const issued = describe(leaf.der, leaf, { serial: leaf.serial, subject: csr.subject }); // the leaf carries the request's subject as is
      if (!(await this.record(req, issued, at))) {
        // A concurrent request of the same transaction was recorded first: answer as a repeat of it
        // (the certificate just signed is dropped, never sent).
        const winner = await this.previous(req.transactionId, csr);
        if (!winner) throw new Refusal('badRequest', `transactionID ${req.transactionId} is being used by another request`);
        return this.repeat(req, reply, cipher, winner, 'scep: concurrent request answered with the certificate issued for its transactionID');
      }
      this.opts.logger?.info({ transactionId: req.transactionId, subject: issued.subject, serial: issued.serialNumber }, 'scep: certificate issued');
      return { body: certRepSuccess(reply, this.envelopeFor(req, issued.der, replyCipher(cipher))), status: 'SUCCESS', issued };
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      this.opts.logger?.warn({ transactionId: req.transactionId, failInfo: e.failInfo, reason: e.message }, 'scep: request refused');
      return { body: certRepFailure(reply, e.failInfo), status: 'FAILURE', failInfo: e.failInfo, reason: e.message };
    }
  }

  private repeat(req: PkiRequest, reply: CertRepOptions, cipher: ContentCipher, found: IssuedCertificateRecord, message: string): PkiOperationResult {
    const issued = describe(found.der, found);
    this.opts.logger?.info({ transactionId: req.transactionId, serial: issued.serialNumber }, message);
    return { body: certRepSuccess(reply, this.envelopeFor(req, issued.der, replyCipher(cipher))), status: 'SUCCESS', issued, repeated: true };
  }

  private envelopeFor(req: PkiRequest, certDer: Buffer, cipher: ContentCipher): Buffer {
    return seal(certsOnly([certDer]), { issuerAndSerial: req.signer.issuerAndSerial, publicKey: req.signerKey! }, cipher);
  }

  /**
   * CertPoll (GetCertInitial, RFC 8894 §3.3.3): the client asks again for a transaction. Requests are
   * never left PENDING here, so the answer is the certificate issued for that transactionID, or badCertId.
   */
  private async certPoll(req: PkiRequest, reply: CertRepOptions): Promise<PkiOperationResult> {
    const found = await this.opts.records?.certificateByTransaction(req.transactionId);
    if (!found) throw new Refusal('badCertId', `no certificate was issued for transaction ${req.transactionId}`);
    if (found.revokedAt) throw new Refusal('badCertId', `the certificate issued for transaction ${req.transactionId} is revoked`);
    let cipher = AES_128;
    try {
      cipher = replyCipher(openEnveloped(req.envelope, [this.recipient()]).cipher);
    } catch {
      // The IssuerAndSubject is not needed to find the certificate; answer with AES (advertised) when it does not open.
    }
    const issued = describe(found.der, found);
    return { body: certRepSuccess(reply, this.envelopeFor(req, found.der, cipher)), status: 'SUCCESS', issued };
  }

  private recipient() {
    const { ca } = this.opts;
    return { cert: ca.parts, key: ca.key, rejectionSecret: ca.rejectionSecret };
  }

  /** False when the transactionID already has a recorded certificate (nothing is recorded then). */
  private async record(req: PkiRequest, issued: IssuedCertificate, at: Date): Promise<boolean> {
    const records = this.opts.records;
    if (!records) return true;
    let enrollmentId: string | null = null;
    if (req.messageType === MessageType.RenewalReq) {
      const signerHash = createHash('sha256').update(req.signerCertDer).digest('hex');
      enrollmentId = (await records.enrollmentIdsByCertHash(signerHash))[0] ?? null;
    }
    return records.recordCertificate({
      serial: issued.serialNumber,
      subject: issued.subject,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      sha256: issued.sha256,
      transactionId: req.transactionId,
      enrollmentId,
      der: issued.der,
      issuedAt: at,
    });
  }

  /**
   * The certificate already issued for this transactionID, when the request repeats it with the same
   * public key (it then needs no second challenge: the one-time challenge was spent on the first).
   */
  private async previous(transactionId: string, csr: CertRequest): Promise<IssuedCertificateRecord | undefined> {
    const found = await this.opts.records?.certificateByTransaction(transactionId);
    if (!found) return undefined;
    if (!certParts(found.der).spki.equals(csr.spki))
      throw new Refusal('badRequest', `transactionID ${transactionId} was already used for a certificate with a different public key`);
    if (found.revokedAt) throw new Refusal('badRequest', `the certificate issued for transactionID ${transactionId} is revoked`);
    return found;
  }

  private issuedByUs(der: Buffer, at: Date): boolean {
    try {
      return this.opts.ca.issued(new X509Certificate(der), at);
    } catch {
      return false;
    }
  }

  /** Every policy check, the one-time challenge (which consumes it) last. */
  private async check(req: PkiRequest, at: Date): Promise<{ csr: CertRequest; cipher: ContentCipher; previous?: IssuedCertificateRecord }> {
    const renewal = req.messageType === MessageType.RenewalReq;
    if (!renewal && req.messageType !== MessageType.PKCSReq)
      throw new Refusal('badRequest', `messageType ${req.messageType} is not supported (only PKCSReq, RenewalReq and CertPoll)`);
    let opened;
    try {
      opened = openEnveloped(req.envelope, [this.recipient()]);
    } catch (e) {
      if (e instanceof CmsError) throw new Refusal(cmsFailInfo(e), e.message);
      throw e;
    }
    let csr: CertRequest;
    try {
      csr = parseCsr(opened.content, { spki: req.signer.spki, key: req.signerKey! });
    } catch (e) {
      if (e instanceof CsrError) throw new Refusal('badRequest', e.message);
      throw e;
    }
    if (renewal) {
      if (!this.issuedByUs(req.signerCertDer, at))
        throw new Refusal('badRequest', 'RenewalReq must be signed by a current certificate issued by this CA');
      const signer = await this.opts.records?.certificateByHash(createHash('sha256').update(req.signerCertDer).digest('hex'));
      if (signer?.revokedAt) throw new Refusal('badRequest', `RenewalReq is signed by a revoked certificate (serial ${signer.serial})`);
    }
    const previous = await this.previous(req.transactionId, csr);
    if (previous) return { csr, cipher: opened.cipher, previous };
    if (!renewal && !(await this.opts.challenges.accept(csr.challenge, at)))
      throw new Refusal('badRequest', csr.challenge ? 'wrong or already used challenge' : 'the request has no challenge password');
    return { csr, cipher: opened.cipher };
  }
}
