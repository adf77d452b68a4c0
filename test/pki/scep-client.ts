// A SCEP test client: openssl builds the CSR and the EnvelopedData and reads the replies; the outer
// SignedData with the SCEP attributes is built here (openssl cannot add custom signed attributes).
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attribute, onlySigner, parseSignedData, signData, verifySigner } from '../../src/pki/cms/index.js';
import { OID } from '../../src/pki/oids.js';
import { content, octetString as octets, printableString as printable, read, readText } from '../../src/asn1/index.js';

export const work = mkdtempSync(join(tmpdir(), 'updraft-scep-'));
let n = 0;
export const tmp = (name: string): string => join(work, `${n++}-${name}`);

export function openssl(args: string[], input?: Buffer): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

export interface KeyPair {
  keyFile: string;
  certFile: string;
  certDer: Buffer;
}

/** An RSA key with a self-signed certificate (the SCEP "signer" of a first request). */
export function selfSigned(bits = 2048, cn = 'SCEP test signer'): KeyPair {
  const keyFile = tmp('key.pem');
  const certFile = tmp('cert.pem');
  openssl(['req', '-x509', '-newkey', `rsa:${bits}`, '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', `/CN=${cn}`]);
  return { keyFile, certFile, certDer: new X509Certificate(readFileSync(certFile)).raw };
}

/** A DER CSR for the key, with an optional challengePassword. */
export function csr(keyFile: string, cn: string, challenge: string | null): Buffer {
  const cfg = tmp('req.cnf');
  writeFileSync(
    cfg,
    `[req]\ndistinguished_name = dn\nprompt = no\n${challenge === null ? '' : 'attributes = attrs\n[attrs]\nchallengePassword = ' + challenge + '\n'}[dn]\nCN = ${cn}\n`,
  );
  return openssl(['req', '-new', '-key', keyFile, '-config', cfg, '-outform', 'DER']);
}

export interface RequestOptions {
  csr: Buffer;
  caCertFile: string;
  signer: KeyPair;
  /** openssl cipher flag, e.g. "-aes128", "-des3", "-aes256". */
  cipher?: string;
  messageType?: string;
  transactionId?: string;
  senderNonce?: Buffer;
}

/** A pkiMessage (PKCSReq by default) as a SCEP client sends it. */
export function pkiMessage(opts: RequestOptions): { der: Buffer; transactionId: string; senderNonce: Buffer } {
  const csrFile = tmp('csr.der');
  writeFileSync(csrFile, opts.csr);
  const envelope = openssl(['cms', '-encrypt', '-binary', '-outform', 'DER', opts.cipher ?? '-aes128', '-in', csrFile, opts.caCertFile]);
  const transactionId = opts.transactionId ?? randomBytes(20).toString('hex');
  const senderNonce = opts.senderNonce ?? randomBytes(16);
  const der = signData({
    content: envelope,
    signerCert: opts.signer.certDer,
    signerKey: createPrivateKey(readFileSync(opts.signer.keyFile)),
    digest: 'sha256',
    at: new Date(),
    attributes: [
      attribute(OID.scepMessageType, printable(opts.messageType ?? '19')),
      attribute(OID.scepTransactionId, printable(transactionId)),
      attribute(OID.scepSenderNonce, octets(senderNonce)),
    ],
  });
  return { der, transactionId, senderNonce };
}

export interface CertRep {
  messageType: string | null;
  pkiStatus: string | null;
  failInfo: string | null;
  transactionId: string | null;
  recipientNonce: Buffer | null;
  senderNonce: Buffer | null;
}

/** The SCEP attributes of a CertRep (its signature is checked by openssl in certRepContent). */
export function certRepAttributes(der: Buffer): CertRep {
  const parsed = parseSignedData(der);
  const si = onlySigner(parsed);
  verifySigner(si, parsed.content ?? Buffer.alloc(0), new X509Certificate(si.certDer!).publicKey);
  const { attributes } = si;
  const str = (oid: string) => {
    const v = attributes.get(oid);
    return v ? readText(v, read(v)) : null;
  };
  const oct = (oid: string) => {
    const v = attributes.get(oid);
    const t = v && read(v);
    return v && t && t.tag === 0x04 ? Buffer.from(content(v, t)) : null;
  };
  return {
    messageType: str(OID.scepMessageType),
    pkiStatus: str(OID.scepPkiStatus),
    failInfo: str(OID.scepFailInfo),
    transactionId: str(OID.scepTransactionId),
    recipientNonce: oct(OID.scepRecipientNonce),
    senderNonce: oct(OID.scepSenderNonce),
  };
}

/** openssl verifies the CertRep against the CA and returns its content (the EnvelopedData). */
export function certRepEnvelope(der: Buffer, caCertFile: string): Buffer {
  const f = tmp('certrep.der');
  writeFileSync(f, der);
  return openssl(['cms', '-verify', '-inform', 'DER', '-in', f, '-CAfile', caCertFile, '-purpose', 'any', '-binary']);
}

/** openssl decrypts the CertRep with the signer's key and returns the issued certificate (PEM). */
export function issuedCertificate(der: Buffer, caCertFile: string, signer: KeyPair): string {
  const env = tmp('env.der');
  writeFileSync(env, certRepEnvelope(der, caCertFile));
  const p7 = openssl(['cms', '-decrypt', '-inform', 'DER', '-in', env, '-recip', signer.certFile, '-inkey', signer.keyFile, '-binary']);
  return openssl(['pkcs7', '-inform', 'DER', '-print_certs'], p7).toString();
}

/** `openssl verify` of a certificate against a CA file; returns openssl's output (throws when it fails). */
export function opensslVerify(certPem: string, caCertFile: string): string {
  const f = tmp('issued.pem');
  writeFileSync(f, certPem);
  return openssl(['verify', '-CAfile', caCertFile, f]).toString();
}
