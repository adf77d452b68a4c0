// From zero to a push certificate through a running server: the server makes and keeps the push key
// (POST /v1/pushcert/request), shows its state, matches the portal's .pem (uploaded without a key)
// to it, refuses a certificate for another key and a renewal with another topic (naming the Apple
// ID rule) without touching what is stored, and picks up a key made with --local in its data dir.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { testDataDir, testDbLabel } from '../helpers/store.js';
import { PENDING_KEY_FILE } from '../../src/push/pending.js';
import { buildCsr } from '../../src/pki/csr.js';
import { PushCertService, pushSetupHint } from '../../src/push/pushcert-service.js';
import { runRequest } from '../../src/cli/pushcert-request.js';
import { pemDer, portalIssue } from './portal-helpers.js';

const auth = { authorization: `Bearer ${TEST_API_KEY}` };

describe(`push certificate from zero through the server (${testDbLabel})`, () => {
  let server: TestServer;
  let dataDir: string;
  const api = (path: string, init: RequestInit = {}) => fetch(server.url + path, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
  const json = async (res: Response) => (await res.json()) as Record<string, any>;
  const post = (body: object) => api('/v1/pushcert/request', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const put = (body: string, query = '') => api(`/v1/pushcert${query}`, { method: 'PUT', body, headers: { 'content-type': 'text/plain' } });

  before(async () => {
    dataDir = testDataDir();
    server = await startTestServer({ config: { dataDir } });
  });
  after(() => server.close());

  test('no key, no certificate: GET /v1/pushcert/request is 404 and `serve` would point at both ways to start', async () => {
    assert.equal((await api('/v1/pushcert/request')).status, 404);
    assert.match((await json(await api('/v1/pushcert'))).error, /updraft pushcert request/);
    const hint = pushSetupHint(await new PushCertService({ store: server.store, dataDir }).pendingState());
    assert.match(hint, /no push certificate yet.*pushcert request --vendor-cert.*pushcert mdmcert-download --email.*From zero to a push certificate/);
  });

  test('bad request fields are 400 with the reason; nothing is made', async () => {
    for (const [body, reason] of [
      [{ country: 'USA' }, /two-letter/],
      [{ email: 'not an address' }, /not an email address/],
      [{ common_name: 'x'.repeat(65) }, /common_name/],
    ] as const) {
      const res = await post(body);
      assert.equal(res.status, 400);
      assert.match((await json(res)).error, reason);
    }
    assert.equal((await api('/v1/pushcert/request')).status, 404);
  });

  let firstCsr: Buffer;
  test('the server makes the push key, keeps it (asked again: the same key) and answers a CSR for it; new_key replaces it', async () => {
    const made = await json(await post({ email: 'admin@example.com' }));
    firstCsr = pemDer(made.csr);
    assert.equal(made.reused, false);
    assert.equal(made.exchange_cert, null);
    const state = await json(await api('/v1/pushcert/request'));
    assert.deepEqual(Object.keys(state).sort(), ['created_at', 'email', 'key_sha256', 'mdmcert_download', 'stored']);
    assert.equal(state.stored, 'database');
    assert.equal(state.email, 'admin@example.com');
    assert.equal(state.key_sha256, made.pending_request.key_sha256);

    const again = await json(await post({}));
    assert.equal(again.reused, true);
    assert.equal(again.pending_request.key_sha256, state.key_sha256);
    const renewed = await json(await post({ new_key: true }));
    assert.notEqual(renewed.pending_request.key_sha256, state.key_sha256);
    firstCsr = pemDer(renewed.csr);
    const hint = pushSetupHint(await new PushCertService({ store: server.store, dataDir }).pendingState());
    assert.match(hint, new RegExp(`push key ${renewed.pending_request.key_sha256.slice(0, 16)}… has waited .*updraft pushcert --cert FILE\\.pem`));
    assert.match((await json(await api('/v1/pushcert'))).error, /a push key has been pending since/);
  });

  let topic: string;
  test("the portal's .pem for another key is refused; the one for the pending key imports without a key and clears it", async () => {
    const before = await json(await api('/v1/pushcert/request'));
    const otherCsr = buildCsr(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, [['CN', 'someone else']]);
    const foreign = await put(portalIssue(otherCsr).pem);
    assert.equal(foreign.status, 400);
    assert.match((await json(foreign)).error, /the certificate is for another key: it matches neither the pending push key/);
    assert.equal(await server.store.getPushCert(), null);
    assert.equal((await json(await api('/v1/pushcert/request'))).key_sha256, before.key_sha256, 'pending key untouched');

    const issued = portalIssue(firstCsr);
    topic = issued.topic;
    const res = await put(issued.pem);
    assert.equal(res.status, 200);
    const body = await json(res);
    assert.deepEqual([body.topic, body.key], [topic, 'pending']);
    const stored = await server.store.getPushCert();
    assert.equal(stored?.topic, topic);
    const pub = (pem: string) => createPublicKey(pem).export({ format: 'der', type: 'spki' }).toString('hex');
    assert.equal(pub(stored!.keyPem), pub(stored!.certPem), 'stored with the pending key');
    assert.equal((await api('/v1/pushcert/request')).status, 404, 'the pending key is used up');
    assert.equal((await json(await api('/v1/pushcert'))).pending_request, null);
  });

  test('renewal: another topic is refused (409, the Apple ID rule), nothing changes; the same topic imports; force replaces', async () => {
    const renewal = pemDer((await json(await post({}))).csr);
    const otherTopic = portalIssue(renewal);
    const refused = await put(otherTopic.pem);
    assert.equal(refused.status, 409);
    assert.match((await json(refused)).error, new RegExp(`topic ${otherTopic.topic} differs from the current ${topic}: .*same Apple ID that created it`));
    assert.equal((await server.store.getPushCert())?.topic, topic);
    const pending = await json(await api('/v1/pushcert'));
    assert.equal(pending.pending_request.stored, 'database', 'the pending key waits on');

    const same = await put(portalIssue(renewal, topic).pem);
    assert.equal(same.status, 200);
    assert.equal((await json(same)).key, 'pending');
    // The portal's file again, once the key has moved into the certificate: matched to the current key.
    const again = await put(portalIssue(renewal, topic).pem);
    assert.equal((await json(again)).key, 'current');

    const forcedCsr = pemDer((await json(await post({}))).csr);
    const forced = portalIssue(forcedCsr);
    assert.equal((await put(forced.pem)).status, 409);
    assert.equal((await put(forced.pem, '?force=1')).status, 200);
    assert.equal((await server.store.getPushCert())?.topic, forced.topic);
    topic = forced.topic;
  });

  test("--local keeps the key in the server's data dir (0600); the server shows it and matches the portal's file to it", async () => {
    const out = await runRequest({ local: true, dataDir, csrOut: join(dataDir, 'push.csr'), cn: 'local push' });
    assert.equal(out.stored, 'data_dir');
    assert.equal(statSync(join(dataDir, PENDING_KEY_FILE)).mode & 0o777, 0o600);
    const state = await json(await api('/v1/pushcert/request'));
    assert.equal(state.stored, 'data_dir');
    assert.equal(state.key_sha256, out.key_sha256);

    const res = await put(portalIssue(pemDer(readFileSync(join(dataDir, 'push.csr'), 'utf8')), topic).pem);
    assert.equal(res.status, 200);
    assert.equal((await json(res)).key, 'pending');
    assert.ok(!existsSync(join(dataDir, PENDING_KEY_FILE)), 'the data dir key is used up');
  });
});
