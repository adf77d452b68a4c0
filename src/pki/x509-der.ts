// The fields of an X.509 certificate the SCEP path and the identity check need, read with the small DER reader (no object model).
import { algorithmOid, Asn1Error, children, content, expect, read, readOid, readText, whole, type Tlv } from '../asn1/index.js';

export interface CertParts {
  der: Buffer;
  /** TBSCertificate, whole. */
  tbs: Buffer;
  /** The serial number's content bytes as encoded. */
  serial: Buffer;
  /** Issuer and subject Names, whole DER. */
  issuer: Buffer;
  subject: Buffer;
  /** SubjectPublicKeyInfo, whole DER. */
  spki: Buffer;
  /** The subjectKeyIdentifier extension value, or null. */
  subjectKeyId: Buffer | null;
  /** IssuerAndSerialNumber (CMS) naming this certificate, whole DER. */
  issuerAndSerial: Buffer;
  /** Validity, ms since the epoch (NaN for a time in a form RFC 5280 does not allow). */
  notBefore: number;
  notAfter: number;
  /** The issuer's signature over `tbs`: its algorithm's OID and the signature's bytes. */
  signatureAlgorithm: string;
  signature: Buffer;
}

const SKI_OID = '2.5.29.14';

/** Serial bytes without leading zero padding, for comparisons. */
export const serialKey = (serial: Buffer): string => serial.toString('hex').replace(/^(00)+/, '');

function extensionValue(b: Buffer, tbsFields: Tlv[], wanted: string): Buffer | null {
  const exts = tbsFields.find((t) => t.tag === 0xa3);
  if (!exts) return null;
  const list = children(b, exts)[0];
  if (!list) return null;
  for (const e of children(b, expect(list, 0x30, 'extensions'))) {
    const parts = children(b, e);
    if (readOid(b, parts[0]!) !== wanted) continue;
    return content(b, expect(parts[parts.length - 1], 0x04, 'extnValue'));
  }
  return null;
}

/** A UTCTime (0x17) or GeneralizedTime (0x18) in the forms RFC 5280 allows (UTC, seconds, 'Z'), as ms since the epoch. */
export function readTime(b: Buffer, t: Tlv | undefined): number {
  const text = t && (t.tag === 0x17 || t.tag === 0x18) ? content(b, t).toString('latin1') : '';
  const m = (t?.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/ : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/).exec(text);
  if (!m) throw new Asn1Error('expected a UTCTime or GeneralizedTime');
  const year = t!.tag === 0x17 ? (Number(m[1]) < 50 ? 2000 : 1900) + Number(m[1]) : Number(m[1]);
  const ms = Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (new Date(ms).getUTCDate() !== Number(m[3])) throw new Asn1Error(`not a date: ${text}`);
  return ms;
}

function timeOrNaN(b: Buffer, t: Tlv | undefined): number {
  try {
    return readTime(b, t);
  } catch {
    return NaN;
  }
}

/** Reads a DER certificate; throws Asn1Error when it is not one. */
export function certParts(der: Buffer): CertParts {
  const cert = expect(read(der), 0x30, 'certificate');
  const [tbsT, sigAlgT, sigT] = children(der, cert);
  const tbs = expect(tbsT, 0x30, 'tbsCertificate');
  const sigBits = content(der, expect(sigT, 0x03, 'signatureValue'));
  const f = children(der, tbs);
  const i = f[0]?.tag === 0xa0 ? 1 : 0;
  const serialT = expect(f[i], 0x02, 'serialNumber');
  const [notBeforeT, notAfterT] = children(der, expect(f[i + 3], 0x30, 'validity'));
  const issuer = whole(der, expect(f[i + 2], 0x30, 'issuer'));
  const subject = whole(der, expect(f[i + 4], 0x30, 'subject'));
  const spki = whole(der, expect(f[i + 5], 0x30, 'subjectPublicKeyInfo'));
  let ski: Buffer | null = null;
  const skiValue = extensionValue(der, f, SKI_OID);
  if (skiValue) {
    const t = read(skiValue);
    if (t.tag === 0x04) ski = content(skiValue, t);
  }
  const serialTlv = whole(der, serialT);
  return {
    der,
    tbs: whole(der, tbs),
    serial: content(der, serialT),
    issuer,
    subject,
    spki,
    subjectKeyId: ski,
    issuerAndSerial: Buffer.concat([Buffer.from([0x30]), lengthOf(issuer.length + serialTlv.length), issuer, serialTlv]),
    notBefore: timeOrNaN(der, notBeforeT),
    notAfter: timeOrNaN(der, notAfterT),
    signatureAlgorithm: algorithmOid(der, sigAlgT),
    signature: sigBits.subarray(1), // past the unused-bits count (0 in any signature)
  };
}

function lengthOf(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Reads a certificate, or null when it is not one. */
export function certPartsOrNull(der: Buffer): CertParts | null {
  try {
    return certParts(der);
  } catch (e) {
    if (e instanceof Asn1Error) return null;
    throw e;
  }
}

const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.5': 'serialNumber', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST',
  '2.5.4.10': 'O', '2.5.4.11': 'OU', '0.9.2342.19200300.100.1.25': 'DC', '1.2.840.113549.1.9.1': 'emailAddress',
};

/** A Name as text, attributes in encoded order joined with ", " (e.g. "O=Updraft, CN=device"). */
export function nameText(nameDer: Buffer): string {
  const parts: string[] = [];
  for (const rdn of children(nameDer, read(nameDer))) {
    for (const atv of children(nameDer, rdn)) {
      const [t, v] = children(nameDer, atv);
      const type = readOid(nameDer, t!);
      parts.push(`${SHORT_NAMES[type] ?? type}=${(v && readText(nameDer, v)) ?? '#' + (v ? whole(nameDer, v).toString('hex') : '')}`);
    }
  }
  return parts.join(', ');
}
