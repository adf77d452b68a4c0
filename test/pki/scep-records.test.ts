// What SCEP remembers: every issued certificate is recorded (serial, subject, validity, SHA-256,
// transactionID, enrollment), CertPoll answers from that record, GET /v1/certificates lists it, and
// GetNextCACert is refused (no rollover CA) and not advertised.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPki } from '../../src/pki/pki.js';
import { CA_CERT_FILE } from '../../src/pki/ca.js';
import { certParts } from '../../src/pki/x509-der.js';
import { seq, set, tlv, oid } from '../../src/asn1/index.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { testDataDir } from '../helpers/store.js';
import { certRepAttributes, csr, issuedCertificate, pkiMessage, selfSigned, type KeyPair } from './scep-client.js';

const CHALLENGE = 'records-secret';
const auth = { authorization: `Bearer ${TEST_API_KEY}` };
let server: TestServer;
let caFile: string;
let device: KeyPair;

interface CertJson {
  serial: string; subject: string; not_before: string; not_after: string; sha256: string;
  transaction_id: string; enrollment_id: string | null; issued_at: string; revoked_at: string | null;
}

const post = (der: Buffer) =>
  fetch(`${server.url}/scep?operation=PKIOperation`, { method: 'POST', headers: { 'content-type': 'application/x-pki-message' }, body: new Uint8Array(der) });

async function send(der: Buffer) {
  const res = await post(der);
  assert.equal(res.status, 200);
  const body = Buffer.from(await res.arrayBuffer());
  return { body, attrs: certRepAttributes(body) };
}

async function listCerts(query = ''): Promise<CertJson[]> {
  const res = await fetch(`${server.url}/v1/certificates${query}`, { headers: auth });
  assert.equal(res.status, 200);
  return ((await res.json()) as { certificates: CertJson[] }).certificates;
}

/** IssuerAndSubject (RFC 8894 §3.3.3), the content of a CertPoll. */
function issuerAndSubject(cn: string): Buffer {
  const ca = certParts(Buffer.from(new X509Certificate(readFileSync(caFile)).raw));
  return seq(ca.subject, seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn))))));
}

before(async () => {
  const dataDir = testDataDir();
  server = await startTestServer({ config: { dataDir, scepChallenge: CHALLENGE }, pki: (store, config) => loadPki(config, store) });
  caFile = join(dataDir, CA_CERT_FILE);
  device = selfSigned();
});
after(() => server.close());

describe('GetNextCACert', () => {
  it('is refused with 404 and a reason (no rollover CA), and GetCACaps does not offer it', async () => {
    const res = await fetch(`${server.url}/scep?operation=GetNextCACert`);
    assert.equal(res.status, 404);
    assert.match(await res.text(), /rollover/);
    const caps = (await (await fetch(`${server.url}/scep?operation=GetCACaps`)).text()).trim().split('\n');
    assert.ok(!caps.includes('GetNextCACert'));
  });
});

