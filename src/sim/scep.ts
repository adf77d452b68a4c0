// A SCEP client (RFC 8894) as a device runs it from the enrollment profile's SCEP payload:
// GetCACert, then a PKCSReq (CSR enveloped to the CA with AES-128-CBC, signed with a
// self-signed certificate), then the CertRep opened with the device's key.
import { constants, createCipheriv, createDecipheriv, privateDecrypt, publicEncrypt, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { algorithm, children, content, ctx, integer, octetBytes, octetString, oid, printableString, read, readOid, seq, set, tlv } from '../asn1/index.js';
import { certificationRequest, issuerAndSerial, OID, parseSignedData, selfSignedCert, signedData } from './pki.js';
import type { Http } from './http.js';

const SCEP = {
  messageType: '2.16.840.1.113733.1.9.2',
  pkiStatus: '2.16.840.1.113733.1.9.3',
  failInfo: '2.16.840.1.113733.1.9.4',
  senderNonce: '2.16.840.1.113733.1.9.5',
  transactionId: '2.16.840.1.113733.1.9.7',
} as const;
const PKCS_REQ = '19';
const FAIL_INFO: Record<string, string> = { '0': 'badAlg', '1': 'badMessageCheck', '2': 'badRequest', '3': 'badTime', '4': 'badCertId' };

export class ScepError extends Error {
  override name = 'ScepError';
}

export interface ScepRequest {
  url: string;
  /** The identity key (RSA or EC) the certificate is requested for. */
  key: KeyObject;
  /** An RSA key that signs the request and receives the reply (the identity key when it is RSA). */
  signerKey: KeyObject;
  subject: Array<[string, string]>;
  challenge: string | null;
  cn: string;
  at: Date;
}

/** The public key of the last recipient (the CA every device of a fleet enrolls with): parsed once,
 * not an X509Certificate per enrollment. */
let recipient: { der: Buffer; key: KeyObject } | null = null;
function recipientKey(der: Buffer): KeyObject {
  if (!recipient?.der.equals(der)) recipient = { der: Buffer.from(der), key: new X509Certificate(der).publicKey };
  return recipient.key;
}

/** EnvelopedData for one recipient certificate: RSA PKCS#1 v1.5 key transport, AES-128-CBC content. */
export function envelope(content: Buffer, recipientDer: Buffer): Buffer {
  const cek = randomBytes(16);
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-cbc', cek, iv);
  const encrypted = Buffer.concat([cipher.update(content), cipher.final()]);
  const encKey = publicEncrypt({ key: recipientKey(recipientDer), padding: constants.RSA_PKCS1_PADDING }, cek);
  const ktri = seq(integer(0), issuerAndSerial(recipientDer), algorithm(OID.rsaEncryption), octetString(encKey));
  const eci = seq(oid(OID.data), algorithm(OID.aes128cbc, octetString(iv)), tlv(0x80, encrypted));
  return seq(oid(OID.envelopedData), ctx(0, seq(integer(0), set(ktri), eci)));
}

const CIPHERS: Record<string, string> = {
  [OID.aes128cbc]: 'aes-128-cbc',
  '2.16.840.1.101.3.4.1.22': 'aes-192-cbc',
  '2.16.840.1.101.3.4.1.42': 'aes-256-cbc',
  '1.2.840.113549.3.7': 'des-ede3-cbc',
  '1.3.14.3.2.7': 'des-cbc', // micromdm/scep's CertRep (bench/nanomdm.ts); OpenSSL 3 needs node --openssl-legacy-provider
};

/** Opens an EnvelopedData addressed to our key (PKCS#1 v1.5 unpadded by hand: Node refuses it in privateDecrypt). */
export function openEnvelope(der: Buffer, key: KeyObject): Buffer {
  const ed = children(der, read(der, children(der, read(der))[1].start));
  const ktri = children(der, children(der, ed[1])[0]);
  const block = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, content(der, ktri[3]));
  const sep = block.indexOf(0, 2);
  if (block[0] !== 0 || block[1] !== 2 || sep < 10) throw new ScepError('CertRep key transport does not decrypt with our key');
  const cek = block.subarray(sep + 1);
  const eci = children(der, ed[2]);
  const alg = children(der, eci[1]);
  const cipherName = CIPHERS[readOid(der, alg[0])];
  if (!cipherName) throw new ScepError(`CertRep uses an unknown cipher ${readOid(der, alg[0])}`);
  const decipher = createDecipheriv(cipherName, cek, content(der, alg[1]));
  return Buffer.concat([decipher.update(octetBytes(der, eci[2])), decipher.final()]);
}

/** Enrolls for an identity certificate (GetCACert, then PKIOperation); returns its DER. */
export async function scepEnroll(http: Http, req: ScepRequest): Promise<Buffer> {
  return pkiOperation(http, req, await getCaCert(http, req.url));
}

/** GetCACaps, as a device asks first (the simulator needs none of the answer). */
export async function getCaCaps(http: Http, url: string): Promise<string> {
  const res = await http.request('GET', `${url}?operation=GetCACaps`);
  if (res.status !== 200) throw new ScepError(`GetCACaps answered ${res.status}`);
  return res.body.toString('utf8');
}

/** GetCACert: the certificate requests are enveloped to (the CA, or the first of a CA/RA pair). */
export async function getCaCert(http: Http, url: string): Promise<Buffer> {
  const caRes = await http.request('GET', `${url}?operation=GetCACert&message=device`);
  if (caRes.status !== 200) throw new ScepError(`GetCACert answered ${caRes.status}`);
  return caRes.body[0] === 0x30 && caRes.headers['content-type'] !== 'application/x-x509-ca-ra-cert'
    ? caRes.body : parseSignedData(caRes.body).certificates[0];
}

/** PKIOperation: a PKCSReq enveloped to `caDer`; returns the issued certificate's DER. */
export async function pkiOperation(http: Http, req: ScepRequest, caDer: Buffer): Promise<Buffer> {
  const signerCert = selfSignedCert(req.signerKey, req.cn, req.at);
  const csr = certificationRequest(req.key, req.subject, req.challenge);
  const transactionId = randomBytes(20).toString('hex');
  const message = signedData({
    content: envelope(csr, caDer), detached: false, certDer: signerCert, key: req.signerKey, at: req.at,
    attributes: [
      { type: SCEP.messageType, value: printableString(PKCS_REQ) },
      { type: SCEP.transactionId, value: printableString(transactionId) },
      { type: SCEP.senderNonce, value: octetString(randomBytes(16)) },
    ],
  });
  const res = await http.request('POST', `${req.url}?operation=PKIOperation`, message, { 'content-type': 'application/x-pki-message' });
  if (res.status !== 200) throw new ScepError(`PKIOperation answered ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`);
  const rep = parseSignedData(res.body);
  const status = rep.attributes.get(SCEP.pkiStatus)?.toString('ascii');
  if (status !== '0') {
    const fail = rep.attributes.get(SCEP.failInfo)?.toString('ascii') ?? '';
    throw new ScepError(`SCEP request refused (pkiStatus ${status}, failInfo ${FAIL_INFO[fail] ?? fail})`);
  }
  if (!rep.content) throw new ScepError('CertRep SUCCESS carries no certificate');
  const certs = parseSignedData(openEnvelope(rep.content, req.signerKey)).certificates;
  if (!certs[0]) throw new ScepError('CertRep SUCCESS carries no certificate');
  return certs[0];
}
