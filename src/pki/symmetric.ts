// CMS content-encryption algorithms (CBC with PKCS#7 padding), by OID.
// Single DES comes from des.js: Node 20's OpenSSL only has it in the legacy provider, which stays off.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import des from 'des.js';

export interface ContentCipher {
  oid: string;
  name: string;
  keyLength: number;
  ivLength: number;
}

export const CIPHERS: Record<string, ContentCipher> = {
  '1.3.14.3.2.7': { oid: '1.3.14.3.2.7', name: 'des-cbc', keyLength: 8, ivLength: 8 },
  '1.2.840.113549.3.7': { oid: '1.2.840.113549.3.7', name: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
  '2.16.840.1.101.3.4.1.2': { oid: '2.16.840.1.101.3.4.1.2', name: 'aes-128-cbc', keyLength: 16, ivLength: 16 },
  '2.16.840.1.101.3.4.1.22': { oid: '2.16.840.1.101.3.4.1.22', name: 'aes-192-cbc', keyLength: 24, ivLength: 16 },
  '2.16.840.1.101.3.4.1.42': { oid: '2.16.840.1.101.3.4.1.42', name: 'aes-256-cbc', keyLength: 32, ivLength: 16 },
};

export function cipherByName(name: string): ContentCipher {
  const c = Object.values(CIPHERS).find((x) => x.name === name);
  if (!c) throw new Error(`unknown cipher ${name}`);
  return c;
}

const desCbc = des.CBC.instantiate(des.DES);

function raw(cipher: ContentCipher, mode: 'encrypt' | 'decrypt', key: Buffer, iv: Buffer, data: Buffer): Buffer {
  if (cipher.name === 'des-cbc') {
    const c = desCbc.create({ type: mode, key, iv, padding: false });
    return Buffer.from([...c.update(data), ...c.final()]);
  }
  const c = mode === 'encrypt' ? createCipheriv(cipher.name, key, iv) : createDecipheriv(cipher.name, key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

export function encryptContent(cipher: ContentCipher, data: Buffer): { key: Buffer; iv: Buffer; ciphertext: Buffer } {
  const key = randomBytes(cipher.keyLength);
  const iv = randomBytes(cipher.ivLength);
  const block = cipher.ivLength;
  const pad = block - (data.length % block);
  const padded = Buffer.concat([data, Buffer.alloc(pad, pad)]);
  return { key, iv, ciphertext: raw(cipher, 'encrypt', key, iv, padded) };
}

/** Decrypts and removes PKCS#7 padding; throws on a wrong key length, a ragged input or bad padding. */
export function decryptContent(cipher: ContentCipher, key: Buffer, iv: Buffer, ciphertext: Buffer): Buffer {
  const block = cipher.ivLength;
  if (key.length !== cipher.keyLength) throw new Error('content key has the wrong length');
  if (iv.length !== block) throw new Error('IV has the wrong length');
  if (ciphertext.length === 0 || ciphertext.length % block !== 0) throw new Error('ciphertext is not a whole number of blocks');
  const out = raw(cipher, 'decrypt', key, iv, ciphertext);
  const pad = out[out.length - 1];
  if (pad < 1 || pad > block || !out.subarray(out.length - pad).every((b) => b === pad)) throw new Error('bad padding');
  return out.subarray(0, out.length - pad);
}
