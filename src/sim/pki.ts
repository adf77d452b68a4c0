// Client-side PKI for simulated devices: RSA keys from a shared pool, the self-signed certificate
// and CSR of a SCEP request, and the detached CMS SignedData of an Mdm-Signature, all encoded by hand.
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, sign, type KeyObject } from 'node:crypto';
import { algorithm, children, content, ctx, integer, name, octetBytes, octetString, oid, read, readOid, seq, set, setOf, time, tlv, whole } from '../asn1/index.js';

export const OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha1: '1.3.14.3.2.26',
  ecdsaWithSHA1: '1.2.840.10045.4.1',
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  challengePassword: '1.2.840.113549.1.9.7',
  aes128cbc: '2.16.840.1.101.3.4.1.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
} as const;

/** A pool of identity keys shared by simulated devices (each device still gets its own certificate):
 * RSA 2048 key generation costs ~50-100 ms and every key object holds native memory, so a fleet of
 * thousands draws from a few, made in parallel. The keys are saved with the fleet (PKCS#8 DER,
 * base64) so certificates stay usable after a restart. */
export class KeyPool {
  private readonly keys: Array<Promise<KeyObject> | undefined> = [];
  constructor(readonly type: 'rsa' | 'ec', readonly size: number, saved: Array<string | null> = []) {
    saved.slice(0, size).forEach((der, i) => { if (der) this.keys[i] = Promise.resolve(importKey(der)); });
  }

  key(index: number): Promise<KeyObject> {
    const i = index % this.size;
    this.keys[i] ??= new Promise((resolve, reject) => {
      const done = (err: Error | null, _pub: unknown, priv: KeyObject) => (err ? reject(err) : resolve(priv));
      if (this.type === 'rsa') generateKeyPair('rsa', { modulusLength: 2048 }, done);
      else generateKeyPair('ec', { namedCurve: 'prime256v1' }, done);
    });
    return this.keys[i];
  }

  /** The keys made so far, by position (null where none was needed yet). */
  async export(): Promise<Array<string | null>> {
    const out: Array<string | null> = [];
    for (const k of this.keys) out.push(k ? (await k).export({ type: 'pkcs8', format: 'der' }).toString('base64') : null);
    return out;
  }
}

const importKey = (der: string): KeyObject => createPrivateKey({ key: Buffer.from(der, 'base64'), format: 'der', type: 'pkcs8' });

const isEc = (key: KeyObject) => key.asymmetricKeyType === 'ec';

/** SPKI DER of a pool key, made once per key (every CSR and self-signed certificate needs it). */
const spkiOf = new WeakMap<KeyObject, Buffer>();
const spki = (key: KeyObject): Buffer => {
  let der = spkiOf.get(key);
  if (!der) spkiOf.set(key, (der = createPublicKey(key).export({ type: 'spki', format: 'der' })));
  return der;
};
const bitString = (b: Buffer): Buffer => tlv(0x03, Buffer.from([0]), b);

function signed(tbs: Buffer, key: KeyObject): Buffer {
  return seq(tbs, isEc(key) ? algorithm(OID.ecdsaWithSHA256, null) : algorithm(OID.sha256WithRSA), bitString(sign('sha256', tbs, key)));
}

/** A self-signed certificate for the key (the signer of a first SCEP request). */
export function selfSignedCert(key: KeyObject, cn: string, at: Date): Buffer {
  const subject = name([[OID.commonName, cn]]);
  const tbs = seq(
    ctx(0, integer(2)), integer(Buffer.from(createHash('sha1').update(cn).digest().subarray(0, 8))), algorithm(OID.sha256WithRSA),
    subject, seq(time(new Date(at.getTime() - 3_600_000)), time(new Date(at.getTime() + 86_400_000))), subject, spki(key),
  );
  return signed(tbs, key);
}

/** A certificate for the key issued by a CA (its certificate and key): a device's own identity, as
 * Apple's device CA issues it to every device (what signs an ADE MachineInfo). */
export function issuedCert(key: KeyObject, cn: string, caCertDer: Buffer, caKey: KeyObject, at: Date): Buffer {
  const tbs = children(caCertDer, read(caCertDer, read(caCertDer).start));
  const v = tbs[0].tag === 0xa0 ? 1 : 0;
  const caSubject = whole(caCertDer, tbs[v + 4]);
  const serial = createHash('sha1').update(`device:${cn}`).digest().subarray(0, 8);
  serial[0] &= 0x7f;
  const body = seq(
    ctx(0, integer(2)), integer(serial), isEc(caKey) ? algorithm(OID.ecdsaWithSHA256, null) : algorithm(OID.sha256WithRSA),
    caSubject, seq(time(new Date(at.getTime() - 86_400_000)), time(new Date(at.getTime() + 3650 * 86_400_000))), name([[OID.commonName, cn]]), spki(key),
  );
  return signed(body, caKey);
}

