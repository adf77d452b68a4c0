// publicKeyFromSpki (src/pki/spki.ts): the same key as OpenSSL's own SPKI reading, RSA through the fast
// PKCS#1 route, and odd input read exactly as OpenSSL reads it (refused, or the same key).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { publicKeyFromSpki } from '../../src/pki/spki.js';

const spkiOf = (k: ReturnType<typeof generateKeyPairSync>['publicKey']) => k.export({ format: 'der', type: 'spki' });

test('RSA and EC keys come back as the same public key OpenSSL reads from the SPKI', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  for (const pair of [rsa, ec]) {
    const spki = spkiOf(pair.publicKey);
    const key = publicKeyFromSpki(spki);
    assert.equal(key.type, 'public');
    assert.equal(key.asymmetricKeyType, pair.publicKey.asymmetricKeyType);
    assert.deepEqual(key.asymmetricKeyDetails, createPublicKey({ key: spki, format: 'der', type: 'spki' }).asymmetricKeyDetails);
    assert.ok(key.export({ format: 'der', type: 'spki' }).equals(spki));
    const data = Buffer.from('signed by the device');
    assert.ok(verify('sha256', data, key, sign('sha256', data, pair.privateKey)));
  }
});

test('odd input is read exactly as OpenSSL reads it as an SPKI: refused when it refuses, the same key when it accepts', () => {
  const spki = spkiOf(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey);
  // A modulus INTEGER made negative (its leading 0x00 turned into 0xff).
  const negative = Buffer.from(spki);
  const at = negative.indexOf(Buffer.from([0x02, 0x82, 0x01, 0x01, 0x00]));
  assert.ok(at > 0);
  negative[at + 4] = 0xff;
  const cases: Record<string, Buffer> = {
    'trailing bytes': Buffer.concat([spki, Buffer.from([0x05, 0x00])]),
    truncated: spki.subarray(0, spki.length - 10),
    'not DER': Buffer.from('not a key'),
    'empty BIT STRING': Buffer.from('300d300b06092a864886f70d0101010300', 'hex').subarray(0, 15),
    'negative modulus': negative,
  };
  let refused = 0;
  for (const [name, der] of Object.entries(cases)) {
    let expected: Buffer | null = null;
    try {
      expected = createPublicKey({ key: der, format: 'der', type: 'spki' }).export({ format: 'der', type: 'spki' });
    } catch {
      refused++;
      assert.throws(() => publicKeyFromSpki(der), name);
      continue;
    }
    assert.ok(publicKeyFromSpki(der).export({ format: 'der', type: 'spki' }).equals(expected), name);
  }
  assert.ok(refused >= 2, 'the truncated and the non-DER input are refused');
});
