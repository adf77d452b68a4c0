// RC2-CBC decryption (RFC 2268), for legacy PKCS#12 files (Keychain exports certificates with
// pbeWithSHAAnd40BitRC2-CBC) now that OpenSSL 3 keeps RC2 in its legacy provider.

// "PITABLE": a permutation of 0..255 derived from the digits of pi (RFC 2268 §2).
const PITABLE = Buffer.from(
  'd978f9c419ddb5ed28e9fd794aa0d89dc67e37832b76538e624c6488448bfba2179a59f587b34f1361456d8d09817d32bd8f40eb86b77b0bf09521225c6b4e8254d66593ce60b21c7356c014a78cf1dc1275ca1f3bbee4d1423dd430a33cb6266fbf0eda4669075727f21d9bbc944303f811c7f690ef3ee706c3d52fc8661ed708e8eade8052eef784aa72ac354d6a2a961ad2715a1549744b9fd05e0418a4ecc2e0416e0f51cbcc2491af50a1f47039997c3a8523b8b47afc02365b25559731' +
    '2d5dfa98e38a92ae05df2910676cbac9d300e6cfe19ea82c6316013f58e289a90d38341bab33ffb0bb480c5fb9b1cd2ec5f3db47e5a59c770aa62068fe7fc1ad',
  'hex',
);

/** Expand a key into the 64 16-bit subkeys, limited to `effectiveBits` of strength. */
function expandKey(key: Buffer, effectiveBits: number): Uint16Array {
  const t = key.length;
  const l = new Uint8Array(128);
  l.set(key);
  for (let i = t; i < 128; i++) l[i] = PITABLE[(l[i - 1] + l[i - t]) & 255];
  const t8 = (effectiveBits + 7) >> 3;
  const tm = 255 >> (8 * t8 - effectiveBits);
  l[128 - t8] = PITABLE[l[128 - t8] & tm];
  for (let i = 127 - t8; i >= 0; i--) l[i] = PITABLE[l[i + 1] ^ l[i + t8]];
  const k = new Uint16Array(64);
  for (let i = 0; i < 64; i++) k[i] = l[2 * i] | (l[2 * i + 1] << 8);
  return k;
}

const SHIFTS = [1, 2, 3, 5];

function decryptBlock(k: Uint16Array, r: Uint16Array): void {
  let j = 63;
  const mix = () => {
    for (let i = 3; i >= 0; i--) {
      const v = r[i];
      r[i] = ((v >>> SHIFTS[i]) | (v << (16 - SHIFTS[i]))) & 0xffff;
      r[i] = (r[i] - k[j--] - (r[(i + 3) & 3] & r[(i + 2) & 3]) - (~r[(i + 3) & 3] & r[(i + 1) & 3])) & 0xffff;
    }
  };
  const mash = () => {
    for (let i = 3; i >= 0; i--) r[i] = (r[i] - k[r[(i + 3) & 3] & 63]) & 0xffff;
  };
  for (let n = 0; n < 5; n++) mix();
  mash();
  for (let n = 0; n < 6; n++) mix();
  mash();
  for (let n = 0; n < 5; n++) mix();
}

/** Decrypt one ECB block (for tests against RFC 2268's vectors). */
export function rc2DecryptBlock(key: Buffer, effectiveBits: number, block: Buffer): Buffer {
  const r = new Uint16Array(4);
  for (let i = 0; i < 4; i++) r[i] = block.readUInt16LE(2 * i);
  decryptBlock(expandKey(key, effectiveBits), r);
  const out = Buffer.alloc(8);
  for (let i = 0; i < 4; i++) out.writeUInt16LE(r[i], 2 * i);
  return out;
}

/** RC2-CBC decryption with PKCS#7 padding removed; throws on bad padding. */
export function rc2CbcDecrypt(key: Buffer, effectiveBits: number, iv: Buffer, data: Buffer): Buffer {
  if (data.length === 0 || data.length % 8 !== 0) throw new Error('RC2 ciphertext is not a whole number of blocks');
  const k = expandKey(key, effectiveBits);
  const out = Buffer.alloc(data.length);
  const r = new Uint16Array(4);
  let prev = iv;
  for (let off = 0; off < data.length; off += 8) {
    const block = data.subarray(off, off + 8);
    for (let i = 0; i < 4; i++) r[i] = block.readUInt16LE(2 * i);
    decryptBlock(k, r);
    for (let i = 0; i < 4; i++) out.writeUInt16LE(r[i] ^ prev.readUInt16LE(2 * i), off + 2 * i);
    prev = block;
  }
  const pad = out[out.length - 1];
  if (pad < 1 || pad > 8 || out.subarray(out.length - pad).some((b) => b !== pad)) throw new Error('bad padding');
  return out.subarray(0, out.length - pad);
}
