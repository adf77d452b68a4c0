// RSA PKCS#1 v1.5 key-transport decryption with implicit rejection.
// Node 20 refuses RSA_PKCS1_PADDING decryption (CVE-2023-46809), so the raw RSA operation is done
// with RSA_NO_PADDING and the padding is checked here without branching on it. A bad padding or a
// wrong-length key yields a pseudo-random key derived from the ciphertext (never a distinct error),
// so the failure only shows later as an undecryptable content, like any wrong key would.
import { constants, createHmac, privateDecrypt, type KeyObject } from 'node:crypto';

export function rsaPkcs1Decrypt(key: KeyObject, rejectionSecret: Buffer, ciphertext: Buffer, expectedLength: number): Buffer {
  const em = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, ciphertext);
  const k = em.length;
  // Valid: 00 02 PS(>= 8 non-zero bytes) 00 M, with |M| == expectedLength.
  let good = (em[0] === 0 ? 1 : 0) & (em[1] === 2 ? 1 : 0);
  let zeroIndex = 0;
  let seen = 0;
  for (let i = 2; i < k; i++) {
    const isZero = em[i] === 0 ? 1 : 0;
    const first = isZero & (seen ^ 1);
    zeroIndex = first ? i : zeroIndex;
    seen |= isZero;
  }
  good &= seen & (zeroIndex >= 10 ? 1 : 0) & (k - zeroIndex - 1 === expectedLength ? 1 : 0);
  const synthetic = createHmac('sha256', rejectionSecret).update(ciphertext).digest();
  const fallback = Buffer.concat([synthetic, createHmac('sha256', synthetic).update('more').digest()]).subarray(0, expectedLength);
  const message = em.subarray(k - expectedLength);
  const out = Buffer.alloc(expectedLength);
  const mask = -good & 0xff;
  for (let i = 0; i < expectedLength; i++) out[i] = (message[i] & mask) | (fallback[i] & ~mask);
  return out;
}
