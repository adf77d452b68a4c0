// The mdmcert.download flow for admins without an MDM vendor certificate: the service signs the push
// CSR with its vendor certificate and emails back the portal request, encrypted (CMS EnvelopedData,
// hex text) to a certificate we sent along. Request shape and reply format: see portal-facts.ts.
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { openEnveloped } from '../pki/cms/index.js';
import { CmsError } from '../pki/cms/index.js';
import { csrPem } from '../pki/csr.js';
import { certParts } from '../pki/x509-der.js';
import { PushCertError } from './cert.js';
import { MDMCERT_DOWNLOAD } from './portal-facts.js';
import { readPushRequest, type PortalRequest } from './portal-request.js';

export interface SignRequestBody {
  csr: string;
  email: string;
  key: string;
  encrypt: string;
}

/** The JSON the service takes: the PEM CSR and the PEM exchange certificate, each base64 encoded. */
export function signRequestBody(csrDer: Buffer, email: string, exchangeCertPem: string, apiKey: string = MDMCERT_DOWNLOAD.apiKey): SignRequestBody {
  return {
    csr: Buffer.from(csrPem(csrDer)).toString('base64'),
    email,
    key: apiKey,
    encrypt: Buffer.from(exchangeCertPem).toString('base64'),
  };
}

/** Posts the request; resolves when the service says "success", else throws its reason. */
export async function sendSignRequest(body: SignRequestBody, url: string = MDMCERT_DOWNLOAD.url): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'updraft-pushcert' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new PushCertError(`cannot reach mdmcert.download at ${url} (${cause})`);
  }
  const text = await res.text();
  type Answer = { result?: unknown; reason?: unknown } | null;
  let answer: Answer = null;
  try {
    answer = JSON.parse(text) as Answer;
  } catch {
    // not JSON: reported below
  }
  if (res.status !== 200 || !answer) {
    throw new PushCertError(`mdmcert.download answered ${res.status}${answer?.reason ? `: ${String(answer.reason)}` : text ? `: ${text.slice(0, 200)}` : ''}`);
  }
  if (answer.result !== MDMCERT_DOWNLOAD.success) {
    const reason = typeof answer.reason === 'string' ? answer.reason : JSON.stringify(answer);
    throw new PushCertError(`mdmcert.download refused the request: ${reason} (register the address at ${MDMCERT_DOWNLOAD.site} first)`);
  }
}

export interface OpenedReply {
  /** The base64 request text to upload at the portal. */
  text: string;
  request: PortalRequest;
}

/** Decrypts the emailed reply with the exchange identity and checks that it holds a portal request. */
export function openReply(file: Buffer, exchange: { certPem: string; keyPem: string }): OpenedReply {
  const hex = file.toString('latin1').replace(/\s+/g, '');
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) {
    throw new PushCertError('not an mdmcert.download reply: it should be hex text (the …plist.b64.p7 file from the email)');
  }
  const key = createPrivateKey(exchange.keyPem);
  const cert = certParts(new X509Certificate(exchange.certPem).raw);
  const rejectionSecret = createHash('sha256').update('updraft-mdmcert-exchange').update(key.export({ format: 'der', type: 'pkcs8' })).digest();
  let content: Buffer;
  try {
    content = openEnveloped(Buffer.from(hex, 'hex'), [{ cert, key, rejectionSecret }]).content;
  } catch (err) {
    if (!(err instanceof CmsError)) throw err;
    const why = err.problem === 'malformed' ? `it is not an encrypted message (${err.message})` : 'it was not encrypted to the exchange certificate of the pending request';
    throw new PushCertError(`cannot open the mdmcert.download reply: ${why}`);
  }
  let text = content.toString('utf8').trim();
  // The service sends the base64 request (…plist.b64); should a reply ever carry the plist itself, upload its base64.
  if (text.startsWith('<?xml')) text = content.toString('base64');
  return { text, request: readPushRequest(text) };
}
