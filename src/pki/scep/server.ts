// The SCEP server's logic, independent of HTTP: GetCACaps, GetCACert and PKIOperation
// (PKCSReq and RenewalReq answered with CertRep SUCCESS, or FAILURE with a failInfo).
import { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import { MessageType, SCEP_CAPABILITIES, type FailInfoName } from '../oids.js';
import type { CA } from '../ca.js';
import type { Challenges } from '../challenge.js';
import { CmsError, certsOnly } from '../cms-signed.js';
import { openEnveloped, seal } from '../cms-enveloped.js';
import { CsrError, parseCsr, type CertRequest } from '../csr.js';
import { cipherByName, type ContentCipher } from '../symmetric.js';
import { certRepFailure, certRepSuccess, parsePkiMessage, type PkiRequest } from './message.js';

export interface ScepOptions {
  ca: CA;
  challenges: Challenges;
  certValidityDays: number;
  logger?: Logger;
  now?: () => Date;
}

export interface IssuedCertificate {
  der: Buffer;
  subject: string;
  serialNumber: string;
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
}

class Refusal extends Error {
  constructor(readonly failInfo: FailInfoName, reason: string) {
    super(reason);
  }
}

function certificateOrNull(der: Buffer): X509Certificate | null {
  try {
    return new X509Certificate(der);
  } catch {
    return null;
  }
}

const cmsFailInfo = (e: CmsError): FailInfoName => (e.problem === 'badAlg' ? 'badAlg' : 'badMessageCheck');

/** Replies go out with the client's cipher, except single DES, which is raised to 3DES. */
const replyCipher = (requested: ContentCipher): ContentCipher => (requested.name === 'des-cbc' ? cipherByName('des-ede3-cbc') : requested);

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
    const reply = { request: req, caCert: this.opts.ca.certDer, caKey: this.opts.ca.key, at };
    try {
      const { csr, cipher } = await this.check(req, at);
      const issuedDer = this.opts.ca.issue(csr, { validityDays: this.opts.certValidityDays, at });
      const envelope = seal(certsOnly([issuedDer]), req.signerCertDer, replyCipher(cipher));
      const x = new X509Certificate(issuedDer);
      const issued = { der: issuedDer, subject: x.subject, serialNumber: x.serialNumber, notAfter: new Date(x.validTo), sha256: x.fingerprint256.replace(/:/g, '').toLowerCase() };
      this.opts.logger?.info({ transactionId: req.transactionId, subject: issued.subject, serial: issued.serialNumber }, 'scep: certificate issued');
      return { body: certRepSuccess(reply, envelope), status: 'SUCCESS', issued };
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      this.opts.logger?.warn({ transactionId: req.transactionId, failInfo: e.failInfo, reason: e.message }, 'scep: request refused');
      return { body: certRepFailure(reply, e.failInfo), status: 'FAILURE', failInfo: e.failInfo, reason: e.message };
    }
  }

  /** Every policy check, the one-time challenge (which consumes it) last. */
  private async check(req: PkiRequest, at: Date): Promise<{ csr: CertRequest; cipher: ContentCipher }> {
    if (req.signatureProblem) throw new Refusal(cmsFailInfo(req.signatureProblem), req.signatureProblem.message);
    const signer = certificateOrNull(req.signerCertDer);
    if (signer?.publicKey.asymmetricKeyType !== 'rsa') throw new Refusal('badAlg', 'the request must be signed with an RSA key: the reply is encrypted to it');
    const renewal = req.messageType === MessageType.RenewalReq;
    if (!renewal && req.messageType !== MessageType.PKCSReq)
      throw new Refusal('badRequest', `messageType ${req.messageType} is not supported (only PKCSReq and RenewalReq)`);
    let opened;
    try {
      opened = openEnveloped(req.envelope, [{ cert: this.opts.ca.cert, key: this.opts.ca.key, rejectionSecret: this.opts.ca.rejectionSecret }]);
    } catch (e) {
      if (e instanceof CmsError) throw new Refusal(cmsFailInfo(e), e.message);
      throw e;
    }
    let csr: CertRequest;
    try {
      csr = parseCsr(opened.content);
    } catch (e) {
      if (e instanceof CsrError) throw new Refusal('badRequest', e.message);
      throw e;
    }
    if (renewal) {
      if (!this.opts.ca.issued(signer, at))
        throw new Refusal('badRequest', 'RenewalReq must be signed by a current certificate issued by this CA');
    } else if (!(await this.opts.challenges.accept(csr.challenge, at))) {
      throw new Refusal('badRequest', csr.challenge ? 'wrong or already used challenge' : 'the request has no challenge password');
    }
    return { csr, cipher: opened.cipher };
  }
}
