// Server token PKI: the RSA key pair and self-signed certificate an admin uploads to Apple
// Business/School Manager, and the server token (.p7m) Apple encrypts to it: S/MIME EnvelopedData
// (MIME headers and a base64 body; `openssl smime -outform PEM` and DER are taken too) whose content
// holds the OAuth JSON between -----BEGIN MESSAGE----- and -----END MESSAGE-----.
// The CMS work is src/pki's (the same EnvelopedData code SCEP opens requests with).
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { buildCertificate, simpleName } from '../pki/certificate.js';
import { asn1X509 } from '../pki/peculiar.js';
import { spkiOf } from '../pki/ca.js';
import { CmsError, openEnveloped, seal } from '../pki/cms/index.js';
import { cipherByName } from '../pki/symmetric.js';
import { certParts } from '../pki/x509-der.js';
import { certPem, keyPem } from '../pki/pem.js';
import type { OAuth1Tokens, TokenPki } from './types.js';

/** NanoDEP's defaults for GET /v1/tokenpki: CN "depserver", valid 1 day (the upload is immediate). */
export const TOKENPKI_DEFAULT_CN = 'depserver';
export const TOKENPKI_DEFAULT_DAYS = 1;

/** A bad token file or key pair: the API answers it 4xx with this message, storing nothing. */
export class DepTokenError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'DepTokenError';
  }
}

/** A fresh RSA 2048 key pair and a self-signed certificate (keyEncipherment) for it. */
export function makeTokenPki(opts: { commonName?: string; validityDays?: number; now?: Date } = {}): TokenPki {
  const now = opts.now ?? new Date();
  const days = opts.validityDays ?? TOKENPKI_DEFAULT_DAYS;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const subject = simpleName([['2.5.4.3', opts.commonName || TOKENPKI_DEFAULT_CN]]);
  const spki = spkiOf(publicKey);
  const der = buildCertificate(
    {
      subject,
      publicKey: spki,
      notBefore: new Date(now.getTime() - 600_000),
      notAfter: new Date(now.getTime() + days * 86_400_000),
      isCA: false,
      keyUsage: asn1X509().KeyUsageFlags.keyEncipherment | asn1X509().KeyUsageFlags.digitalSignature,
    },
    { subject, publicKey: spki, key: privateKey },
  );
  return { certPem: certPem(der), keyPem: keyPem(privateKey) };
}

/** The EnvelopedData DER in a token file: MIME (headers, blank line, base64), PEM, bare base64 or DER. */
export function tokenFileDer(file: Buffer): Buffer {
  if (file.length === 0) throw new DepTokenError('the token file is empty');
  if (file[0] === 0x30) return file;
  const text = file.toString('latin1');
  const pem = /-----BEGIN (?:PKCS7|CMS|PKCS #7 SIGNED DATA)-----([\s\S]*?)-----END [^-]+-----/.exec(text);
  let b64: string;
  if (pem) b64 = pem[1]!;
  else {
    // MIME: the body after the first blank line (headers present), else the whole text.
    const split = /\r?\n\r?\n/.exec(text);
    const hasHeaders = /^[A-Za-z-]+:/.test(text.trimStart());
    b64 = hasHeaders && split ? text.slice(split.index + split[0].length) : text;
  }
  b64 = b64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new DepTokenError('not a server token file: expected the .p7m Apple Business Manager downloads (S/MIME, base64 body)');
  const der = Buffer.from(b64, 'base64');
  if (der[0] !== 0x30) throw new DepTokenError('not a server token file: its body is not a CMS message');
  return der;
}

const MESSAGE = /-----BEGIN MESSAGE-----([\s\S]*?)-----END MESSAGE-----/;

/** The OAuth tokens of a decrypted token's content (the inner BEGIN/END MESSAGE JSON). */
export function tokensFromContent(content: Buffer): OAuth1Tokens {
  const text = content.toString('utf8');
  const inner = MESSAGE.exec(text)?.[1] ?? text.slice(text.indexOf('{'));
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(inner.trim()) as Record<string, unknown>;
  } catch {
    throw new DepTokenError('the token decrypted but holds no JSON message (-----BEGIN MESSAGE----- … -----END MESSAGE-----)');
  }
  return checkTokens(j);
}

