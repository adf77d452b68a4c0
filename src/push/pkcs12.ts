// PKCS#12 (.p12) decoding (RFC 7292): the MAC check, PBES2 (PBKDF2 + AES/3DES) and the legacy
// PKCS#12 PBE schemes (3DES, RC2) that Keychain exports still use. Returns DER certificates and
// PKCS#8 private keys; cert.ts picks the pair.
import { createDecipheriv, createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import * as asn1js from 'asn1js';
import { rc2CbcDecrypt } from './rc2.js';

export class Pkcs12Error extends Error {}

export interface Pkcs12Contents {
  certificates: Buffer[];
  keys: Buffer[];
}

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
};

const DIGESTS: Record<string, { name: string; block: number }> = {
  '1.3.14.3.2.26': { name: 'sha1', block: 64 },
  '2.16.840.1.101.3.4.2.4': { name: 'sha224', block: 64 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', block: 64 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', block: 128 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', block: 128 },
};

const HMAC_PRFS: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};

/** PBES2 ciphers: OID → OpenSSL name and key length. */
const PBES2_CIPHERS: Record<string, { cipher: string; keyLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { cipher: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { cipher: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { cipher: 'aes-256-cbc', keyLength: 32 },
  '1.2.840.113549.3.7': { cipher: 'des-ede3-cbc', keyLength: 24 },
};

/** PKCS#12 PBE schemes (RFC 7292 appendix C): key derived with SHA-1 by the PKCS#12 KDF. */
const PKCS12_PBE: Record<string, { cipher: string; keyLength: number; rc2Bits?: number }> = {
  '1.2.840.113549.1.12.1.3': { cipher: 'des-ede3-cbc', keyLength: 24 },
  '1.2.840.113549.1.12.1.4': { cipher: 'des-ede-cbc', keyLength: 16 },
  '1.2.840.113549.1.12.1.5': { cipher: 'rc2', keyLength: 16, rc2Bits: 128 },
  '1.2.840.113549.1.12.1.6': { cipher: 'rc2', keyLength: 5, rc2Bits: 40 },
};

// ---- small ASN.1 readers ----

type Block = asn1js.AsnType;

function parse(der: Uint8Array, what: string): Block {
  const { offset, result } = asn1js.fromBER(der);
  if (offset === -1) throw new Pkcs12Error(`malformed ${what}`);
  return result;
}

function children(b: Block | undefined, what: string): Block[] {
  const value = (b as asn1js.Sequence | undefined)?.valueBlock?.value;
  if (!Array.isArray(value)) throw new Pkcs12Error(`malformed ${what}`);
  return value;
}

function oid(b: Block | undefined, what: string): string {
  if (!(b instanceof asn1js.ObjectIdentifier)) throw new Pkcs12Error(`malformed ${what}: expected an OID`);
  return b.valueBlock.toString();
}

function int(b: Block | undefined, what: string): number {
  if (!(b instanceof asn1js.Integer)) throw new Pkcs12Error(`malformed ${what}: expected an integer`);
  return b.valueBlock.valueDec;
}

/** Bytes of an OCTET STRING, primitive or constructed, tagged or not. */
function octets(b: Block | undefined, what: string): Buffer {
  if (b instanceof asn1js.OctetString) return Buffer.from(b.getValue());
  const block = b as asn1js.Constructed | asn1js.Primitive | undefined;
  if (block && 'valueHexView' in block.valueBlock && !block.idBlock.isConstructed) return Buffer.from(block.valueBlock.valueHexView);
  if (block && Array.isArray((block as asn1js.Constructed).valueBlock.value)) {
    return Buffer.concat((block as asn1js.Constructed).valueBlock.value.map((c) => octets(c, what)));
  }
  throw new Pkcs12Error(`malformed ${what}: expected an octet string`);
}

/** The single child inside an [n] EXPLICIT wrapper. */
function explicit(b: Block | undefined, what: string): Block {
  const inner = children(b, what)[0];
  if (!inner) throw new Pkcs12Error(`malformed ${what}`);
  return inner;
}

// ---- key derivation ----

/** RFC 7292 appendix B: the password as a NUL-terminated big-endian BMPString. */
function bmpPassword(password: string): Buffer {
  const le = Buffer.from(password + '\0', 'utf16le');
  return le.swap16();
}

function pkcs12Kdf(hash: string, blockSize: number, password: Buffer, salt: Buffer, id: number, iterations: number, length: number): Buffer {
  const fill = (src: Buffer) => {
    const len = src.length === 0 ? 0 : blockSize * Math.ceil(src.length / blockSize);
    const out = Buffer.alloc(len);
    for (let i = 0; i < len; i++) out[i] = src[i % src.length];
    return out;
  };
  const d = Buffer.alloc(blockSize, id);
  const i = Buffer.concat([fill(salt), fill(password)]);
  const parts: Buffer[] = [];
  let have = 0;
  while (have < length) {
    let a = createHash(hash).update(d).update(i).digest();
    for (let n = 1; n < iterations; n++) a = createHash(hash).update(a).digest();
    parts.push(a);
    have += a.length;
    if (have >= length) break;
    const b = fill(a).subarray(0, blockSize);
    for (let off = 0; off < i.length; off += blockSize) {
      let carry = 1;
      for (let k = blockSize - 1; k >= 0; k--) {
        const sum = i[off + k] + b[k] + carry;
        i[off + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(parts).subarray(0, length);
}

// ---- decryption ----

function decipher(cipher: string, key: Buffer, iv: Buffer, data: Buffer): Buffer {
  try {
    const d = createDecipheriv(cipher, key, iv);
    return Buffer.concat([d.update(data), d.final()]);
  } catch {
    throw new Pkcs12Error('decryption failed: wrong password or corrupt file');
  }
}

/** Decrypt data under a PKCS#5/PKCS#12 AlgorithmIdentifier. */
function decrypt(algorithm: Block, data: Buffer, password: string): Buffer {
  const [algOid, params] = children(algorithm, 'encryption algorithm');
  const id = oid(algOid, 'encryption algorithm');
  const pbe = PKCS12_PBE[id];
  if (pbe) {
    const [salt, iterations] = children(params, 'PBE parameters');
    const s = octets(salt, 'PBE salt');
    const n = int(iterations, 'PBE iterations');
    const pw = bmpPassword(password);
    const key = pkcs12Kdf('sha1', 64, pw, s, 1, n, pbe.keyLength);
    const iv = pkcs12Kdf('sha1', 64, pw, s, 2, n, 8);
    if (pbe.rc2Bits) {
      try {
        return rc2CbcDecrypt(key, pbe.rc2Bits, iv, data);
      } catch {
        throw new Pkcs12Error('decryption failed: wrong password or corrupt file');
      }
    }
    return decipher(pbe.cipher, key, iv, data);
  }
  if (id === OID.pbes2) {
    const [kdf, scheme] = children(params, 'PBES2 parameters');
    const [kdfOid, kdfParams] = children(kdf, 'PBES2 key derivation');
    if (oid(kdfOid, 'PBES2 key derivation') !== OID.pbkdf2) throw new Pkcs12Error('unsupported PBES2 key derivation (only PBKDF2)');
    const [salt, iterations, ...rest] = children(kdfParams, 'PBKDF2 parameters');
    const prfBlock = rest.find((b) => b instanceof asn1js.Sequence);
    const prf = prfBlock ? HMAC_PRFS[oid(children(prfBlock, 'PBKDF2 PRF')[0], 'PBKDF2 PRF')] : 'sha1';
    if (!prf) throw new Pkcs12Error('unsupported PBKDF2 PRF');
    const [cipherOid, ivBlock] = children(scheme, 'PBES2 encryption scheme');
    const cipher = PBES2_CIPHERS[oid(cipherOid, 'PBES2 cipher')];
    if (!cipher) throw new Pkcs12Error(`unsupported PBES2 cipher ${oid(cipherOid, 'PBES2 cipher')}`);
    const key = pbkdf2Sync(Buffer.from(password, 'utf8'), octets(salt, 'PBKDF2 salt'), int(iterations, 'PBKDF2 iterations'), cipher.keyLength, prf);
    return decipher(cipher.cipher, key, octets(ivBlock, 'PBES2 IV'), data);
  }
  throw new Pkcs12Error(`unsupported encryption algorithm ${id}`);
}

// ---- structure ----

function verifyMac(macData: Block, content: Buffer, password: string): void {
  const [digestInfo, saltBlock, iterBlock] = children(macData, 'MAC data');
  const [algorithm, digest] = children(digestInfo, 'MAC digest');
  const algOid = oid(children(algorithm, 'MAC algorithm')[0], 'MAC algorithm');
  const d = DIGESTS[algOid];
  if (!d) throw new Pkcs12Error(`unsupported MAC algorithm ${algOid}`);
  const iterations = iterBlock ? int(iterBlock, 'MAC iterations') : 1;
  const expected = octets(digest, 'MAC value');
  const key = pkcs12Kdf(d.name, d.block, bmpPassword(password), octets(saltBlock, 'MAC salt'), 3, iterations, createHash(d.name).digest().length);
  const actual = createHmac(d.name, key).update(content).digest();
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new Pkcs12Error('MAC check failed: wrong password or corrupt file');
  }
}

function readBags(safeContents: Buffer, password: string, out: Pkcs12Contents): void {
  for (const bag of children(parse(safeContents, 'SafeContents'), 'SafeContents')) {
    const [bagId, bagValue] = children(bag, 'SafeBag');
    const value = explicit(bagValue, 'SafeBag value');
    switch (oid(bagId, 'SafeBag type')) {
      case OID.keyBag:
        out.keys.push(Buffer.from(value.toBER()));
        break;
      case OID.shroudedKeyBag: {
        const [algorithm, encrypted] = children(value, 'shrouded key bag');
        out.keys.push(decrypt(algorithm, octets(encrypted, 'shrouded key'), password));
        break;
      }
      case OID.certBag: {
        const [certId, certValue] = children(value, 'certificate bag');
        if (oid(certId, 'certificate type') === OID.x509Certificate) out.certificates.push(octets(explicit(certValue, 'certificate'), 'certificate'));
        break;
      }
      default: // CRL, secret and nested bags carry nothing we need
    }
  }
}

/** Decode a .p12 file: checks the MAC with the password, then decrypts every bag. */
export function decodePkcs12(der: Buffer, password: string): Pkcs12Contents {
  const [version, authSafe, macData] = children(parse(der, 'PKCS#12 file'), 'PKCS#12 file');
  if (int(version, 'PKCS#12 version') !== 3) throw new Pkcs12Error('unsupported PKCS#12 version');
  const [contentType, content] = children(authSafe, 'PKCS#12 authSafe');
  if (oid(contentType, 'authSafe type') !== OID.data) throw new Pkcs12Error('unsupported PKCS#12 file: public-key integrity mode');
  const authSafeBytes = octets(explicit(content, 'authSafe content'), 'authSafe content');
  if (macData) verifyMac(macData, authSafeBytes, password);

  const out: Pkcs12Contents = { certificates: [], keys: [] };
  for (const info of children(parse(authSafeBytes, 'AuthenticatedSafe'), 'AuthenticatedSafe')) {
    const [type, body] = children(info, 'ContentInfo');
    const t = oid(type, 'ContentInfo type');
    if (t === OID.data) {
      readBags(octets(explicit(body, 'data'), 'data'), password, out);
    } else if (t === OID.encryptedData) {
      const [, encryptedContentInfo] = children(explicit(body, 'encryptedData'), 'EncryptedData');
      const [, algorithm, encrypted] = children(encryptedContentInfo, 'EncryptedContentInfo');
      readBags(decrypt(algorithm, octets(encrypted, 'encrypted content'), password), password, out);
    } else {
      throw new Pkcs12Error('unsupported PKCS#12 content: public-key privacy mode');
    }
  }
  return out;
}
