// PKCS#10 certificate requests: parse, verify the self-signature, and apply the key policy.
// Read with the small DER reader; the parts the CA copies (subject, key, subjectAltName) stay raw DER.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { Asn1Error, children, content, expect, read, readOid, readText, whole } from './asn1.js';
import { SIGNATURE_ALGORITHMS } from './oids.js';

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
    const [typeT, valuesT] = children(der, expect(der, attr, 0x30, 'attribute'));
    const type = readOid(der, typeT!);
    const first = children(der, expect(der, valuesT, 0x31, 'attribute values'))[0];
    if (!first) continue;
    if (type === CHALLENGE_PASSWORD) {
      challenge = readText(der, first);
      if (challenge === null) throw new Asn1Error('challengePassword is not a string');
    } else if (type === EXTENSION_REQUEST) {
      for (const ext of children(der, expect(der, first, 0x30, 'extensionRequest'))) {
        const [idT] = children(der, expect(der, ext, 0x30, 'extension'));
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
    const [infoT, algT, sigT] = children(der, expect(der, read(der), 0x30, 'CertificationRequest'));
    info = expect(der, infoT, 0x30, 'certificationRequestInfo');
    const f = children(der, info);
    expect(der, f[0], 0x02, 'version');
    subject = Buffer.from(whole(der, expect(der, f[1], 0x30, 'subject')));
    spki = Buffer.from(whole(der, expect(der, f[2], 0x30, 'subjectPKInfo')));
    attrsT = f[3] && f[3].tag === 0xa0 ? f[3] : null;
    sigAlg = readOid(der, children(der, expect(der, algT, 0x30, 'signatureAlgorithm'))[0]!);
    const bits = content(der, expect(der, sigT, 0x03, 'signature'));
    if (bits.length < 1 || bits[0] !== 0) throw new Asn1Error('signature BIT STRING');
    signature = bits.subarray(1);
  } catch (e) {
    throw new CsrError(`not a PKCS#10 request (${(e as Error).message})`);
  }
  let key: KeyObject;
  if (knownKey && knownKey.spki.equals(spki)) key = knownKey.key;
  else {
    try {
      key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
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
  const digest = SIGNATURE_ALGORITHMS[sigAlg];
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
