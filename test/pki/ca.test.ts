// The CA on disk (created once, 0600, reloaded; imported from PEM), trust anchors, the static
// challenge file, and the primitives SCEP interop rests on (PKCS#1 v1.5 with implicit rejection, DES).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, constants, generateKeyPairSync, publicEncrypt, randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CA_CERT_FILE, CA_KEY_FILE, loadOrCreateCA, loadTrustAnchors } from '../../src/pki/ca.js';
import { CHALLENGE_FILE, loadOrCreateStaticChallenge } from '../../src/pki/challenge.js';
import { parseCsr } from '../../src/pki/csr.js';
import { rsaPkcs1Decrypt } from '../../src/pki/rsa.js';
import { cipherByName, decryptContent, encryptContent } from '../../src/pki/symmetric.js';
import { fixture, fixturePath } from '../helpers/fixtures.js';
import { testDataDir } from '../helpers/store.js';
import { csr, openssl, selfSigned } from './scep-client.js';

const MDMB_CA = fixturePath('mdmb/conversation-nanomdm/scep-ca.pem');
const MDMB_KEY = fixturePath('mdmb/conversation-nanomdm/scep-ca.key');

describe('CA storage', () => {
  it('creates the CA once in the data dir with the key readable by the owner only', () => {
    const dir = testDataDir();
    const ca = loadOrCreateCA(dir);
    assert.equal(statSync(join(dir, CA_KEY_FILE)).mode & 0o777, 0o600);
    assert.ok(ca.x509.ca);
    assert.match(openssl(['verify', '-CAfile', join(dir, CA_CERT_FILE), join(dir, CA_CERT_FILE)]).toString(), /OK/);
    const again = loadOrCreateCA(dir);
    assert.ok(again.certDer.equals(ca.certDer), 'the second run reuses it');
  });

  it('imports a CA from PEM (encrypted key with an empty passphrase) so its identities stay valid', () => {
    const ca = loadOrCreateCA(testDataDir(), { certFile: MDMB_CA, keyFile: MDMB_KEY });
    assert.equal(ca.x509.subject, 'C=US\nO=scep-ca\nOU=SCEP CA\nCN=MICROMDM SCEP CA');
    assert.ok(ca.certDer.equals(new X509Certificate(fixture('mdmb/conversation-nanomdm/scep-ca.pem')).raw));
    assert.equal(ca.key.asymmetricKeyDetails?.modulusLength, 4096);
  });

  it('refuses a certificate with a key that is not its own, and half an import', () => {
    const dir = testDataDir();
    loadOrCreateCA(dir);
    assert.throws(() => loadOrCreateCA(testDataDir(), { certFile: MDMB_CA, keyFile: join(dir, CA_KEY_FILE) }), /does not match/);
    assert.throws(() => loadOrCreateCA(testDataDir(), { certFile: MDMB_CA }), /both/);
  });

  it('trusts our CA plus every certificate of the --ca files', () => {
    const dir = testDataDir();
    const ca = loadOrCreateCA(dir);
    const bundle = join(dir, 'extra.pem');
    writeFileSync(bundle, readFileSync(MDMB_CA, 'utf8') + readFileSync(selfSigned(1024, 'extra').certFile, 'utf8'));
    const anchors = loadTrustAnchors(ca, [bundle]);
    assert.equal(anchors.length, 3);
    assert.ok(anchors[0].raw.equals(ca.certDer));
    assert.ok(anchors.some((a) => a.subject.includes('MICROMDM SCEP CA')));
  });

  it('never issues past the CA lifetime and honours the requested validity', () => {
    const ca = loadOrCreateCA(testDataDir());
    const key = selfSigned(2048, 'k');
    const req = parseCsr(csr(key.keyFile, 'lifetime', null));
    const short = ca.issue(req, { validityDays: 7 });
    const x = new X509Certificate(short);
    const days = (Date.parse(x.validTo) - Date.now()) / 86_400_000;
    assert.ok(days > 6.9 && days <= 7, String(days));
    const long = new X509Certificate(ca.issue(req, { validityDays: 100_000 }));
    assert.equal(long.validTo, ca.x509.validTo);
  });
});

describe('static SCEP challenge', () => {
  it('uses the configured one, else generates one kept 0600 in the data dir', () => {
    const dir = testDataDir();
    assert.equal(loadOrCreateStaticChallenge(dir, 'given'), 'given');
    const made = loadOrCreateStaticChallenge(dir, null);
    assert.match(made, /^[0-9a-f]{32}$/);
    assert.equal(statSync(join(dir, CHALLENGE_FILE)).mode & 0o777, 0o600);
    assert.equal(loadOrCreateStaticChallenge(dir, null), made);
  });
});

describe('crypto primitives', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const secret = randomBytes(32);

  it('decrypts PKCS#1 v1.5 key transport, and answers bad padding with a stable pseudo-random key, not an error', () => {
    const key = randomBytes(16);
    const ct = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, key);
    assert.ok(rsaPkcs1Decrypt(privateKey, secret, ct, 16).equals(key));
    const wrongLength = rsaPkcs1Decrypt(privateKey, secret, ct, 24);
    assert.equal(wrongLength.length, 24);
    const oaep = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, key);
    const rejected = rsaPkcs1Decrypt(privateKey, secret, oaep, 16);
    assert.equal(rejected.length, 16);
    assert.ok(!rejected.equals(key));
    assert.ok(rejected.equals(rsaPkcs1Decrypt(privateKey, secret, oaep, 16)), 'deterministic per ciphertext');
  });

  it('single DES-CBC interoperates with openssl (legacy provider on the openssl side only)', (t) => {
    const des = cipherByName('des-cbc');
    const data = Buffer.from('a certificate request, more or less');
    const { key, iv, ciphertext } = encryptContent(des, data);
    let plain: Buffer;
    try {
      plain = openssl(['enc', '-d', '-des-cbc', '-K', key.toString('hex'), '-iv', iv.toString('hex'), '-provider', 'legacy', '-provider', 'default'], ciphertext);
    } catch {
      return t.skip('this openssl has no legacy provider');
    }
    assert.ok(plain.equals(data));
    assert.ok(decryptContent(des, key, iv, ciphertext).equals(data));
    assert.throws(() => decryptContent(des, key, iv, ciphertext.subarray(0, 7)), /whole number of blocks/);
  });
});
