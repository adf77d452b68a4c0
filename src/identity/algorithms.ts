// The CMS algorithm identifiers an MDM client may use (RFC 5652, RFC 5754, RFC 3279, RFC 5758),
// mapped to node:crypto names. mdmb signs with SHA-1; Apple devices use SHA-256.

export type HashName = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
export type KeyKind = 'rsa' | 'ec';

export const DIGEST_ALGORITHMS: Readonly<Record<string, HashName>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** Signature algorithms: the key type they need and, when the identifier names one, the hash. */
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

export const OID = {
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  subjectKeyIdentifier: '2.5.29.14',
} as const;