/** Checks a tokens object as NanoDEP's /v1/tokens takes it: the four secrets present, the expiry a time. */
export function checkTokens(j: unknown): OAuth1Tokens {
  if (!j || typeof j !== 'object') throw new DepTokenError('tokens must be a JSON object');
  const o = j as Record<string, unknown>;
  const missing = ['consumer_key', 'consumer_secret', 'access_token', 'access_secret'].filter((k) => typeof o[k] !== 'string' || o[k] === '');
  if (missing.length) throw new DepTokenError(`the tokens lack ${missing.join(', ')}`);
  const expiry = typeof o.access_token_expiry === 'string' ? o.access_token_expiry : '';
  if (expiry && Number.isNaN(Date.parse(expiry))) throw new DepTokenError(`access_token_expiry is not a time: ${JSON.stringify(expiry)}`);
  return {
    consumer_key: o.consumer_key as string,
    consumer_secret: o.consumer_secret as string,
    access_token: o.access_token as string,
    access_secret: o.access_secret as string,
    access_token_expiry: expiry ? new Date(Date.parse(expiry)).toISOString().replace('.000Z', 'Z') : '',
  };
}

/** Decrypts a server token file with the key pair it was encrypted to. */
export function decryptTokenFile(file: Buffer, pki: TokenPki): OAuth1Tokens {
  const der = tokenFileDer(file);
  let key, cert;
  try {
    key = createPrivateKey(pki.keyPem);
    cert = certParts(new X509Certificate(pki.certPem).raw);
  } catch (err) {
    throw new DepTokenError(`the token key pair is unreadable (${(err as Error).message})`, 500);
  }
  const rejectionSecret = createHash('sha256').update('updraft-dep-token').update(key.export({ format: 'der', type: 'pkcs8' })).digest();
  let content: Buffer;
  try {
    content = openEnveloped(der, [{ cert, key, rejectionSecret }]).content;
  } catch (err) {
    if (!(err instanceof CmsError)) throw err;
    if (err.problem === 'malformed') throw new DepTokenError(`the token file is corrupt (${err.message})`);
    if (err.problem === 'badAlg') throw new DepTokenError(`the token file uses an unsupported algorithm (${err.message})`);
    throw new DepTokenError('the token was not encrypted to this DEP name\'s certificate: download it again in ABM after uploading the certificate `updraft dep tokenpki` made (a token for an older certificate, or another server\'s, cannot be opened)');
  }
  return tokensFromContent(content);
}

/** A server token file as ABM makes it (for the fake DEP service, tests and the demo). */
export function sealTokenFile(tokens: OAuth1Tokens, certPemText: string): string {
  const x = new X509Certificate(certPemText);
  const parts = certParts(x.raw);
  const inner =
    'Content-Type: text/plain;charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n' +
    `-----BEGIN MESSAGE-----\n${JSON.stringify(tokens)}\n-----END MESSAGE-----\n`;
  const der = seal(Buffer.from(inner), { issuerAndSerial: parts.issuerAndSerial, publicKey: createPublicKey(x.publicKey.export({ format: 'pem', type: 'spki' })) }, cipherByName('aes-256-cbc'));
  return (
    'Content-Type: application/pkcs7-mime; name="smime.p7m"; smime-type=enveloped-data\r\n' +
    'Content-Transfer-Encoding: base64\r\n' +
    'Content-Disposition: attachment; filename="smime.p7m"\r\n' +
    'Content-Description: S/MIME Encrypted Message\r\n\r\n' +
    der.toString('base64').replace(/.{1,76}/g, '$&\r\n')
  );
}
