// X.509 certificate construction, signed with node:crypto (RSA, SHA-256).
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { Extension, KeyUsageFlags, Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { asn1Schema, asn1X509 } from './peculiar.js';
import { ab, buf } from './der.js';

const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';

export interface CertificateSpec {
  subject: Name;
  publicKey: SubjectPublicKeyInfo;
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  keyUsage: KeyUsageFlags;
  extKeyUsage?: string[];
  /** Further extensions copied from a request (e.g. subjectAltName). */
  extensions?: Extension[];
}

export interface Issuer {
  subject: Name;
  publicKey: SubjectPublicKeyInfo;
  /** The issuer certificate's subjectKeyIdentifier, when it has one (becomes the authorityKeyIdentifier). */
  keyId?: Buffer | null;
  key: KeyObject;
}

const ext = (extnID: string, critical: boolean, value: object): Extension =>
  new (asn1X509().Extension)({ extnID, critical, extnValue: new (asn1Schema().OctetString)(asn1Schema().AsnConvert.serialize(value)) });

/** SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2 method 1). */
export const keyIdentifier = (spki: SubjectPublicKeyInfo): Buffer =>
  createHash('sha1').update(buf(spki.subjectPublicKey)).digest();

/** A positive 128-bit serial number. */
function serialNumber(): ArrayBuffer {
  const s = randomBytes(16);
  s[0] &= 0x7f;
  s[0] |= 0x01;
  return ab(s);
}

/** Builds a certificate and signs it with the issuer's key (pass the subject's own key and name to self-sign). */
export function buildCertificate(spec: CertificateSpec, issuer: Issuer): Buffer {
  const { AsnConvert } = asn1Schema();
  const {
    AlgorithmIdentifier, AuthorityKeyIdentifier, BasicConstraints, Certificate, ExtendedKeyUsage, Extensions, KeyIdentifier, KeyUsage, SubjectKeyIdentifier,
    TBSCertificate, Validity, Version, id_ce_authorityKeyIdentifier, id_ce_basicConstraints, id_ce_extKeyUsage, id_ce_keyUsage, id_ce_subjectKeyIdentifier,
  } = asn1X509();
  const extensions = [
    ext(id_ce_basicConstraints, true, new BasicConstraints({ cA: spec.isCA })),
    ext(id_ce_keyUsage, true, new KeyUsage(spec.keyUsage)),
    ...(spec.extKeyUsage ? [ext(id_ce_extKeyUsage, false, new ExtendedKeyUsage(spec.extKeyUsage))] : []),
    ext(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(ab(keyIdentifier(spec.publicKey)))),
    ext(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(ab(issuer.keyId ?? keyIdentifier(issuer.publicKey))) })),
    ...(spec.extensions ?? []),
  ];
  const signatureAlgorithm = new AlgorithmIdentifier({ algorithm: SHA256_WITH_RSA, parameters: null });
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialNumber(),
    signature: signatureAlgorithm,
    issuer: issuer.subject,
    validity: new Validity({ notBefore: spec.notBefore, notAfter: spec.notAfter }),
    subject: spec.subject,
    subjectPublicKeyInfo: spec.publicKey,
    extensions: new Extensions(extensions),
  });
  const signature = sign('sha256', buf(AsnConvert.serialize(tbs)), issuer.key);
  return buf(AsnConvert.serialize(new Certificate({ tbsCertificate: tbs, signatureAlgorithm, signatureValue: ab(signature) })));
}

/** A Name from [type OID, value] pairs, one attribute per RDN, values as UTF8String. */
export function simpleName(parts: Array<[string, string]>): Name {
  const { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } = asn1X509();
  return new Name(
    parts.map(([type, value]) => new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) })])),
  );
}
