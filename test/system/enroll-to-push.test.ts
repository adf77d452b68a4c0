// The whole server as `updraft serve` runs it (startServer): a device fetches the served enrollment
// profile, gets its identity over SCEP with the profile's challenge, signs every MDM request with
// that identity through a full conversation, and is woken through the fake APNs when a command is
// queued over the API. Runs on the backend named by UPDRAFT_TEST_DB.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { buildPlist, parsePlist, type PlistDict } from '../../src/plist/index.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { FakeApns } from '../../src/push/fake-apns.js';
import { makeFakePushCert } from '../../src/push/selfsigned.js';
import { testConfig } from '../helpers/server.js';
import { testDatabase } from '../helpers/store.js';
import { csr, issuedCertificate, pkiMessage, selfSigned, tmp } from '../pki/scep-client.js';
import { TestPki, type Identity } from '../identity/pki.js';
import { CHECKIN_CONTENT_TYPE, COMMAND_CONTENT_TYPE, put } from '../helpers/device.js';

const TOPIC = 'com.apple.mgmt.External.7d6c1b0e-2f43-4d0a-9a5e-3f1c2b4d5e6f';
const API_KEY = 'system-test-key';
const UDID = `SYS-${randomUUID().toUpperCase()}`;

let server: RunningServer;
let fake: FakeApns;
let database: Awaited<ReturnType<typeof testDatabase>>;
const signer = new TestPki();

before(async () => {
  const push = await makeFakePushCert({ topic: TOPIC });
  fake = await FakeApns.start({ trust: [push.certPem] });
  database = await testDatabase();
  const apnsCa = join(database.dataDir, 'fake-apns-ca.pem');
  writeFileSync(apnsCa, fake.ca);
  server = await startServer(
    testConfig({
      listen: '127.0.0.1:0',
      dataDir: database.dataDir,
      db: database.db,
      apiKey: API_KEY,
      identityOptional: false,
      apnsUrl: fake.url,
      apnsCa,
      scepChallenge: 'served-in-the-profile',
    }),
    { logger: pino({ level: process.env.UPDRAFT_TEST_LOG ?? 'silent' }) },
  );
  const res = await fetch(`${server.url}/v1/pushcert`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${API_KEY}` },
    body: push.certPem + push.keyPem,
  });
  assert.equal(res.status, 200, await res.text());
});

after(async () => {
  await server?.close();
  await fake?.close();
  await database?.remove();
  signer.cleanup();
});

function payloadOf(profile: PlistDict, type: string): PlistDict {
  const found = (profile.PayloadContent as PlistDict[]).filter((p) => p.PayloadType === type);
  assert.equal(found.length, 1, `one ${type} payload`);
  return found[0]!;
}

/** SCEP enrollment exactly as the profile describes it; returns the device identity. */
async function scepEnroll(scep: PlistDict): Promise<Identity> {
  const content = scep.PayloadContent as PlistDict;
  const scepUrl = new URL(String(content.URL));
  const caRes = await fetch(`${server.url}${scepUrl.pathname}?operation=GetCACert`);
  assert.equal(caRes.status, 200);
  const caFile = tmp('served-ca.der');
  writeFileSync(caFile, Buffer.from(await caRes.arrayBuffer()));
  const caPem = tmp('served-ca.pem');
  const { execFileSync } = await import('node:child_process');
  execFileSync('openssl', ['x509', '-inform', 'DER', '-in', caFile, '-out', caPem]);

  const key = selfSigned(2048, UDID);
  const request = pkiMessage({ csr: csr(key.keyFile, UDID, String(content.Challenge)), caCertFile: caPem, signer: key });
  const rep = await fetch(`${server.url}${scepUrl.pathname}?operation=PKIOperation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-pki-message' },
    body: request.der,
  });
  assert.equal(rep.status, 200);
  assert.equal(rep.headers.get('content-type'), 'application/x-pki-message');
  const certPem = issuedCertificate(Buffer.from(await rep.arrayBuffer()), caPem, key);
  const certPath = tmp('device.pem');
  writeFileSync(certPath, certPem);
  const { X509Certificate, createHash } = await import('node:crypto');
  const cert = new X509Certificate(certPem);
  return { certPath, keyPath: key.keyFile, cert, certDer: cert.raw, hash: createHash('sha256').update(cert.raw).digest('hex') };
}

