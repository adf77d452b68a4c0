// Devices repeat a PKCSReq or RenewalReq when the reply is lost: the same transactionID with the same
// public key gets the certificate already issued (even though its one-time challenge is spent), with
// another key FAILURE badRequest. Revoked certificates are not handed out again and cannot renew.
// Identical requests arriving together (all past the lookup before any is recorded) get one
// certificate: the record keeps transactionIDs unique, and the others are answered from the winner.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPki } from '../../src/pki/pki.js';
import type { Store } from '../../src/storage/types.js';
import { CA_CERT_FILE } from '../../src/pki/ca.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { testDataDir } from '../helpers/store.js';
import { certRepAttributes, csr, issuedCertificate, pkiMessage, selfSigned, tmp, type KeyPair } from './scep-client.js';

const auth = { authorization: `Bearer ${TEST_API_KEY}` };
const SUCCESS = '0';
const FAILURE = '2';
const BAD_REQUEST = '2';
const BAD_CERT_ID = '4';
const STATIC_CHALLENGE = 'scep-retry-static';
let server: TestServer;
let caFile: string;

/**
 * Holds the first `n` transactionID lookups of one transaction until all `n` are waiting, so that
 * `n` concurrent requests are all past the "already issued?" check before any of them is recorded.
 */
let gate: { transactionId: string; n: number; release: Array<() => void> } | null = null;
function gated(store: Store): Store {
  const wrapped = Object.create(store) as Store;
  wrapped.certificateByTransaction = async (id: string) => {
    const g = gate;
    if (g && g.transactionId === id && g.n > 0) {
      g.n--;
      await new Promise<void>((resolve) => {
        g.release.push(resolve);
        if (g.n === 0) for (const r of g.release) r();
        else setTimeout(resolve, 5000).unref();
      });
    }
    return store.certificateByTransaction(id);
  };
  return wrapped;
}

async function send(der: Buffer) {
  const res = await fetch(`${server.url}/scep?operation=PKIOperation`, { method: 'POST', headers: { 'content-type': 'application/x-pki-message' }, body: new Uint8Array(der) });
  assert.equal(res.status, 200);
  const body = Buffer.from(await res.arrayBuffer());
  return { body, attrs: certRepAttributes(body) };
}

