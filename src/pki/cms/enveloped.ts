// CMS EnvelopedData with RSA key transport (RFC 5652 §6): what SCEP wraps requests and replies in.
// Read and written with the small DER reader/writer; RSA and the ciphers are node:crypto.
import { constants, publicEncrypt, type KeyObject } from 'node:crypto';
import { Asn1Error, algorithm, children, content, expect, octetBytes, octetString, oid, read, readOid, seq, set, integer, tlv } from '../../asn1/index.js';
import { OID } from '../oids.js';
import { CIPHERS, decryptContent, encryptContent, type ContentCipher } from '../symmetric.js';
import { rsaPkcs1Decrypt } from '../rsa.js';
import { CmsError } from './error.js';
import { serialKey, type CertParts } from '../x509-der.js';

export interface Recipient {
  /** Our certificate's fields (issuer and serial name the recipient). */
  cert: Pick<CertParts, 'issuer' | 'serial'>;
  key: KeyObject;
  /** Secret for implicit rejection of bad key-transport padding. */
  rejectionSecret: Buffer;
}

export interface Opened {
  content: Buffer;
  cipher: ContentCipher;
}

interface Envelope {
  cipherOid: string;
  iv: Buffer | null;
  encrypted: Buffer;
  recipients: Array<{ issuer: Buffer; serial: string; keyAlg: string; encryptedKey: Buffer } | null>;
}

function parseEnveloped(der: Buffer): Envelope {
  try {
    const [typeT, wrapped] = children(der, expect(read(der), 0x30, 'ContentInfo'));
    const type = readOid(der, typeT!);
    if (type !== OID.envelopedData) throw new Asn1Error(`content type ${type}`);
    const ed = children(der, children(der, expect(wrapped, 0xa0, 'content'))[0] ?? expect(undefined, 0x30, 'EnvelopedData'));
    let i = 1;
    if (ed[i]?.tag === 0xa0) i++; // originatorInfo
    const recipients = children(der, expect(ed[i], 0x31, 'recipientInfos')).map((ri) => {
      if (ri.tag !== 0x30) return null; // not a KeyTransRecipientInfo
      const f = children(der, ri);
      const rid = f[1];
      if (!rid || rid.tag !== 0x30) return null; // subjectKeyIdentifier rid
      const [issuerT, serialT] = children(der, rid);
      return {
        issuer: der.subarray(expect(issuerT, 0x30, 'issuer').at, issuerT!.end),
        serial: serialKey(content(der, expect(serialT, 0x02, 'serialNumber'))),
        keyAlg: readOid(der, children(der, expect(f[2], 0x30, 'keyEncryptionAlgorithm'))[0]!),
        encryptedKey: content(der, expect(f[3], 0x04, 'encryptedKey')),
      };
    });
    const eci = children(der, expect(ed[i + 1], 0x30, 'encryptedContentInfo'));
    const alg = children(der, expect(eci[1], 0x30, 'contentEncryptionAlgorithm'));
    const cipherOid = readOid(der, alg[0]!);
    const iv = alg[1]?.tag === 0x04 ? content(der, alg[1]) : null;
    const enc = eci[2];
    if (enc && (enc.tag & 0xdf) !== 0x80) throw new Asn1Error('encryptedContent');
    return { cipherOid, iv, encrypted: enc ? octetBytes(der, enc) : Buffer.alloc(0), recipients };
  } catch (e) {
    throw new CmsError('malformed', `not a CMS EnvelopedData message (${(e as Error).message})`);
  }
}

/** Decrypts an EnvelopedData addressed (by issuer and serial) to one of the recipients. */
export function openEnveloped(input: Uint8Array, recipients: Recipient[]): Opened {
  const der = Buffer.isBuffer(input) ? input : Buffer.from(input);
  const env = parseEnveloped(der);
  const cipher = CIPHERS[env.cipherOid];
  if (!cipher) throw new CmsError('badAlg', `unsupported content encryption ${env.cipherOid}`);
  if (!env.iv) throw new CmsError('malformed', 'content encryption IV is missing');
  for (const ri of env.recipients) {
    if (!ri) continue;
    const me = recipients.find((r) => r.cert.issuer.equals(ri.issuer) && serialKey(r.cert.serial) === ri.serial);
    if (!me) continue;
    if (ri.keyAlg !== OID.rsaEncryption) throw new CmsError('badAlg', `unsupported key encryption ${ri.keyAlg}`);
    const modulusBytes = Math.ceil((me.key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    if (ri.encryptedKey.length !== modulusBytes) throw new CmsError('malformed', 'encrypted key has the wrong length');
    const key = rsaPkcs1Decrypt(me.key, me.rejectionSecret, ri.encryptedKey, cipher.keyLength);
    try {
      return { content: decryptContent(cipher, key, env.iv, env.encrypted), cipher };
    } catch (e) {
      throw new CmsError('badSignature', `content does not decrypt (${(e as Error).message})`);
    }
  }
  throw new CmsError('badSignature', 'the message is not encrypted to this CA');
}

const RSA_ALG = algorithm(OID.rsaEncryption);
const ENVELOPED_DATA = oid(OID.envelopedData);
const DATA = oid(OID.data);

/** Encrypts content to one certificate's RSA key (named by its IssuerAndSerialNumber DER). */
export function seal(data: Buffer, recipient: { issuerAndSerial: Buffer; publicKey: KeyObject }, cipher: ContentCipher): Buffer {
  const { key, iv, ciphertext } = encryptContent(cipher, data);
  const encryptedKey = publicEncrypt({ key: recipient.publicKey, padding: constants.RSA_PKCS1_PADDING }, key);
  const ktri = seq(integer(0), recipient.issuerAndSerial, RSA_ALG, octetString(encryptedKey));
  const eci = seq(DATA, algorithm(cipher.oid, octetString(iv)), tlv(0x80, ciphertext));
  return seq(ENVELOPED_DATA, tlv(0xa0, seq(integer(0), set(ktri), eci)));
}