test('a device enrolls through the served profile and SCEP, and every signed request flows through to a push-woken command', async () => {
  // 1. The enrollment profile, as a device downloads it.
  const profileRes = await fetch(`${server.url}/mdm/enroll?unsigned=1`);
  assert.equal(profileRes.status, 200);
  assert.match(profileRes.headers.get('content-type') ?? '', /application\/x-apple-aspen-config/);
  const profile = parsePlist(Buffer.from(await profileRes.arrayBuffer())) as PlistDict;
  const mdm = payloadOf(profile, 'com.apple.mdm');
  const scep = payloadOf(profile, 'com.apple.security.scep');
  assert.equal(mdm.Topic, TOPIC, 'the profile carries the imported push certificate topic');
  assert.equal(mdm.SignMessage, true);
  assert.equal(mdm.IdentityCertificateUUID, scep.PayloadUUID);

  // 2. SCEP with the profile's challenge.
  const device = await scepEnroll(scep);
  const serverPath = new URL(String(mdm.ServerURL)).pathname;
  const checkinPath = new URL(String(mdm.CheckInURL ?? mdm.ServerURL)).pathname;
  const send = (path: string, body: PlistDict, contentType: string, signWith: Identity = device) => {
    const raw = Buffer.from(buildPlist(body));
    return put(`${server.url}${path}`, raw, contentType, { 'Mdm-Signature': signer.signFast(signWith, raw) });
  };

  // 3. Signed check-ins.
  const token = randomBytes(32);
  const magic = randomUUID().toUpperCase();
  let reply = await send(checkinPath, { MessageType: 'Authenticate', UDID, Topic: TOPIC, OSVersion: '15.6', BuildVersion: '24G84', Model: 'Mac14,2', ModelName: 'MacBook Air', SerialNumber: 'C02SYSTEST01' }, CHECKIN_CONTENT_TYPE);
  assert.equal(reply.status, 200, reply.text);
  reply = await send(checkinPath, { MessageType: 'TokenUpdate', UDID, Topic: TOPIC, Token: token, PushMagic: magic }, CHECKIN_CONTENT_TYPE);
  assert.equal(reply.status, 200, reply.text);

  // The identity is bound: the same request unsigned, or signed by another valid device of this CA, is refused (never 401).
  const raw = Buffer.from(buildPlist({ Status: 'Idle', UDID }));
  const unsigned = await put(`${server.url}${serverPath}`, raw, COMMAND_CONTENT_TYPE);
  assert.equal(unsigned.status, 400);

  // 4. A command queued over the API wakes the device through APNs.
  const woken = fake.waitForPush(token.toString('hex'), 10_000);
  const enq = await fetch(`${server.url}/v1/commands`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`micromdm:${API_KEY}`).toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ udid: UDID, request_type: 'DeviceInformation', queries: ['OSVersion', 'SerialNumber'] }),
  });
  assert.equal(enq.status, 201, await enq.clone().text());
  const { payload } = (await enq.json()) as { payload: { command_uuid: string } };
  const push = await woken;
  assert.equal(push.pushMagic, magic);
  assert.equal(push.topic, TOPIC);

  // 5. The woken device polls, runs the command and acknowledges; then the queue is empty.
  // The server may have queued its own commands first (DeclarativeManagement turns DDM on for a
  // macOS 15 device): acknowledge those until ours comes.
  reply = await send(serverPath, { Status: 'Idle', UDID }, COMMAND_CONTENT_TYPE);
  const seen: string[] = [];
  for (;;) {
    assert.equal(reply.status, 200);
    assert.ok(reply.body.length > 0, `our command arrives (got ${seen.join(', ')})`);
    const command = parsePlist(reply.body) as PlistDict;
    const requestType = String((command.Command as PlistDict).RequestType);
    if (command.CommandUUID === payload.command_uuid) {
      assert.equal(requestType, 'DeviceInformation');
      break;
    }
    seen.push(requestType);
    assert.ok(seen.length < 5, `too many other commands: ${seen.join(', ')}`);
    reply = await send(serverPath, { Status: 'Acknowledged', UDID, CommandUUID: command.CommandUUID as string }, COMMAND_CONTENT_TYPE);
  }
  reply = await send(serverPath, {
    Status: 'Acknowledged', UDID, CommandUUID: payload.command_uuid,
    QueryResponses: { OSVersion: '15.6', SerialNumber: 'C02SYSTEST01' },
  }, COMMAND_CONTENT_TYPE);
  assert.equal(reply.status, 200);
  // Updraft's own queries (inventory at enrollment, queued behind admin commands) may follow; then nothing.
  for (let i = 0; reply.body.length > 0; i++) {
    const own = parsePlist(reply.body) as PlistDict;
    assert.ok(i < 5 && ['DeviceInformation', 'SecurityInfo', 'DeclarativeManagement'].includes(String((own.Command as PlistDict).RequestType)), 'only Updraft\'s own queries follow');
    reply = await send(serverPath, { Status: 'Acknowledged', UDID, CommandUUID: own.CommandUUID as string }, COMMAND_CONTENT_TYPE);
    assert.equal(reply.status, 200);
  }
  assert.equal(reply.body.length, 0, 'empty body: nothing more queued');

  // 6. The parsed result is readable over the API.
  const result = await fetch(`${server.url}/v1/commands/${payload.command_uuid}/results`, { headers: { authorization: `Bearer ${API_KEY}` } });
  assert.equal(result.status, 200);
  const body = JSON.stringify(await result.json());
  assert.match(body, /"acknowledged"|"Acknowledged"/);
  assert.match(body, /C02SYSTEST01/);
});
