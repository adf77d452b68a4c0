// The push certificate request from zero, without a server: the push CSR (openssl verifies it), the
// vendor-signed request the portal takes (exactly its keys, the chain, a signature openssl verifies
// with the vendor certificate, SHA-256 or SHA-1), the refusals of a bad vendor identity, and opening
// an mdmcert.download reply encrypted as the service does it (openssl cms, hex) or garbled.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import expoPlist from '@expo/plist';
import { dataDirPendingStore, EXCHANGE_CERT_FILE, makeRequest, PENDING_KEY_FILE, type PendingRequest } from '../../src/push/pending.js';
import { loadVendorIdentity, type VendorIdentity } from '../../src/push/vendor.js';
import { readPushRequest, signPushRequest } from '../../src/push/portal-request.js';
import { openReplyFor } from '../../src/push/pushcert-service.js';
import { PushCertError } from '../../src/push/cert.js';
import { makeVendorFiles, openssl, type VendorFiles } from './portal-helpers.js';

// A second, independent plist parser (a CommonJS default export, unwrapped once more under tsx).
type PlistParser = { parse(xml: string): unknown };
const plist: PlistParser = (expoPlist as unknown as PlistParser & { default?: PlistParser }).default ?? (expoPlist as unknown as PlistParser);

describe('push certificate request', () => {
  let dir: string;
  let v: VendorFiles;
  let vendor: VendorIdentity;
  let csr: Buffer;
  let pending: PendingRequest;
  const read = (p: string) => readFileSync(p);
  const file = (name: string) => join(dir, name);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'updraft-portal-'));
    v = makeVendorFiles(dir);
    vendor = loadVendorIdentity({ cert: read(v.p12), password: 'vendor pw', chain: [read(v.wwdrDer), read(v.rootDer)] });
    const made = await makeRequest(dataDirPendingStore(join(dir, 'data')), { email: 'mdm-admin@example.com', country: 'de', commonName: 'Example push', exchange: true });
    csr = made.csr;
    pending = made.pending;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the push CSR verifies with openssl and carries the subject asked for; the key is kept 0600 in the data dir', () => {
    writeFileSync(file('push.csr.der'), csr);
    const out = openssl(['req', '-inform', 'DER', '-in', file('push.csr.der'), '-verify', '-noout', '-subject']).toString();
    assert.match(out, /C ?= ?DE, CN ?= ?Example push, emailAddress ?= ?mdm-admin@example\.com/);
    const key = join(dir, 'data', PENDING_KEY_FILE);
    assert.equal(statSync(key).mode & 0o777, 0o600);
    const fromKey = openssl(['pkey', '-in', key, '-pubout']).toString();
    const fromCsr = openssl(['req', '-inform', 'DER', '-in', file('push.csr.der'), '-pubkey', '-noout']).toString();
    assert.equal(fromCsr, fromKey, 'the CSR is for the stored key');
  });

  test('signed with a vendor .p12: exactly the portal keys, the chain vendor → WWDR → root, a SHA-256 signature openssl verifies', () => {
    const text = signPushRequest(csr, vendor);
    assert.match(text, /^[A-Za-z0-9+/]+=*$/, 'one base64 line');
    const dict = plist.parse(Buffer.from(text, 'base64').toString('utf8')) as Record<string, string>;
    assert.deepEqual(Object.keys(dict).sort(), ['PushCertCertificateChain', 'PushCertRequestCSR', 'PushCertSignature']);
    assert.ok(Buffer.from(dict.PushCertRequestCSR!, 'base64').equals(csr));

    const blocks = dict.PushCertCertificateChain!.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g)!;
    assert.deepEqual(blocks.map((b) => new X509Certificate(b).raw), [v.certPem, v.wwdrPem, v.rootPem].map((p) => new X509Certificate(read(p)).raw));
    for (const line of dict.PushCertCertificateChain!.split('\n')) assert.ok(line.length <= 64, `PEM line of ${line.length}`);
    writeFileSync(file('chain.pem'), dict.PushCertCertificateChain!);
    assert.match(openssl(['verify', '-CAfile', v.rootPem, '-untrusted', file('chain.pem'), v.certPem]).toString(), /OK/);

    writeFileSync(file('sig.bin'), Buffer.from(dict.PushCertSignature!, 'base64'));
    writeFileSync(file('csr.der'), csr);
    openssl(['x509', '-in', v.certPem, '-pubkey', '-noout', '-out', file('vendor.pub')]);
    assert.match(openssl(['dgst', '-sha256', '-verify', file('vendor.pub'), '-signature', file('sig.bin'), file('csr.der')]).toString(), /Verified OK/);
    assert.equal(readPushRequest(text).digest, 'sha256');
  });

  test('--sha1 for older vendor certificates: openssl verifies it as SHA-1 and not as SHA-256', () => {
    const dict = plist.parse(Buffer.from(signPushRequest(csr, vendor, 'sha1'), 'base64').toString('utf8')) as Record<string, string>;
    writeFileSync(file('sig1.bin'), Buffer.from(dict.PushCertSignature!, 'base64'));
    writeFileSync(file('csr.der'), csr);
    openssl(['x509', '-in', v.certPem, '-pubkey', '-noout', '-out', file('vendor.pub')]);
    assert.match(openssl(['dgst', '-sha1', '-verify', file('vendor.pub'), '-signature', file('sig1.bin'), file('csr.der')]).toString(), /Verified OK/);
    assert.throws(() => openssl(['dgst', '-sha256', '-verify', file('vendor.pub'), '-signature', file('sig1.bin'), file('csr.der')]));
  });

  test('a vendor PEM certificate and key with the chain in one PEM file work too', () => {
    writeFileSync(file('both.pem'), Buffer.concat([read(v.wwdrPem), read(v.rootPem)]));
    const id = loadVendorIdentity({ cert: read(v.certPem), key: read(v.keyPem), chain: [read(file('both.pem'))] });
    assert.equal(id.chain.length, 2);
    assert.match(id.cert.subject, /CN=MDM Vendor: Example Org/);
  });

  test('bad vendor material is refused with a reason', () => {
    const chain = [read(v.wwdrDer), read(v.rootDer)];
    const cases: [Parameters<typeof loadVendorIdentity>[0], RegExp, Date?][] = [
      [{ cert: read(v.otherCert), key: read(v.otherKey), chain }, /"updraft\.example\.com" \(issued by "Apple Worldwide Developer Relations Certification Authority"\) is not an MDM vendor certificate.*mdmcert-download/],
      [{ cert: read(v.wwdrPem), key: read(join(dir, 'wwdr.key')), chain }, /is not an MDM vendor certificate/],
      [{ cert: read(v.p12), password: 'wrong', chain }, /cannot read the vendor certificate file.*wrong password/],
      [{ cert: read(v.p12), password: 'vendor pw' }, /chain stops at "Apple Worldwide Developer Relations Certification Authority".*--chain/],
      [{ cert: read(v.p12), password: 'vendor pw', chain: [read(v.wwdrDer)] }, /chain stops at "Example Root CA"/],
      [{ cert: read(v.certPem), key: read(v.otherKey), chain }, /vendor key does not match the vendor certificate/],
      [{ cert: read(v.certPem), chain }, /private key is missing: give --vendor-key/],
      [{ cert: Buffer.from('not a certificate at all'), key: read(v.keyPem) }, /cannot read the vendor certificate file/],
      [{ cert: read(v.p12), password: 'vendor pw', chain }, /MDM vendor certificate "MDM Vendor: Example Org" expired on/, new Date(Date.now() + 40 * 86_400_000)],
    ];
    for (const [files, reason, at] of cases) {
      assert.throws(() => loadVendorIdentity(files, at), (e: Error) => e instanceof PushCertError && reason.test(e.message), String(reason));
    }
  });

  describe('the mdmcert.download reply', () => {
    let request: string;
    const encrypt = (content: Buffer | string, recipient: string, cipher: string) => {
      writeFileSync(file('content'), content);
      return openssl(['cms', '-encrypt', '-binary', '-in', file('content'), '-outform', 'DER', `-${cipher}`, recipient]).toString('hex');
    };

    before(() => {
      request = signPushRequest(csr, vendor);
      writeFileSync(file('exchange.pem'), pending.exchange!.certPem);
    });

    test('encrypted by openssl cms to the exchange certificate (AES-256, 3DES), hex as the service mails it: opens into the request', () => {
      for (const cipher of ['aes256', 'des3']) {
        const hex = encrypt(request, file('exchange.pem'), cipher);
        const opened = openReplyFor(pending, Buffer.from(hex.replace(/(.{76})/g, '$1\n') + '\n'));
        assert.equal(opened.text, request, cipher);
        assert.ok(opened.request.csr.equals(csr));
      }
      const xml = Buffer.from(request, 'base64');
      const plain = openReplyFor(pending, Buffer.from(encrypt(xml, file('exchange.pem'), 'aes256')));
      assert.equal(plain.text, request, 'a reply carrying the XML plist itself gives the same request to upload');
    });

    test('garbled, for another key or another request: a clear error and the pending key untouched', async () => {
      const other = await makeRequest(dataDirPendingStore(join(dir, 'other')), { exchange: true });
      writeFileSync(file('other-exchange.pem'), other.pending.exchange!.certPem);
      const cases: [Buffer, RegExp][] = [
        [Buffer.from('<html>Your file</html>'), /should be hex text/],
        [Buffer.from(randomBytes(300).toString('hex')), /not an encrypted message/],
        [Buffer.from(encrypt(request, file('other-exchange.pem'), 'aes256')), /not encrypted to the exchange certificate of the pending request/],
        [Buffer.from(encrypt('hello', file('exchange.pem'), 'aes256')), /not a push certificate request/],
        [Buffer.from(encrypt(signPushRequest(other.csr, vendor), file('exchange.pem'), 'aes256')), /for another request/],
      ];
      for (const [body, reason] of cases) {
        assert.throws(() => openReplyFor(pending, body), (e: Error) => e instanceof PushCertError && reason.test(e.message), String(reason));
      }
      assert.throws(() => openReplyFor({ ...pending, exchange: null }, Buffer.from('00')), /no mdmcert\.download request is pending/);
      const kept = await dataDirPendingStore(join(dir, 'data')).load();
      assert.equal(kept?.keyPem, pending.keyPem);
      assert.ok(existsSync(join(dir, 'data', EXCHANGE_CERT_FILE)));
    });
  });
});