/** A one-time challenge from the API (spent by the first request that uses it). */
async function challenge(): Promise<string> {
  const res = await fetch(`${server.url}/v1/challenge`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
  return ((await res.json()) as { challenge: string }).challenge;
}

async function recorded(transactionId: string): Promise<Array<{ serial: string; revoked_at: string | null }>> {
  const res = await fetch(`${server.url}/v1/certificates?limit=1000`, { headers: auth });
  const all = ((await res.json()) as { certificates: Array<{ serial: string; transaction_id: string; revoked_at: string | null }> }).certificates;
  return all.filter((c) => c.transaction_id === transactionId);
}

/** The issued certificate as a signer for a RenewalReq (same key as `key`). */
function identityOf(pem: string, key: KeyPair): KeyPair {
  const certFile = tmp('identity.pem');
  writeFileSync(certFile, pem);
  return { keyFile: key.keyFile, certFile, certDer: new X509Certificate(pem).raw };
}

before(async () => {
  const dataDir = testDataDir();
  server = await startTestServer({ config: { dataDir, scepChallenge: STATIC_CHALLENGE }, pki: (store, config) => loadPki(config, gated(store)) });
  caFile = join(dataDir, CA_CERT_FILE);
});
after(() => server.close());

describe('a repeated PKCSReq', () => {
  it('with the same transactionID and key gets the same certificate again, though its one-time challenge is spent', async () => {
    const device = selfSigned();
    const msg = pkiMessage({ csr: csr(device.keyFile, 'retrying device', await challenge()), caCertFile: caFile, signer: device });
    const first = await send(msg.der);
    assert.equal(first.attrs.pkiStatus, SUCCESS);
    const issued = issuedCertificate(first.body, caFile, device);

    // The very same bytes (the reply was lost in transit)…
    const again = await send(msg.der);
    assert.equal(again.attrs.pkiStatus, SUCCESS, `failInfo ${again.attrs.failInfo}`);
    assert.equal(again.attrs.transactionId, msg.transactionId);
    assert.ok(again.attrs.recipientNonce?.equals(msg.senderNonce));
    assert.equal(new X509Certificate(issuedCertificate(again.body, caFile, device)).fingerprint256, new X509Certificate(issued).fingerprint256);

    // …and a fresh message (new nonce, new envelope, another cipher) for the same transaction and key.
    const rebuilt = pkiMessage({ csr: csr(device.keyFile, 'retrying device', 'spent-or-not'), caCertFile: caFile, signer: device, transactionId: msg.transactionId, cipher: '-des3' });
    const third = await send(rebuilt.der);
    assert.equal(third.attrs.pkiStatus, SUCCESS);
    assert.ok(third.attrs.recipientNonce?.equals(rebuilt.senderNonce));
    assert.equal(new X509Certificate(issuedCertificate(third.body, caFile, device)).serialNumber, new X509Certificate(issued).serialNumber);

    assert.equal((await recorded(msg.transactionId)).length, 1, 'one certificate recorded for the transaction');
  });

  it('with the same transactionID and another key is refused with badRequest, issuing nothing and keeping the challenge', async () => {
    const owner = selfSigned();
    const msg = pkiMessage({ csr: csr(owner.keyFile, 'owner', await challenge()), caCertFile: caFile, signer: owner });
    assert.equal((await send(msg.der)).attrs.pkiStatus, SUCCESS);

    const intruder = selfSigned();
    const spare = await challenge();
    const hijack = pkiMessage({ csr: csr(intruder.keyFile, 'owner', spare), caCertFile: caFile, signer: intruder, transactionId: msg.transactionId });
    const { attrs } = await send(hijack.der);
    assert.equal(attrs.pkiStatus, FAILURE);
    assert.equal(attrs.failInfo, BAD_REQUEST);
    assert.equal(attrs.transactionId, msg.transactionId);
    assert.equal((await recorded(msg.transactionId)).length, 1);

    // The refused request did not spend its challenge: it still works for a transaction of its own.
    const own = pkiMessage({ csr: csr(intruder.keyFile, 'intruder', spare), caCertFile: caFile, signer: intruder });
    assert.equal((await send(own.der)).attrs.pkiStatus, SUCCESS);
  });
});

describe('a repeated RenewalReq', () => {
  it('gets the renewed certificate again, and one signed by a revoked certificate is refused', async () => {
    const device = selfSigned();
    const first = pkiMessage({ csr: csr(device.keyFile, 'renewing device', await challenge()), caCertFile: caFile, signer: device });
    const old = issuedCertificate((await send(first.der)).body, caFile, device);
    const signer = identityOf(old, device);

    const renewal = pkiMessage({ csr: csr(device.keyFile, 'renewing device', null), caCertFile: caFile, signer, messageType: '17' });
    const r1 = await send(renewal.der);
    assert.equal(r1.attrs.pkiStatus, SUCCESS);
    const renewed = new X509Certificate(issuedCertificate(r1.body, caFile, signer));
    const r2 = await send(renewal.der);
    assert.equal(r2.attrs.pkiStatus, SUCCESS);
    assert.equal(new X509Certificate(issuedCertificate(r2.body, caFile, signer)).fingerprint256, renewed.fingerprint256);
    assert.equal((await recorded(renewal.transactionId)).length, 1);

    // Revoke the old certificate: it can no longer sign a renewal, and its PKCSReq retry is refused.
    const serial = new X509Certificate(old).serialNumber;
    const res = await fetch(`${server.url}/v1/certificates/${serial}/revoke`, { method: 'POST', headers: auth });
    assert.equal(res.status, 200);
    const again = pkiMessage({ csr: csr(device.keyFile, 'renewing device', null), caCertFile: caFile, signer, messageType: '17' });
    const refused = await send(again.der);
    assert.equal(refused.attrs.pkiStatus, FAILURE);
    assert.equal(refused.attrs.failInfo, BAD_REQUEST);
    assert.equal((await recorded(again.transactionId)).length, 0);
    const retry = await send(first.der);
    assert.equal(retry.attrs.pkiStatus, FAILURE);
    assert.equal(retry.attrs.failInfo, BAD_REQUEST);

    // A CertPoll for the revoked certificate's transaction is not answered with it either.
    const poll = pkiMessage({ csr: Buffer.from([0x30, 0x00]), caCertFile: caFile, signer: device, messageType: '20', transactionId: first.transactionId });
    const polled = await send(poll.der);
    assert.equal(polled.attrs.pkiStatus, FAILURE);
    assert.equal(polled.attrs.failInfo, BAD_CERT_ID);

    // The renewed certificate is not revoked and renews in turn.
    const next = identityOf(renewed.toString(), device);
    const r3 = await send(pkiMessage({ csr: csr(device.keyFile, 'renewing device', null), caCertFile: caFile, signer: next, messageType: '17' }).der);
    assert.equal(r3.attrs.pkiStatus, SUCCESS);
  });
});

describe('identical requests arriving together', () => {
  it('issue one certificate, recorded once, and every answer carries it', async () => {
    const device = selfSigned();
    const msg = pkiMessage({ csr: csr(device.keyFile, 'eager device', STATIC_CHALLENGE), caCertFile: caFile, signer: device });
    gate = { transactionId: msg.transactionId, n: 8, release: [] };
    const answers = await Promise.all(Array.from({ length: 8 }, () => send(msg.der)));
    assert.equal(gate.n, 0, 'all 8 requests looked the transaction up before any was recorded');
    gate = null;

    const rows = await recorded(msg.transactionId);
    assert.equal(rows.length, 1, 'one certificate recorded for the transaction');
    for (const a of answers) {
      assert.equal(a.attrs.pkiStatus, SUCCESS, `failInfo ${a.attrs.failInfo}`);
      assert.equal(a.attrs.transactionId, msg.transactionId);
      assert.equal(new X509Certificate(issuedCertificate(a.body, caFile, device)).serialNumber, rows[0]!.serial);
    }
  });

  it('with two keys: the first recorded wins, its key gets the certificate, the other key badRequest', async () => {
    const [one, two] = [selfSigned(), selfSigned()];
    const transactionId = `race-${Date.now()}`;
    const build = (k: typeof one) => pkiMessage({ csr: csr(k.keyFile, 'contested', STATIC_CHALLENGE), caCertFile: caFile, signer: k, transactionId });
    const [m1, m2] = [build(one), build(two)];
    gate = { transactionId, n: 6, release: [] };
    const answers = await Promise.all([m1, m2, m1, m2, m1, m2].map((m) => send(m.der)));
    assert.equal(gate.n, 0);
    gate = null;

    const rows = await recorded(transactionId);
    assert.equal(rows.length, 1);
    const wins = answers.filter((a) => a.attrs.pkiStatus === SUCCESS);
    const losses = answers.filter((a) => a.attrs.pkiStatus !== SUCCESS);
    assert.equal(wins.length, 3, 'the three requests with the winning key');
    for (const l of losses) {
      assert.equal(l.attrs.pkiStatus, FAILURE);
      assert.equal(l.attrs.failInfo, BAD_REQUEST);
    }
    const winner = answers.indexOf(wins[0]!) % 2 === 0 ? one : two;
    for (const w of wins) assert.equal(new X509Certificate(issuedCertificate(w.body, caFile, winner)).serialNumber, rows[0]!.serial);
  });
});
