// Bridges between Buffers and the @peculiar ASN.1 object model the CA's certificate issuing uses.
import type { Certificate } from '@peculiar/asn1-x509';
import { asn1Schema, asn1X509 } from './peculiar.js';

export const buf = (ab: ArrayBuffer | ArrayBufferView): Buffer =>
  ArrayBuffer.isView(ab) ? Buffer.from(ab.buffer, ab.byteOffset, ab.byteLength) : Buffer.from(ab);

/** A fresh ArrayBuffer holding exactly these bytes (asn1 libraries want ArrayBuffers). */
export const ab = (b: Uint8Array): ArrayBuffer => {
  const out = new ArrayBuffer(b.byteLength);
  new Uint8Array(out).set(b);
  return out;
};

export const parseCertificate = (der: Uint8Array): Certificate => asn1Schema().AsnConvert.parse(ab(der), asn1X509().Certificate);

/** The certificate's subjectKeyIdentifier extension value, or null. */
export function subjectKeyId(cert: Certificate): Buffer | null {
  const { id_ce_subjectKeyIdentifier, SubjectKeyIdentifier } = asn1X509();
  const ext = cert.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_subjectKeyIdentifier);
  return ext ? buf(asn1Schema().AsnConvert.parse(ext.extnValue.buffer, SubjectKeyIdentifier).buffer) : null;
}
