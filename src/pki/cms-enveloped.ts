// CMS EnvelopedData with RSA key transport (RFC 5652 §6): what SCEP wraps requests and replies in.
import 'reflect-metadata';
import { constants, publicEncrypt, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import {
  ContentInfo,
  EncryptedContent,
  EncryptedContentInfo,
  EnvelopedData,
  KeyTransRecipientInfo,
  RecipientIdentifier,
  RecipientInfo,
  RecipientInfos,
} from '@peculiar/asn1-cms';
import { OID } from './oids.js';
import { CIPHERS, decryptContent, encryptContent, type ContentCipher } from './symmetric.js';
import { rsaPkcs1Decrypt } from './rsa.js';
import { ab, buf, issuerAndSerial, octets, readOctets, sameIssuerAndSerial } from './der.js';
import { CmsError, publicKeyOf } from './cms-signed.js';

export interface Recipient {
  cert: Certificate;
  key: KeyObject;
  /** Secret for implicit rejection of bad key-transport padding. */
  rejectionSecret: Buffer;
}

export interface Opened {
  content: Buffer;
  cipher: ContentCipher;
}

function parseEnveloped(der: Uint8Array): EnvelopedData {
  try {
    const info = AsnConvert.parse(ab(der), ContentInfo);
    if (info.contentType !== OID.envelopedData) throw new Error(`content type ${info.contentType}`);
    return AsnConvert.parse(info.content, EnvelopedData);
  } catch (e) {
    throw new CmsError('malformed', `not a CMS EnvelopedData message (${(e as Error).message})`);
  }
}

/** Decrypts an EnvelopedData addressed (by issuer and serial) to one of the recipients. */
export function openEnveloped(der: Uint8Array, recipients: Recipient[]): Opened {
  const env = parseEnveloped(der);
  const eci = env.encryptedContentInfo;
  const cipher = CIPHERS[eci.contentEncryptionAlgorithm.algorithm];
  if (!cipher) throw new CmsError('badAlg', `unsupported content encryption ${eci.contentEncryptionAlgorithm.algorithm}`);
  const params = eci.contentEncryptionAlgorithm.parameters;
  const iv = params ? readOctets(params) : null;
  if (!iv) throw new CmsError('malformed', 'content encryption IV is missing');
  const encrypted = eci.encryptedContent?.value
    ? buf(eci.encryptedContent.value.buffer)
    : Buffer.concat((eci.encryptedContent?.constructedValue ?? []).map((o) => buf(o.buffer)));
  for (const ri of env.recipientInfos) {
    const ktri = ri.ktri;
    const ias = ktri?.rid.issuerAndSerialNumber;
    if (!ktri || !ias) continue;
    const me = recipients.find((r) => sameIssuerAndSerial(ias, r.cert));
    if (!me) continue;
    if (ktri.keyEncryptionAlgorithm.algorithm !== OID.rsaEncryption)
      throw new CmsError('badAlg', `unsupported key encryption ${ktri.keyEncryptionAlgorithm.algorithm}`);
    const encryptedKey = buf(ktri.encryptedKey.buffer);
    const modulusBytes = Math.ceil((me.key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    if (encryptedKey.length !== modulusBytes) throw new CmsError('malformed', 'encrypted key has the wrong length');
    const key = rsaPkcs1Decrypt(me.key, me.rejectionSecret, encryptedKey, cipher.keyLength);
    try {
      return { content: decryptContent(cipher, key, iv, encrypted), cipher };
    } catch (e) {
      throw new CmsError('badSignature', `content does not decrypt (${(e as Error).message})`);
    }
  }
  throw new CmsError('badSignature', 'the message is not encrypted to this CA');
}

/** Encrypts content to one certificate's RSA key. */
export function seal(content: Buffer, recipientDer: Buffer, cipher: ContentCipher): Buffer {
  const cert = AsnConvert.parse(ab(recipientDer), Certificate);
  const { key, iv, ciphertext } = encryptContent(cipher, content);
  const encryptedKey = publicEncrypt({ key: publicKeyOf(cert), padding: constants.RSA_PKCS1_PADDING }, key);
  const env = new EnvelopedData({
    version: 0,
    recipientInfos: new RecipientInfos([
      new RecipientInfo({
        ktri: new KeyTransRecipientInfo({
          version: 0,
          rid: new RecipientIdentifier({ issuerAndSerialNumber: issuerAndSerial(cert) }),
          keyEncryptionAlgorithm: new AlgorithmIdentifier({ algorithm: OID.rsaEncryption, parameters: null }),
          encryptedKey: new OctetString(ab(encryptedKey)),
        }),
      }),
    ]),
    encryptedContentInfo: new EncryptedContentInfo({
      contentType: OID.data,
      contentEncryptionAlgorithm: new AlgorithmIdentifier({ algorithm: cipher.oid, parameters: octets(iv) }),
      encryptedContent: new EncryptedContent({ value: new OctetString(ab(ciphertext)) }),
    }),
  });
  return buf(AsnConvert.serialize(new ContentInfo({ contentType: OID.envelopedData, content: AsnConvert.serialize(env) })));
}