describe('issued-certificate record and CertPoll', () => {
  it('records what it issued: serial, subject, validity, SHA-256 and transactionID, not yet bound or revoked', async () => {
    const msg = pkiMessage({ csr: csr(device.keyFile, 'recorded device', CHALLENGE), caCertFile: caFile, signer: device });
    const { body, attrs } = await send(msg.der);
    assert.equal(attrs.pkiStatus, '0');
    const cert = new X509Certificate(issuedCertificate(body, caFile, device));
    const [row] = (await listCerts()).filter((c) => c.transaction_id === msg.transactionId);
    assert.ok(row, 'a row for the transaction');
    assert.equal(row.serial, cert.serialNumber);
    assert.equal(row.subject, 'CN=recorded device');
    assert.equal(row.sha256, createHash('sha256').update(cert.raw).digest('hex'));
    assert.equal(Date.parse(row.not_before), Date.parse(cert.validFrom));
    assert.equal(Date.parse(row.not_after), Date.parse(cert.validTo));
    assert.equal(row.enrollment_id, null);
    assert.equal(row.revoked_at, null);
    assert.ok(Math.abs(Date.parse(row.issued_at) - Date.now()) < 60_000);
  });

  it('CertPoll for an issued transaction answers SUCCESS with the same certificate, encrypted to the poller', async () => {
    const msg = pkiMessage({ csr: csr(device.keyFile, 'polled device', CHALLENGE), caCertFile: caFile, signer: device });
    const first = await send(msg.der);
    const issued = new X509Certificate(issuedCertificate(first.body, caFile, device));
    const poll = pkiMessage({ csr: issuerAndSubject('polled device'), caCertFile: caFile, signer: device, messageType: '20', transactionId: msg.transactionId });
    const { body, attrs } = await send(poll.der);
    assert.equal(attrs.messageType, '3');
    assert.equal(attrs.pkiStatus, '0');
    assert.equal(attrs.transactionId, msg.transactionId);
    assert.ok(attrs.recipientNonce?.equals(poll.senderNonce));
    assert.ok(new X509Certificate(issuedCertificate(body, caFile, device)).raw.equals(issued.raw));
    assert.equal((await listCerts()).filter((c) => c.transaction_id === msg.transactionId).length, 1, 'polling issues nothing new');
  });

  it('CertPoll for an unknown transaction answers FAILURE badCertId', async () => {
    const poll = pkiMessage({ csr: issuerAndSubject('nobody'), caCertFile: caFile, signer: device, messageType: '20', transactionId: 'never-issued-transaction' });
    const { attrs } = await send(poll.der);
    assert.equal(attrs.pkiStatus, '2');
    assert.equal(attrs.failInfo, '4');
    assert.equal(attrs.transactionId, 'never-issued-transaction');
    assert.ok(attrs.recipientNonce?.equals(poll.senderNonce));
  });

  it('a refused request records nothing', async () => {
    const msg = pkiMessage({ csr: csr(device.keyFile, 'refused', 'wrong challenge'), caCertFile: caFile, signer: device });
    assert.equal((await send(msg.der)).attrs.failInfo, '2');
    assert.equal((await listCerts()).filter((c) => c.transaction_id === msg.transactionId).length, 0);
  });
});

describe('GET /v1/certificates?enrollment_id=', () => {
  it('finds a first certificate through the enrollment that authenticates with it, and a renewal by its signer', async () => {
    const msg = pkiMessage({ csr: csr(device.keyFile, 'bound device', CHALLENGE), caCertFile: caFile, signer: device });
    const { body } = await send(msg.der);
    const pem = issuedCertificate(body, caFile, device);
    const cert = new X509Certificate(pem);
    const hash = createHash('sha256').update(cert.raw).digest('hex');
    const id = 'RECORDS-UDID-0001';
    assert.deepEqual(await listCerts(`?enrollment_id=${id}`), []);
    await server.store.authenticate({ id, type: 'Device', deviceId: id, udid: id, topic: 'com.apple.mgmt.test', inventory: {}, certHash: hash, at: new Date() });
    const bound = await listCerts(`?enrollment_id=${id}`);
    assert.deepEqual(bound.map((c) => [c.transaction_id, c.enrollment_id]), [[msg.transactionId, id]]);

    const certFile = join(server.config.dataDir, 'records-identity.pem');
    writeFileSync(certFile, pem);
    const identity: KeyPair = { keyFile: device.keyFile, certFile, certDer: cert.raw };
    const renewal = pkiMessage({ csr: csr(device.keyFile, 'bound device', null), caCertFile: caFile, signer: identity, messageType: '17' });
    assert.equal((await send(renewal.der)).attrs.pkiStatus, '0');
    const after = await listCerts(`?enrollment_id=${id}`);
    assert.deepEqual(after.map((c) => [c.transaction_id, c.enrollment_id]), [[renewal.transactionId, id], [msg.transactionId, id]], 'newest first');
    assert.deepEqual(await listCerts('?enrollment_id=SOMEONE-ELSE'), []);
    assert.equal((await listCerts('?limit=1')).length, 1);
  });

  it('answers bad paging with 400 and a reason, and wants the API key', async () => {
    const bad = await fetch(`${server.url}/v1/certificates?limit=0`, { headers: auth });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /limit/);
    assert.equal((await fetch(`${server.url}/v1/certificates`)).status, 401);
  });
});
