// Push certificate import: PEM and .p12 (modern AES and legacy 3DES/RC2 as Keychain exports),
// topic extraction, and clear errors for everything else. .p12 files are made by openssl.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePushCertPem, PushCertError, topicFromCert } from '../../src/push/cert.js';
import { parsePushCertP12 } from '../../src/push/p12-cert.js';
import { rc2DecryptBlock } from '../../src/push/rc2.js';
import { makeFakePushCert, makeSelfSigned } from '../../src/push/selfsigned.js';
import { X509Certificate } from 'node:crypto';

const TOPIC = 'com.apple.mgmt.External.e3b8ceac-1f18-2c8e-8a63-dd17d99435d9';

function openssl(args: string[]): boolean {
  try {
    execFileSync('openssl', args, { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

describe('push certificate import', () => {
  let dir: string;
  let certPem: string;
  let keyPem: string;
  const p12 = (name: string) => readFileSync(join(dir, name));
  let legacyMade = false;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'updraft-pushcert-'));
    // An RSA certificate shaped like Apple's: UID=topic, CN=APSP:…, C=US.
    assert.ok(openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-days', '365', '-subj', `/UID=${TOPIC}/CN=APSP:e3b8ceac-1f18-2c8e-8a63-dd17d99435d9/C=US`]), 'openssl req');
    certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    keyPem = readFileSync(join(dir, 'key.pem'), 'utf8');
    const base = ['pkcs12', '-export', '-in', join(dir, 'cert.pem'), '-inkey', join(dir, 'key.pem'), '-passout', 'pass:s3cret pw'];
    assert.ok(openssl([...base, '-out', join(dir, 'modern.p12')]), 'openssl pkcs12 (AES)');
    assert.ok(openssl([...base, '-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1', '-out', join(dir, '3des.p12')]), 'openssl pkcs12 (3DES)');
    legacyMade = openssl([...base, '-legacy', '-out', join(dir, 'legacy.p12')]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('PEM certificate + key concatenated (NanoMDM upload shape): topic, expiry, normalized key', () => {
    const c = parsePushCertPem(certPem + keyPem);
    assert.equal(c.topic, TOPIC);
    assert.equal(c.notAfter.toISOString(), new Date(new X509Certificate(certPem).validTo).toISOString());
    assert.match(c.keyPem, /^-----BEGIN PRIVATE KEY-----/);
    assert.equal(parsePushCertPem(keyPem + certPem).topic, TOPIC, 'order does not matter');
    assert.equal(parsePushCertPem((certPem + keyPem).replace(/-----\n-----/g, '----------')).topic, TOPIC, 'blocks run together');
  });

  test('.p12 with AES-256 (openssl 3 default)', () => {
    const c = parsePushCertP12(p12('modern.p12'), 's3cret pw');
    assert.equal(c.topic, TOPIC);
    assert.equal(c.certPem.trim(), new X509Certificate(certPem).toString().trim());
  });

  test('.p12 with 3DES and a SHA-1 MAC', () => {
    assert.equal(parsePushCertP12(p12('3des.p12'), 's3cret pw').topic, TOPIC);
  });

  test('.p12 legacy (RC2-40 certificates, 3DES key), as Keychain exports', (t) => {
    if (!legacyMade) return t.skip('this openssl cannot write -legacy files');
    assert.equal(parsePushCertP12(p12('legacy.p12'), 's3cret pw').topic, TOPIC);
  });

  test('RC2 matches RFC 2268 test vectors', () => {
    const vectors: [string, number, string, string][] = [
      ['0000000000000000', 63, '0000000000000000', 'ebb773f993278eff'],
      ['ffffffffffffffff', 64, 'ffffffffffffffff', '278b27e42e2f0d49'],
      ['3000000000000000', 64, '1000000000000001', '30649edf9be7d2c2'],
      ['88bca90e90875a7f0f79c384627bafb2', 128, '0000000000000000', '2269552ab0f85ca6'],
    ];
    for (const [key, bits, plain, cipher] of vectors) {
      assert.equal(rc2DecryptBlock(Buffer.from(key, 'hex'), bits, Buffer.from(cipher, 'hex')).toString('hex'), plain);
    }
  });

  test('wrong .p12 password is a clear error', () => {
    for (const file of ['modern.p12', '3des.p12', ...(legacyMade ? ['legacy.p12'] : [])]) {
      assert.throws(() => parsePushCertP12(p12(file), 'wrong'), (e: Error) => e instanceof PushCertError && /wrong password/.test(e.message), file);
    }
  });

  test('corrupt .p12 and corrupt PEM are clear errors', () => {
    const bytes = p12('modern.p12');
    assert.throws(() => parsePushCertP12(bytes.subarray(0, bytes.length / 2), 's3cret pw'), PushCertError);
    assert.throws(() => parsePushCertP12(Buffer.from('not a p12 at all'), 'x'), PushCertError);
    const broken = certPem.replace(/^(-----BEGIN CERTIFICATE-----\n)(.{20})/, '$1AAAAAAAAAAAAAAAAAAAA');
    assert.throws(() => parsePushCertPem(broken + keyPem), /certificate cannot be parsed/);
    assert.throws(() => parsePushCertPem('hello'), /no PEM certificate/);
    assert.throws(() => parsePushCertPem(certPem), /no PEM private key/);
  });

  test('a key that does not match, an encrypted key, a non-MDM topic and an expired certificate are refused', async () => {
    const other = await makeSelfSigned({ commonName: 'other' });
    assert.throws(() => parsePushCertPem(certPem + other.keyPem), /does not match/);
    writeFileSync(join(dir, 'enc.pem'), '');
    assert.ok(openssl(['pkey', '-in', join(dir, 'key.pem'), '-aes256', '-passout', 'pass:x', '-out', join(dir, 'enc.pem')]));
    assert.throws(() => parsePushCertPem(certPem + readFileSync(join(dir, 'enc.pem'), 'utf8')), /encrypted/);
    const web = await makeSelfSigned({ commonName: 'www.example.com', uid: 'com.example.app' });
    assert.throws(() => parsePushCertPem(web.certPem + web.keyPem), /does not start with com\.apple\.mgmt\./);
    const noUid = await makeSelfSigned({ commonName: 'no uid' });
    assert.throws(() => parsePushCertPem(noUid.certPem + noUid.keyPem), /no UID/);
    const old = await makeFakePushCert({ notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') });
    assert.throws(() => parsePushCertPem(old.certPem + old.keyPem), /expired on 2021-01-01/);
  });

  test('topic comes from the subject UID whatever its string type', async () => {
    const made = await makeFakePushCert({ topic: TOPIC });
    assert.equal(topicFromCert(new X509Certificate(made.certPem).raw), TOPIC);
    assert.equal(topicFromCert(new X509Certificate(certPem).raw), TOPIC);
  });
});
