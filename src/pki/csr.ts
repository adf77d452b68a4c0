// PKCS#10 certificate requests: parse, verify the self-signature, and apply the key policy.
import 'reflect-metadata';
import { createPublicKey, verify } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { Extension, Name, SubjectPublicKeyInfo, id_ce_subjectAltName } from '@peculiar/asn1-x509';
import { ChallengePassword, ExtensionRequest, id_pkcs9_at_challengePassword, id_pkcs9_at_extensionRequest } from '@peculiar/asn1-pkcs9';
import { SIGNATURE_ALGORITHMS } from './oids.js';
import { ab, buf } from './der.js';

/** Key types and sizes a device identity may use. */
export const KEY_POLICY = { rsaMinBits: 2048, rsaMaxBits: 8192, ecCurves: ['prime256v1', 'secp384r1'] } as const;

export interface CertRequest {
  subject: Name;
  publicKey: SubjectPublicKeyInfo;
  challenge: string | null;
  /** Extensions the CA copies into the certificate (subjectAltName only). */
  extensions: Extension[];
  /** e.g. "RSA 2048". */
  keyDescription: string;
}

export class CsrError extends Error {}

function challengeOf(csr: CertificationRequest): string | null {
  const attr = csr.certificationRequestInfo.attributes.find((a) => a.type === id_pkcs9_at_challengePassword);
  if (!attr || attr.values.length === 0) return null;
  const cp = AsnConvert.parse(attr.values[0], ChallengePassword);
  return cp.toString();
}

function requestedExtensions(csr: CertificationRequest): Extension[] {
  const attr = csr.certificationRequestInfo.attributes.find((a) => a.type === id_pkcs9_at_extensionRequest);
  if (!attr || attr.values.length === 0) return [];
  return AsnConvert.parse(attr.values[0], ExtensionRequest).filter((e) => e.extnID === id_ce_subjectAltName);
}

/** Parses a DER CSR and checks its signature and key; throws CsrError with a reason. */
export function parseCsr(der: Uint8Array): CertRequest {
  let csr: CertificationRequest;
  try {
    csr = AsnConvert.parse(ab(der), CertificationRequest);
  } catch (e) {
    throw new CsrError(`not a PKCS#10 request (${(e as Error).message})`);
  }
  const info = csr.certificationRequestInfo;
  const spkiDer = buf(AsnConvert.serialize(info.subjectPKInfo));
  let key;
  try {
    key = createPublicKey({ key: spkiDer, format: 'der', type: 'spki' });
  } catch {
    throw new CsrError('the request carries an unreadable public key');
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
  const sigAlg = csr.signatureAlgorithm.algorithm;
  const digest = SIGNATURE_ALGORITHMS[sigAlg];
  if (!digest) throw new CsrError(`unsupported request signature algorithm ${sigAlg}`);
  if (!csr.certificationRequestInfoRaw || !verify(digest, buf(csr.certificationRequestInfoRaw), key, buf(csr.signature)))
    throw new CsrError('the request signature does not verify');
  let challenge: string | null;
  let extensions: Extension[];
  try {
    challenge = challengeOf(csr);
    extensions = requestedExtensions(csr);
  } catch (e) {
    throw new CsrError(`unreadable request attributes (${(e as Error).message})`);
  }
  return { subject: info.subject, publicKey: info.subjectPKInfo, challenge, extensions, keyDescription };
}
