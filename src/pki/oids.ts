// Object identifiers and SCEP code points used by the CA, the CMS layer and the SCEP server (RFC 8894).

export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  rsaEncryption: '1.2.840.113549.1.1.1',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  challengePassword: '1.2.840.113549.1.9.7',
  subjectKeyIdentifier: '2.5.29.14',
  scepMessageType: '2.16.840.1.113733.1.9.2',
  scepPkiStatus: '2.16.840.1.113733.1.9.3',
  scepFailInfo: '2.16.840.1.113733.1.9.4',
  scepSenderNonce: '2.16.840.1.113733.1.9.5',
  scepRecipientNonce: '2.16.840.1.113733.1.9.6',
  scepTransactionId: '2.16.840.1.113733.1.9.7',
} as const;

export type HashName = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
export type KeyKind = 'rsa' | 'ec';

/** Digest algorithms accepted in CMS (RFC 5754), by OID, with their node:crypto names. mdmb signs with SHA-1; Apple devices use SHA-256. */
export const DIGESTS: Readonly<Record<string, HashName>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** Signature algorithms a CMS signer or a CSR may name: the key type they need and, when the identifier names one, the hash (RFC 3279, RFC 5758). */
export const SIGNATURE_ALGORITHMS: Readonly<Record<string, { key: KeyKind; hash?: HashName }>> = {
  '1.2.840.113549.1.1.1': { key: 'rsa' }, // rsaEncryption: hash from digestAlgorithm
  '1.2.840.113549.1.1.5': { key: 'rsa', hash: 'sha1' },
  '1.2.840.113549.1.1.14': { key: 'rsa', hash: 'sha224' },
  '1.2.840.113549.1.1.11': { key: 'rsa', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { key: 'rsa', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { key: 'rsa', hash: 'sha512' },
  '1.2.840.10045.2.1': { key: 'ec' }, // id-ecPublicKey: hash from digestAlgorithm
  '1.2.840.10045.4.1': { key: 'ec', hash: 'sha1' },
  '1.2.840.10045.4.3.1': { key: 'ec', hash: 'sha224' },
  '1.2.840.10045.4.3.2': { key: 'ec', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { key: 'ec', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { key: 'ec', hash: 'sha512' },
};

export function digestOid(name: string): string {
  const oid = Object.keys(DIGESTS).find((k) => DIGESTS[k] === name);
  if (!oid) throw new Error(`unsupported digest ${name}`);
  return oid;
}

/** SCEP messageType values (printable strings on the wire). */
export const MessageType = {
  CertRep: '3',
  RenewalReq: '17',
  UpdateReq: '18',
  PKCSReq: '19',
  CertPoll: '20',
  GetCert: '21',
  GetCRL: '22',
} as const;

export const PkiStatus = { SUCCESS: '0', FAILURE: '2', PENDING: '3' } as const;

/** SCEP failInfo values. */
export const FailInfo = {
  badAlg: '0',
  badMessageCheck: '1',
  badRequest: '2',
  badTime: '3',
  badCertId: '4',
} as const;
export type FailInfoName = keyof typeof FailInfo;

/** Capabilities answered to GetCACaps, one per line. */
export const SCEP_CAPABILITIES = ['POSTPKIOperation', 'SHA-1', 'SHA-256', 'AES', 'DES3', 'SCEPStandard', 'Renewal'];
