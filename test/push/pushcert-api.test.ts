// The push certificate API and the push log, through HTTP: NanoMDM's PUT|GET /v1/pushcert, a .p12
// upload, refusals that store nothing, the live swap of the provider, and a real device's
// TokenUpdate (NanoMDM fixture) being woken at the hex of its Token. Also `updraft pushcert`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createPusher, type ManagedPusher } from '../../src/push/index.js';
import { runPushcert } from '../../src/cli/pushcert.js';
import { makeFakePushCert } from '../../src/push/selfsigned.js';
import { FakeApns } from '../../src/push/fake-apns.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { openTestStore, testDbLabel } from '../helpers/store.js';
import { CHECKIN_CONTENT_TYPE, put } from '../helpers/device.js';
import { fixture, repoRoot } from '../helpers/fixtures.js';

const TOPIC = 'com.apple.mgmt.External.e0bd1eac-1f17-4c8e-8a63-dd17d3dd35d9'; // the fixtures' topic
const UDID = '66ADE930-5FDF-5EC4-8429-15640684C489';
const auth = { authorization: `Bearer ${TEST_API_KEY}` };

describe(`push certificate API (${testDbLabel})`, () => {
  let dir: string;
  let fake: FakeApns;
  let server: TestServer;
  let pusher: ManagedPusher;
  let pem: string;
  let certFile: string;
  let keyFile: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'updraft-pushapi-'));
    const made = await makeFakePushCert({ topic: TOPIC });
    pem = made.certPem + made.keyPem;
    certFile = join(dir, 'push.pem');
    keyFile = join(dir, 'push.key');
    writeFileSync(certFile, made.certPem);
    writeFileSync(keyFile, made.keyPem);
    execFileSync('openssl', ['pkcs12', '-export', '-in', certFile, '-inkey', keyFile, '-passout', 'pass:pw', '-out', join(dir, 'push.p12')]);
    fake = await FakeApns.start({ trust: [made.certPem] });
    writeFileSync(join(dir, 'apns-ca.pem'), fake.ca);
    const store = await openTestStore();
    pusher = await createPusher({ store, config: { apnsUrl: fake.url, apnsCa: join(dir, 'apns-ca.pem') }, logger: pino({ level: 'silent' }), retryDelayMs: 5 });
    server = await startTestServer({ store, pusher });
  });
  after(async () => {
    await server.close();
    await pusher.close();
    await server.store.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(server.url + path, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });

  test('before any upload: GET answers 404 and pushes say not_configured', async () => {
    const res = await api('/v1/pushcert');
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as { error: string }).error, /no push certificate/);
    assert.equal(pusher.configured, false);
  });

  test('bad uploads are 400 with a reason and store nothing', async () => {
    const cases: [string | Uint8Array, Record<string, string>, RegExp][] = [
      ['', {}, /empty body/],
      ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', {}, /cannot be parsed/],
      [pem.replace(/-----BEGIN PRIVATE KEY-----[\s\S]*$/, ''), {}, /came without its private key and no push key is waiting/],
      [new Uint8Array(fixture('nanomdm/mdm_testdata_TokenUpdate.2.plist')), { 'content-type': 'application/x-pkcs12' }, /cannot read the \.p12/],
    ];
    for (const [body, headers, reason] of cases) {
      const res = await api('/v1/pushcert', { method: 'PUT', body, headers });
      assert.equal(res.status, 400);
      assert.match(((await res.json()) as { error: string }).error, reason);
    }
    const p12 = new Uint8Array(execFileSync('cat', [join(dir, 'push.p12')]));
    const wrong = await api('/v1/pushcert', { method: 'PUT', body: p12, headers: { 'content-type': 'application/x-pkcs12', 'x-p12-password': 'nope' } });
    assert.equal(wrong.status, 400);
    assert.match(((await wrong.json()) as { error: string }).error, /wrong password/);
    assert.equal(await server.store.getPushCert(), null);
    assert.equal(pusher.configured, false);
  });

  test('no API key: 401 on the API', async () => {
    const res = await fetch(server.url + '/v1/pushcert', { method: 'PUT', body: pem });
    assert.equal(res.status, 401);
  });

  test('PUT PEM cert + key answers {topic, not_after}; GET reads it back; the provider goes live', async () => {
    // Bytes without a Content-Type, as `cat push.pem push.key | curl -T - …/v1/pushcert` sends them.
    const res = await api('/v1/pushcert', { method: 'PUT', body: new Uint8Array(Buffer.from(pem)) });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { topic: string; not_after: string };
    assert.equal(body.topic, TOPIC);
    assert.match(body.not_after, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const got = (await (await api(`/v1/pushcert?topic=${TOPIC}`)).json()) as Record<string, unknown>;
    assert.equal(got.topic, TOPIC);
    assert.equal(got.not_after, body.not_after);
    assert.ok(Number(got.days_left) >= 364);
    assert.equal(got.problem, null);
    assert.equal((await api('/v1/pushcert?topic=com.apple.mgmt.other')).status, 404);
    assert.equal(pusher.configured, true);
  });

  test("a real device's TokenUpdate: the push goes to /3/device/<hex of Token> with its PushMagic, and is in the log", async () => {
    for (const name of ['Authenticate.2', 'TokenUpdate.2']) {
      const reply = await put(server.url + '/mdm', fixture(`nanomdm/mdm_testdata_${name}.plist`), CHECKIN_CONTENT_TYPE);
      assert.equal(reply.status, 200, name);
    }
    const token = Buffer.from('G6fJAGbFD3domiTzpCXK9oowD3KeiORgqUFgItXWQsw=', 'base64').toString('hex');
    const woken = fake.waitForPush(token);
    const res = await api(`/v1/push/${UDID}`);
    assert.equal(res.status, 200);
    const push = await woken;
    assert.equal(push.pushMagic, '888CEB39-BFFA-40F6-89FA-B60752EB63C2');
    assert.equal(push.topic, TOPIC);

    const log = (await (await api(`/v1/enrollments/${UDID}/pushes`)).json()) as { pushes: { outcome: string; http_status: number; apns_id: string }[] };
    assert.equal(log.pushes[0]?.outcome, 'sent');
    assert.equal(log.pushes[0]?.http_status, 200);
    assert.match(log.pushes[0]?.apns_id ?? '', /^[0-9A-F-]{36}$/);
    assert.equal((await api('/v1/enrollments/NOPE/pushes')).status, 404);
  });

  test('a certificate with another topic is refused (409) unless forced; a .p12 upload works', async () => {
    const other = await makeFakePushCert();
    const refused = await api('/v1/pushcert', { method: 'PUT', body: other.certPem + other.keyPem });
    assert.equal(refused.status, 409);
    assert.match(((await refused.json()) as { error: string }).error, /differs from the current/);
    assert.equal((await server.store.getPushCert())?.topic, TOPIC);

    const forced = await api('/v1/pushcert?force=1', { method: 'PUT', body: other.certPem + other.keyPem });
    assert.equal(forced.status, 200);
    assert.equal((await server.store.getPushCert())?.topic, other.topic);

    const p12 = new Uint8Array(execFileSync('cat', [join(dir, 'push.p12')]));
    const back = await api('/v1/pushcert?force=1', { method: 'PUT', body: p12, headers: { 'content-type': 'application/x-pkcs12', 'x-p12-password': 'pw' } });
    assert.equal(back.status, 200);
    assert.equal(((await back.json()) as { topic: string }).topic, TOPIC);
  });

  test('updraft pushcert: wrong .p12 password exits 1 with the reason; PEM files upload', async () => {
    // Run asynchronously: the server under test lives in this process.
    const cli = (...args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const argv = ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), 'pushcert', '--server', server.url, '--api-key', TEST_API_KEY, ...args];
        const child = execFile(process.execPath, argv, { encoding: 'utf8' }, (_err, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }));
      });
    const [bad, good] = await Promise.all([cli('--p12', join(dir, 'push.p12'), '--password', 'nope'), cli('--cert', certFile, '--key', keyFile)]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /400 .*wrong password/);
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout, new RegExp(`topic: +${TOPIC.replace(/\./g, '\\.')}`));
    await assert.rejects(runPushcert({ server: server.url, apiKey: TEST_API_KEY, key: keyFile }), /--key needs --cert/);
    // The certificate alone: the server matches it to the key it already holds for it.
    assert.equal((await runPushcert({ server: server.url, apiKey: TEST_API_KEY, cert: certFile })).key, 'current');
    await assert.rejects(runPushcert({ server: server.url, apiKey: 'wrong', cert: certFile, key: keyFile }), /refused the API key \(401\)/);
  });
});
