// Throwaway CAs, device identities and Mdm-Signature headers for identity tests, made with the
// openssl CLI (an independent CMS implementation, so the verifier is tested against real signers).
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { children, expect, read, whole } from '../../src/asn1/index.js';

export type KeyKind = 'ec' | 'rsa';

export interface Identity {
  certPath: string;
  keyPath: string;
  cert: X509Certificate;
  certDer: Buffer;
  /** SHA-256 hex of the certificate DER: what gets bound to an enrollment. */
  hash: string;
}

export interface SignOptions {
  md?: 'sha1' | 'sha256' | 'sha384';
  /** Sign the body itself, without signed attributes. */
  noattr?: boolean;
  /** Identify the signer by subjectKeyIdentifier instead of issuer and serial number. */
  keyid?: boolean;
}

const KEYGEN: Record<KeyKind, string[]> = {
  ec: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  rsa: ['-newkey', 'rsa:2048'],
};

export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'updraft-identity-'));
  #n = 0;

  #openssl(args: string[], input?: Buffer): Buffer {
    return execFileSync('openssl', args, { cwd: this.dir, input, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  #load(certPath: string, keyPath: string): Identity {
    const pem = readFileSync(certPath);
    const cert = new X509Certificate(pem);
    return { certPath, keyPath, cert, certDer: cert.raw, hash: createHash('sha256').update(cert.raw).digest('hex') };
  }

  /** A self-signed CA. */
  ca(name: string, kind: KeyKind = 'ec', keyUsage = 'keyUsage=critical,keyCertSign,cRLSign'): Identity {
    const base = join(this.dir, `ca${++this.#n}`);
    this.#openssl(['req', '-x509', '-new', ...KEYGEN[kind], '-nodes', '-keyout', `${base}.key`, '-out', `${base}.pem`,
      '-subj', `/O=Updraft tests/CN=${name}`, '-days', '3650',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', keyUsage]);
    return this.#load(`${base}.pem`, `${base}.key`);
  }

  /** A device identity issued by `ca`, valid from now for `days` (`signArgs`: more `openssl x509 -req` options). */
  device(ca: Identity, name: string, kind: KeyKind = 'ec', days = 365, signArgs: string[] = []): Identity {
    const base = join(this.dir, `dev${++this.#n}`);
    writeFileSync(`${base}.ext`, 'keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\n');
    this.#openssl(['req', '-new', ...KEYGEN[kind], '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${name}`]);
    this.#openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', ca.certPath, '-CAkey', ca.keyPath, '-set_serial', String(1000 + this.#n),
      '-days', String(days), '-extfile', `${base}.ext`, ...signArgs, '-out', `${base}.pem`]);
    return this.#load(`${base}.pem`, `${base}.key`);
  }

  /** The Mdm-Signature header value (base64 detached CMS) over `body`. */
  sign(id: Identity, body: Buffer | string, opts: SignOptions = {}): string {
    const args = ['cms', '-sign', '-binary', '-outform', 'DER', '-md', opts.md ?? 'sha256', '-signer', id.certPath, '-inkey', id.keyPath];
    if (opts.noattr) args.push('-noattr');
    if (opts.keyid) args.push('-keyid');
    return this.#openssl(args, Buffer.from(body)).toString('base64');
  }

  /**
   * The same kind of header built in-process with node:crypto (SHA-256, signed attributes, issuer and
   * serial): ~100× faster than spawning openssl, for tests that sign many requests.
   */
  signFast(id: Identity, body: Buffer | string): string {
    const key = createPrivateKey(readFileSync(id.keyPath));
    const attrs = tlv(0x31,
      tlv(0x30, oidTlv('1.2.840.113549.1.9.3'), tlv(0x31, oidTlv(DATA))),
      tlv(0x30, oidTlv('1.2.840.113549.1.9.4'), tlv(0x31, tlv(0x04, createHash('sha256').update(body).digest()))));
    const signature = sign('sha256', attrs, key);
    const implicitAttrs = Buffer.from(attrs);
    implicitAttrs[0] = 0xa0;
    const tbsCert = children(id.certDer, expect(read(id.certDer), 0x30, 'Certificate'))[0]!;
    const tbs = children(id.certDer, tbsCert);
    const at = tbs[0].tag === 0xa0 ? 1 : 0;
    const sha256 = tlv(0x30, oidTlv('2.16.840.1.101.3.4.2.1'));
    const sigAlg = tlv(0x30, oidTlv(key.asymmetricKeyType === 'ec' ? '1.2.840.10045.4.3.2' : '1.2.840.113549.1.1.11'));
    const signerInfo = tlv(0x30, INT1, tlv(0x30, whole(id.certDer, tbs[at + 2]), whole(id.certDer, tbs[at])),
      sha256, implicitAttrs, sigAlg, tlv(0x04, signature));
    const signedData = tlv(0x30, INT1, tlv(0x31, sha256), tlv(0x30, oidTlv(DATA)), tlv(0xa0, id.certDer), tlv(0x31, signerInfo));
    return tlv(0x30, oidTlv('1.2.840.113549.1.7.2'), tlv(0xa0, signedData)).toString('base64');
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A time inside a certificate's validity window (a day after it starts). */
export function during(cert: X509Certificate): Date {
  return new Date(Date.parse(cert.validFrom) + 86_400_000);
}

const DATA = '1.2.840.113549.1.7.1';
const INT1 = Buffer.from([0x02, 0x01, 0x01]);

function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const v = Buffer.concat(parts);
  const len = v.length < 0x80 ? [v.length] : v.length < 0x100 ? [0x81, v.length] : [0x82, v.length >> 8, v.length & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), v]);
}

function oidTlv(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [a * 40 + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}
