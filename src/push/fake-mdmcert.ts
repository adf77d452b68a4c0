// A fake mdmcert.download for tests and demos (never the internet): POST /api/v1/signrequest takes the
// JSON MicroMDM's mdmctl sends, signs the CSR with a stand-in vendor identity as the real service
// signs with its MDM vendor certificate, and "emails" the portal request: hex text of a CMS
// EnvelopedData to the certificate the request carried, kept in a mailbox per address.
import http from 'node:http';
import { X509Certificate, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { KeyUsageFlags } from '@peculiar/asn1-x509';
import { buildCertificate, simpleName } from '../pki/certificate.js';
import { spkiOf } from '../pki/ca.js';
import { seal } from '../pki/cms/index.js';
import { parseCsr, CsrError } from '../pki/csr.js';
import { cipherByName } from '../pki/symmetric.js';
import { certParts } from '../pki/x509-der.js';
import { MDMCERT_DOWNLOAD } from './portal-facts.js';
import { signPushRequest } from './portal-request.js';
import type { VendorIdentity } from './vendor.js';

export const FAKE_SIGN_PATH = new URL(MDMCERT_DOWNLOAD.url).pathname;

export interface FakeMdmcertOptions {
  /** The API key it accepts (default: MDMCERT_DOWNLOAD.apiKey). */
  apiKey?: string;
  /** Addresses it knows; others are refused as the service refuses unregistered ones. Default: any. */
  registered?: string[];
  /** Who signs; default a stand-in vendor identity made at start. */
  vendor?: VendorIdentity;
  /** Content cipher of the reply (default aes-256-cbc). */
  cipher?: string;
}

export interface ReceivedSignRequest {
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

const DAY_MS = 86_400_000;

/** A vendor identity shaped like Apple's: "MDM Vendor: …" under a "Apple Worldwide Developer Relations…" CA under a root. */
export function makeStandInVendor(now = new Date()): VendorIdentity {
  const names = ['Updraft Test Root CA', 'Apple Worldwide Developer Relations Certification Authority', 'MDM Vendor: Updraft Test'];
  let issuer: { subject: ReturnType<typeof simpleName>; spki: ReturnType<typeof spkiOf>; key: KeyObject } | null = null;
  const certs: X509Certificate[] = [];
  let leafKey: KeyObject | null = null;
  for (const [i, cn] of names.entries()) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const subject = simpleName([['2.5.4.10', 'Updraft test, not Apple'], ['2.5.4.3', cn]]);
    const spki = spkiOf(publicKey);
    const leaf = i === names.length - 1;
    const der = buildCertificate(
      {
        subject,
        publicKey: spki,
        notBefore: new Date(now.getTime() - DAY_MS),
        notAfter: new Date(now.getTime() + 365 * DAY_MS),
        isCA: !leaf,
        keyUsage: leaf ? KeyUsageFlags.digitalSignature : KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign,
      },
      issuer ? { subject: issuer.subject, publicKey: issuer.spki, key: issuer.key } : { subject, publicKey: spki, key: privateKey },
    );
    certs.unshift(new X509Certificate(der));
    issuer = { subject, spki, key: privateKey };
    leafKey = privateKey;
  }
  const [cert, ...chain] = certs;
  return { cert: cert!, key: leafKey!, chain };
}

function refuse(res: http.ServerResponse, status: number, reason: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ result: 'failure', reason }));
}

export class FakeMdmcertDownload {
  readonly requests: ReceivedSignRequest[] = [];
  /** The "emailed" replies, hex text, by address (newest last). */
  readonly mailbox = new Map<string, string[]>();

  private constructor(
    private readonly server: http.Server,
    readonly vendor: VendorIdentity,
    private readonly opts: FakeMdmcertOptions,
  ) {}

  /** The sign request URL, for `--url`. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${FAKE_SIGN_PATH}`;
  }

  static async start(opts: FakeMdmcertOptions = {}): Promise<FakeMdmcertDownload> {
    const server = http.createServer();
    const fake = new FakeMdmcertDownload(server, opts.vendor ?? makeStandInVendor(), opts);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => fake.handle(req, res, Buffer.concat(chunks)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** The newest reply mailed to the address. */
  lastMail(email: string): string | undefined {
    return this.mailbox.get(email)?.at(-1);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer): void {
    if (req.method !== 'POST' || req.url !== FAKE_SIGN_PATH) return refuse(res, 404, 'not found');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      return refuse(res, 400, 'body is not JSON');
    }
    this.requests.push({ headers: req.headers, body });
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return refuse(res, 400, 'expected application/json');
    const fields = MDMCERT_DOWNLOAD.requestFields;
    if (typeof body !== 'object' || body === null || fields.some((f) => typeof body[f] !== 'string') || Object.keys(body).length !== fields.length) {
      return refuse(res, 400, `expected exactly the string fields ${fields.join(', ')}`);
    }
    const { csr, email, key, encrypt } = body as Record<(typeof fields)[number], string>;
    if (key !== (this.opts.apiKey ?? MDMCERT_DOWNLOAD.apiKey)) return refuse(res, 200, 'Invalid API key');
    if (this.opts.registered && !this.opts.registered.includes(email)) {
      return refuse(res, 200, `Invalid email address. Have you registered yet at ${MDMCERT_DOWNLOAD.site}?`);
    }
    let csrDer: Buffer;
    let recipient: X509Certificate;
    try {
      const csrPem = Buffer.from(csr, 'base64').toString('utf8');
      if (!csrPem.startsWith('-----BEGIN CERTIFICATE REQUEST-----')) throw new CsrError('csr is not a base64 PEM CSR');
      csrDer = Buffer.from(csrPem.replace(/-----[A-Z ]+-----|\s+/g, ''), 'base64');
      parseCsr(csrDer);
      recipient = new X509Certificate(Buffer.from(encrypt, 'base64').toString('utf8'));
    } catch (err) {
      return refuse(res, 200, `bad request: ${(err as Error).message}`);
    }
    const request = signPushRequest(csrDer, this.vendor, 'sha256');
    const enveloped = seal(Buffer.from(request), { issuerAndSerial: certParts(recipient.raw).issuerAndSerial, publicKey: recipient.publicKey }, cipherByName(this.opts.cipher ?? 'aes-256-cbc'));
    this.mailbox.set(email, [...(this.mailbox.get(email) ?? []), enveloped.toString('hex')]);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result: MDMCERT_DOWNLOAD.success }));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