/** A PKCS#10 request with the subject from the profile and its challenge password. */
export function certificationRequest(key: KeyObject, subject: Array<[string, string]>, challenge: string | null): Buffer {
  const attrs = challenge === null ? [] : [seq(oid(OID.challengePassword), set(tlv(0x0c, Buffer.from(challenge))))];
  const info = seq(integer(0), name(subject), spki(key), ctx(0, ...attrs));
  return signed(info, key);
}

/** IssuerAndSerialNumber of a certificate. */
export function issuerAndSerial(certDer: Buffer): Buffer {
  const tbs = children(certDer, read(certDer, read(certDer).start));
  const at = tbs[0].tag === 0xa0 ? 1 : 0;
  return seq(whole(certDer, tbs[at + 2]), whole(certDer, tbs[at]));
}

export interface Attribute { type: string; value: Buffer }

export type Digest = 'sha1' | 'sha256';

/** CMS SignedData (RFC 5652) with signed attributes; detached leaves the content out. SHA-256 unless told
 * SHA-1 (as mdmb signs). */
export function signedData(opts: { content: Buffer; detached: boolean; certDer: Buffer; key: KeyObject; attributes?: Attribute[]; at: Date; digest?: Digest }): Buffer {
  const hash = opts.digest ?? 'sha256';
  const digest = createHash(hash).update(opts.content).digest();
  const attrs = [
    seq(oid(OID.contentType), set(oid(OID.data))),
    seq(oid(OID.signingTime), set(time(opts.at))),
    seq(oid(OID.messageDigest), set(octetString(digest))),
    ...(opts.attributes ?? []).map((a) => seq(oid(a.type), set(a.value))),
  ];
  const attrSet = setOf(attrs);
  const signature = sign(hash, attrSet, opts.key);
  attrSet[0] = 0xa0; // [0] IMPLICIT in the SignerInfo
  const sigAlg = isEc(opts.key) ? algorithm(hash === 'sha1' ? OID.ecdsaWithSHA1 : OID.ecdsaWithSHA256, null) : algorithm(OID.rsaEncryption);
  const digestAlg = algorithm(OID[hash]);
  const signerInfo = seq(integer(1), issuerAndSerial(opts.certDer), digestAlg, attrSet, sigAlg, octetString(signature));
  const encap = opts.detached ? seq(oid(OID.data)) : seq(oid(OID.data), ctx(0, octetString(opts.content)));
  const sd = seq(integer(1), set(digestAlg), encap, ctx(0, opts.certDer), set(signerInfo));
  return seq(oid(OID.signedData), ctx(0, sd));
}

/** What a CMS SignedData holds that a client reads: content, certificates and signed attributes. */
export interface ParsedSignedData {
  content: Buffer | null;
  certificates: Buffer[];
  attributes: Map<string, Buffer>;
}

export function parseSignedData(der: Buffer): ParsedSignedData {
  const [type, wrapped] = children(der, read(der));
  if (!type || !wrapped || readOid(der, type) !== OID.signedData) throw new Error('not a CMS SignedData');
  const parts = children(der, read(der, wrapped.start));
  const encap = children(der, parts[2]);
  let body: Buffer | null = null;
  if (encap[1]) body = Buffer.from(octetBytes(der, read(der, encap[1].start)));
  const certificates: Buffer[] = [];
  const attributes = new Map<string, Buffer>();
  for (const p of parts.slice(3)) {
    if (p.tag === 0xa0) for (const c of children(der, p)) certificates.push(Buffer.from(whole(der, c)));
    const signer = p.tag === 0x31 ? children(der, p)[0] : undefined;
    if (signer) {
      const si = children(der, signer);
      const attrs = si.find((n) => n.tag === 0xa0);
      for (const a of attrs ? children(der, attrs) : []) {
        const [t, vals] = children(der, a);
        attributes.set(readOid(der, t), Buffer.from(content(der, children(der, vals)[0])));
      }
    }
  }
  return { content: body, certificates, attributes };
}

