// Small DER helpers: attribute values, byte conversions and certificate identity.
import 'reflect-metadata';
import * as asn1js from 'asn1js';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Certificate, SubjectKeyIdentifier, id_ce_subjectKeyIdentifier } from '@peculiar/asn1-x509';
import { IssuerAndSerialNumber } from '@peculiar/asn1-cms';

export const buf = (ab: ArrayBuffer | ArrayBufferView): Buffer =>
  ArrayBuffer.isView(ab) ? Buffer.from(ab.buffer, ab.byteOffset, ab.byteLength) : Buffer.from(ab);

/** A fresh ArrayBuffer holding exactly these bytes (asn1 libraries want ArrayBuffers). */
export const ab = (b: Uint8Array): ArrayBuffer => {
  const out = new ArrayBuffer(b.byteLength);
  new Uint8Array(out).set(b);
  return out;
};

export const printable = (value: string): ArrayBuffer => new asn1js.PrintableString({ value }).toBER();
export const octets = (value: Uint8Array): ArrayBuffer => AsnConvert.serialize(new OctetString(ab(value)));
export const utcTime = (value: Date): ArrayBuffer =>
  (value.getUTCFullYear() < 2050 ? new asn1js.UTCTime({ valueDate: value }) : new asn1js.GeneralizedTime({ valueDate: value })).toBER();
export const oidValue = (value: string): ArrayBuffer => new asn1js.ObjectIdentifier({ value }).toBER();

/** The text of any ASN.1 string type, or null. */
export function readString(value: ArrayBuffer): string | null {
  const { result, offset } = asn1js.fromBER(value);
  if (offset === -1) return null;
  return result instanceof asn1js.BaseStringBlock ? result.getValue() : null;
}

/** The bytes of an OCTET STRING, or null. */
export function readOctets(value: ArrayBuffer): Buffer | null {
  const { result, offset } = asn1js.fromBER(value);
  if (offset === -1 || !(result instanceof asn1js.OctetString)) return null;
  return buf(result.getValue());
}

/** A serial number's bytes without leading zero padding, for comparisons. */
const serialKey = (serial: ArrayBuffer): string => buf(serial).toString('hex').replace(/^(00)+/, '');

/** The issuer-and-serial that names this certificate in CMS. */
export function issuerAndSerial(cert: Certificate): IssuerAndSerialNumber {
  return new IssuerAndSerialNumber({ issuer: cert.tbsCertificate.issuer, serialNumber: cert.tbsCertificate.serialNumber });
}

export function sameIssuerAndSerial(a: IssuerAndSerialNumber, cert: Certificate): boolean {
  return (
    serialKey(a.serialNumber) === serialKey(cert.tbsCertificate.serialNumber) &&
    buf(AsnConvert.serialize(a.issuer)).equals(buf(AsnConvert.serialize(cert.tbsCertificate.issuer)))
  );
}

export const parseCertificate = (der: Uint8Array): Certificate => AsnConvert.parse(ab(der), Certificate);

/** The certificate's subjectKeyIdentifier extension value, or null. */
export function subjectKeyId(cert: Certificate): Buffer | null {
  const ext = cert.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_subjectKeyIdentifier);
  return ext ? buf(AsnConvert.parse(ext.extnValue.buffer, SubjectKeyIdentifier).buffer) : null;
}
