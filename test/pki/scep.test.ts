// SCEP over HTTP against a real server: openssl-built requests (AES, 3DES; POST and GET), static and
// one-time challenges, renewal, refusals with the right failInfo, and malformed input.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { loadPki } from '../../src/pki/pki.js';
import { CA_CERT_FILE } from '../../src/pki/ca.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { testDataDir } from '../helpers/store.js';
import {
  certRepAttributes,
  csr,
  issuedCertificate,
  openssl,
  opensslVerify,
  pkiMessage,
  selfSigned,
  type KeyPair,
} from './scep-client.js';

const CHALLENGE = 'static-secret';
const VALIDITY_DAYS = 30;
const auth = { authorization: `Bearer ${TEST_API_KEY}` };

let server: TestServer;
let caFile: string;
let device: KeyPair; // one RSA key pair reused by every request (keygen is slow)

async function post(der: Buffer, contentType = 'application/x-pki-message'): Promise<Response> {
  return fetch(`${server.url}/scep?operation=PKIOperation`, { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(der) });
}

async function certRep(res: Response) {
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/x-pki-message');
  const der = Buffer.from(await res.arrayBuffer());
  return { der, attrs: certRepAttributes(der) };
}

async function oneTimeChallenge(): Promise<string> {
  const res = await fetch(`${server.url}/v1/challenge`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
  assert.equal(res.status, 200);
  const json = (await res.json()) as { challenge: string; string: string; expires_at: string };
  assert.match(json.challenge, /^[0-9a-f]{32}$/);
  assert.equal(json.string, json.challenge);
  assert.ok(Date.parse(json.expires_at) > Date.now());
  return json.challenge;
}

before(async () => {
  const dataDir = testDataDir();
  server = await startTestServer({
    config: { dataDir, scepChallenge: CHALLENGE, certValidityDays: VALIDITY_DAYS },
    pki: (store, config) => loadPki(config, store),
  });
  caFile = join(dataDir, CA_CERT_FILE);
  device = selfSigned();
});
after(() => server.close());

describe('SCEP discovery', () => {
  it('GetCACaps lists the capabilities as text', async () => {
    const res = await fetch(`${server.url}/scep?operation=GetCACaps`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const caps = (await res.text()).trim().split('\n');
    for (const cap of ['POSTPKIOperation', 'SHA-256', 'AES', 'SCEPStandard', 'Renewal']) assert.ok(caps.includes(cap), cap);
  });

  it('GetCACert returns the CA certificate as DER', async () => {
    const res = await fetch(`${server.url}/scep?operation=GetCACert`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-x509-ca-cert');
    const cert = new X509Certificate(Buffer.from(await res.arrayBuffer()));
    assert.ok(cert.ca);
    assert.ok(cert.raw.equals(new X509Certificate(openssl(['x509', '-in', caFile])).raw));
  });
});

describe('PKCSReq', () => {
  for (const [cipher, method] of [
    ['-aes128', 'POST'],
    ['-aes256', 'POST'],
    ['-des3', 'GET'],
    ['-aes128', 'GET with raw base64'],
  ] as const) {
    it(`issues a certificate for a ${cipher.slice(1)} request by ${method} with the static challenge`, async () => {
      const msg = pkiMessage({ csr: csr(device.keyFile, `device ${cipher}`, CHALLENGE), caCertFile: caFile, signer: device, cipher });
      const b64 = msg.der.toString('base64');
      const res =
        method === 'POST'
          ? await post(msg.der)
          : await fetch(`${server.url}/scep?operation=PKIOperation&message=${method === 'GET' ? encodeURIComponent(b64) : b64}`);
      const { der, attrs } = await certRep(res);
      assert.equal(attrs.messageType, '3');
      assert.equal(attrs.pkiStatus, '0');
      assert.equal(attrs.transactionId, msg.transactionId);
      assert.ok(attrs.recipientNonce?.equals(msg.senderNonce));
      assert.equal(attrs.senderNonce?.length, 16);
      const pem = issuedCertificate(der, caFile, device);
      assert.match(opensslVerify(pem, caFile), /OK/);
      const cert = new X509Certificate(pem);
      assert.equal(cert.subject, `CN=device ${cipher}`);
      assert.ok(method === 'POST' || b64.includes('+'), 'the raw base64 case carries a + the query parser turns into a space');
      assert.ok(cert.publicKey.equals(new X509Certificate(openssl(['x509', '-in', device.certFile])).publicKey));
      const days = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
      assert.ok(days > VALIDITY_DAYS - 1 && days <= VALIDITY_DAYS, `validity ${days} days`);
      assert.ok(cert.keyUsage?.includes('1.3.6.1.5.5.7.3.2'), 'clientAuth');
    });
  }

  it('takes a one-time challenge once; the replay gets FAILURE badRequest', async () => {
    const challenge = await oneTimeChallenge();
    const first = await certRep(await post(pkiMessage({ csr: csr(device.keyFile, 'one-time', challenge), caCertFile: caFile, signer: device }).der));
    assert.equal(first.attrs.pkiStatus, '0');
    const replay = await certRep(await post(pkiMessage({ csr: csr(device.keyFile, 'one-time', challenge), caCertFile: caFile, signer: device }).der));
    assert.equal(replay.attrs.pkiStatus, '2');
    assert.equal(replay.attrs.failInfo, '2');
  });

  it('refuses a wrong or missing challenge with FAILURE badRequest', async () => {
    for (const challenge of ['not-the-secret', null]) {
      const msg = pkiMessage({ csr: csr(device.keyFile, 'wrong', challenge), caCertFile: caFile, signer: device });
      const { attrs } = await certRep(await post(msg.der));
      assert.equal(attrs.pkiStatus, '2');
      assert.equal(attrs.failInfo, '2');
      assert.equal(attrs.transactionId, msg.transactionId);
      assert.ok(attrs.recipientNonce?.equals(msg.senderNonce));
    }
  });

  it('refuses a too-small key without spending the one-time challenge', async () => {
    const challenge = await oneTimeChallenge();
    const weak = selfSigned(1024, 'weak');
    const refused = await certRep(await post(pkiMessage({ csr: csr(weak.keyFile, 'weak', challenge), caCertFile: caFile, signer: weak }).der));
    assert.equal(refused.attrs.pkiStatus, '2');
    assert.equal(refused.attrs.failInfo, '2');
    const ok = await certRep(await post(pkiMessage({ csr: csr(device.keyFile, 'after-weak', challenge), caCertFile: caFile, signer: device }).der));
    assert.equal(ok.attrs.pkiStatus, '0', 'the challenge is still valid');
  });

  it('answers badMessageCheck to a request encrypted to another CA or with a broken signature', async () => {
    const other = selfSigned(2048, 'some other CA');
    const misaddressed = pkiMessage({ csr: csr(device.keyFile, 'x', CHALLENGE), caCertFile: other.certFile, signer: device });
    assert.equal((await certRep(await post(misaddressed.der))).attrs.failInfo, '1');
    const tampered = Buffer.from(pkiMessage({ csr: csr(device.keyFile, 'x', CHALLENGE), caCertFile: caFile, signer: device }).der);
    tampered[tampered.length - 10] ^= 0xff; // inside the signature value
    const { attrs } = await certRep(await post(tampered));
    assert.equal(attrs.pkiStatus, '2');
    assert.equal(attrs.failInfo, '1');
  });

  it('answers badRequest to message types it does not serve (GetCRL)', async () => {
    const msg = pkiMessage({ csr: csr(device.keyFile, 'x', CHALLENGE), caCertFile: caFile, signer: device, messageType: '22' });
    const { attrs } = await certRep(await post(msg.der));
    assert.equal(attrs.pkiStatus, '2');
    assert.equal(attrs.failInfo, '2');
  });
});

describe('RenewalReq', () => {
  it('renews without a challenge when signed by a current identity from this CA, refuses a self-signed one', async () => {
    const first = await certRep(await post(pkiMessage({ csr: csr(device.keyFile, 'renew-me', CHALLENGE), caCertFile: caFile, signer: device }).der));
    const certFile = join(server.config.dataDir, 'issued-for-renewal.pem');
    const { writeFileSync } = await import('node:fs');
    const pem = issuedCertificate(first.der, caFile, device);
    writeFileSync(certFile, pem);
    const identity: KeyPair = { keyFile: device.keyFile, certFile, certDer: new X509Certificate(pem).raw };
    const renewal = pkiMessage({ csr: csr(device.keyFile, 'renew-me', null), caCertFile: caFile, signer: identity, messageType: '17' });
    const renewed = await certRep(await post(renewal.der));
    assert.equal(renewed.attrs.pkiStatus, '0');
    assert.match(opensslVerify(issuedCertificate(renewed.der, caFile, identity), caFile), /OK/);
    const selfSignedRenewal = pkiMessage({ csr: csr(device.keyFile, 'renew-me', null), caCertFile: caFile, signer: device, messageType: '17' });
    const refused = await certRep(await post(selfSignedRenewal.der));
    assert.equal(refused.attrs.pkiStatus, '2');
    assert.equal(refused.attrs.failInfo, '2');
  });
});

describe('malformed SCEP input', () => {
  it('answers 400 with a reason, never 401', async () => {
    const cases: Array<[string, Promise<Response>]> = [
      ['garbage body', post(Buffer.from('this is not DER'))],
      ['empty body', post(Buffer.alloc(0))],
      ['truncated message', post(pkiMessage({ csr: csr(device.keyFile, 'x', CHALLENGE), caCertFile: caFile, signer: device }).der.subarray(0, 300))],
      ['GET without message', fetch(`${server.url}/scep?operation=PKIOperation`)],
      ['GET with non-base64 message', fetch(`${server.url}/scep?operation=PKIOperation&message=%%%`)],
      ['unknown operation', fetch(`${server.url}/scep?operation=GetCRL`)],
      ['no operation', fetch(`${server.url}/scep`)],
      ['POST of another operation', fetch(`${server.url}/scep?operation=GetCACert`, { method: 'POST', body: 'x' })],
    ];
    for (const [name, pending] of cases) {
      const res = await pending;
      assert.equal(res.status, 400, name);
      assert.ok((await res.text()).trim().length > 10, `${name}: a reason`);
    }
  });

  it('never fails with a 5xx on a corrupted message (200 CertRep or 400, byte by byte)', async () => {
    const good = pkiMessage({ csr: csr(device.keyFile, 'fuzz', 'wrong'), caCertFile: caFile, signer: device }).der;
    for (let i = 0; i < good.length; i += Math.ceil(good.length / 60)) {
      const bad = Buffer.from(good);
      bad[i] ^= 0x5a;
      const res = await post(bad);
      assert.ok(res.status === 200 || res.status === 400, `byte ${i}: ${res.status}`);
      await res.arrayBuffer();
    }
  });

  it('needs the API key for one-time challenges (the API may answer 401; SCEP never does)', async () => {
    const res = await fetch(`${server.url}/v1/challenge`, { method: 'POST' });
    assert.equal(res.status, 401);
  });
});
