// PKCS#10 certificate requests: parse, verify the self-signature, and apply the key policy; and build
// one (the push certificate request). Read with the small DER reader; the parts the CA copies
// (subject, key, subjectAltName) stay raw DER.
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { Asn1Error, algorithm, children, content, expect, oid, read, readOid, readText, seq, set, integer, tlv, whole } from '../asn1/index.js';
import { SIGNATURE_ALGORITHMS } from './oids.js';
import { publicKeyFromSpki } from './spki.js';

/** Key types and sizes a device identity may use. */
export const KEY_POLICY = { rsaMinBits: 2048, rsaMaxBits: 8192, ecCurves: ['prime256v1', 'secp384r1'] } as const;

const CHALLENGE_PASSWORD = '1.2.840.113549.1.9.7';
const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const SUBJECT_ALT_NAME = '2.5.29.17';

export interface CertRequest {
  /** Subject Name, whole DER. */
  subject: Buffer;
  /** SubjectPublicKeyInfo, whole DER. */
  spki: Buffer;
  publicKey: KeyObject;
  challenge: string | null;
  /** Extensions the CA copies into the certificate (subjectAltName only), each a whole DER Extension. */
  extensions: Buffer[];
  /** e.g. "RSA 2048". */
  keyDescription: string;
}

export class CsrError extends Error {}

interface Attributes {
  challenge: string | null;
  extensions: Buffer[];
}

function readAttributes(der: Buffer, set: ReturnType<typeof read>): Attributes {
  let challenge: string | null = null;
  const extensions: Buffer[] = [];
  for (const attr of children(der, set)) {
    const [typeT, valuesT] = children(der, expect(attr, 0x30, 'attribute'));
    const type = readOid(der, typeT!);
    const first = children(der, expect(valuesT, 0x31, 'attribute values'))[0];
    if (!first) continue;
    if (type === CHALLENGE_PASSWORD) {
      challenge = readText(der, first);
      if (challenge === null) throw new Asn1Error('challengePassword is not a string');
    } else if (type === EXTENSION_REQUEST) {
      for (const ext of children(der, expect(first, 0x30, 'extensionRequest'))) {
        const [idT] = children(der, expect(ext, 0x30, 'extension'));
        if (readOid(der, idT!) === SUBJECT_ALT_NAME) extensions.push(Buffer.from(whole(der, ext)));
      }
    }
  }
  return { challenge, extensions };
}

/** Parses a DER CSR and checks its signature and key; throws CsrError with a reason. */
export function parseCsr(input: Uint8Array, knownKey?: { spki: Buffer; key: KeyObject }): CertRequest {
  const der = Buffer.isBuffer(input) ? input : Buffer.from(input);
  let info, subject: Buffer, spki: Buffer, sigAlg: string, signature: Buffer, attrsT;
  try {
    const [infoT, algT, sigT] = children(der, expect(read(der), 0x30, 'CertificationRequest'));
    info = expect(infoT, 0x30, 'certificationRequestInfo');
    const f = children(der, info);
    expect(f[0], 0x02, 'version');
    subject = Buffer.from(whole(der, expect(f[1], 0x30, 'subject')));
    spki = Buffer.from(whole(der, expect(f[2], 0x30, 'subjectPKInfo')));
    attrsT = f[3] && f[3].tag === 0xa0 ? f[3] : null;
    sigAlg = readOid(der, children(der, expect(algT, 0x30, 'signatureAlgorithm'))[0]!);
    const bits = content(der, expect(sigT, 0x03, 'signature'));
    if (bits.length < 1 || bits[0] !== 0) throw new Asn1Error('signature BIT STRING');
    signature = bits.subarray(1);
  } catch (e) {
    throw new CsrError(`not a PKCS#10 request (${(e as Error).message})`);
  }
  let key: KeyObject;
  if (knownKey && knownKey.spki.equals(spki)) key = knownKey.key;
  else {
    try {
      key = publicKeyFromSpki(spki);
    } catch {
      throw new CsrError('the request carries an unreadable public key');
    }
  }
  const details = key.asymmetricKeyDetails ?? {};
  let keyDescription: string;
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    keyDescription = `RSA ${bits}`;
    if (bits < KEY_POLICY.rsaMinBits || bits > KEY_POLICY.rsaMaxBits)
      throw new CsrError(`RSA key of ${bits} bits is outside ${KEY_POLICY.rsaMinBits}-${KEY_POLICY.rsaMaxBits}`);
  } else if (key.asymmetricKeyType === 'ec') {
    keyDescription = `EC ${details.namedCurve}`;
    if (!(KEY_POLICY.ecCurves as readonly string[]).includes(details.namedCurve ?? '')) throw new CsrError(`EC curve ${details.namedCurve} is not accepted`);
  } else {
    throw new CsrError(`key type ${key.asymmetricKeyType} is not accepted`);
  }
  const digest = SIGNATURE_ALGORITHMS[sigAlg]?.hash;
  if (!digest) throw new CsrError(`unsupported request signature algorithm ${sigAlg}`);
  let ok = false;
  try {
    ok = verify(digest, whole(der, info), key, signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new CsrError('the request signature does not verify');
  let attrs: Attributes = { challenge: null, extensions: [] };
  try {
    if (attrsT) attrs = readAttributes(der, attrsT);
  } catch (e) {
    throw new CsrError(`unreadable request attributes (${(e as Error).message})`);
  }
  return { subject, spki, publicKey: key, challenge: attrs.challenge, extensions: attrs.extensions, keyDescription };
}

/** Subject attribute types a built request may carry, with the ASN.1 string type each is written as. */
const NAME_ATTRIBUTES = {
  C: { oid: '2.5.4.6', tag: 0x13 }, // PrintableString
  O: { oid: '2.5.4.10', tag: 0x0c }, // UTF8String
  CN: { oid: '2.5.4.3', tag: 0x0c },
  emailAddress: { oid: '1.2.840.113549.1.9.1', tag: 0x16 }, // IA5String
} as const;
export type NameAttribute = keyof typeof NAME_ATTRIBUTES;

const SIGNING = { rsa: { digest: 'sha256', oid: '1.2.840.113549.1.1.11', params: undefined }, ec: { digest: 'sha256', oid: '1.2.840.10045.4.3.2', params: null } } as const;

/** A DER PKCS#10 request for the key, subject attributes in the order given, no attributes; signed with SHA-256. */
export function buildCsr(key: KeyObject, subject: Array<[NameAttribute, string]>): Buffer {
  const type = key.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ec') throw new CsrError(`cannot sign a request with a ${type} key`);
  const name = seq(
    ...subject.map(([attr, value]) => {
      const a = NAME_ATTRIBUTES[attr];
      return set(seq(oid(a.oid), tlv(a.tag, Buffer.from(value, a.tag === 0x0c ? 'utf8' : 'latin1'))));
    }),
  );
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  const info = seq(integer(0), name, spki, tlv(0xa0));
  const s = SIGNING[type];
  const signature = sign(s.digest, info, key);
  return seq(info, algorithm(s.oid, s.params), tlv(0x03, Buffer.from([0]), signature));
}

export const csrPem = (der: Buffer): string =>
  `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE REQUEST-----\n`;
