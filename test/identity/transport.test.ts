// Identity from the transport: a TLS client certificate on a real TLS connection, and the header a
// TLS-terminating proxy forwards (--cert-header) through the MDM endpoint.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.js';
import { setupIdentity, type IdentitySetup } from '../../src/identity/index.js';
import { buildPlist } from '../../src/plist/index.js';
import { UnconfiguredPusher } from '../../src/push/unconfigured.js';
import { compose } from '../../src/service/compose.js';
import { createCoreService } from '../../src/service/core.js';
import type { Store } from '../../src/storage/types.js';
import { CHECKIN_CONTENT_TYPE, COMMAND_CONTENT_TYPE, put } from '../helpers/device.js';
import { startTestServer, testConfig, type TestServer } from '../helpers/server.js';
import { openTestStore } from '../helpers/store.js';
import { during, TestPki, type Identity } from './pki.js';

const TOPIC = 'com.apple.mgmt.External.test-topic';

describe("TLS client certificates (mTLS on Updraft's own TLS listener)", () => {
  const pki = new TestPki();
  let ca: Identity, device: Identity, other: Identity, stranger: Identity;
  let app: FastifyInstance;
  let store: Store;
  let port: number;

  before(async () => {
    ca = pki.ca('TLS Device CA');
    device = pki.device(ca, 'tls-device');
    other = pki.device(ca, 'tls-other');
    stranger = pki.device(pki.ca('Other CA'), 'tls-stranger');
    const serverId = pki.device(pki.ca('Server CA'), 'localhost');
    store = await openTestStore();
    const config = testConfig({ identityOptional: false, tlsCert: serverId.certPath, tlsKey: serverId.keyPath });
    const logger = pino({ level: 'silent' });
    const identity = setupIdentity({ config, anchors: [ca.cert], store, logger, now: () => during(device.cert) });
    const service = compose(createCoreService({ store, pushTopic: null }), identity.middleware);
    app = await buildApp({ config, store, pusher: new UnconfiguredPusher(), logger, service, identity: identity.resolver });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });
  after(async () => {
    await app?.close();
    await store?.close();
    pki.cleanup();
  });

  function request(agent: https.Agent, body: string, contentType: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port, method: 'PUT', path: '/mdm', agent, headers: { 'content-type': contentType } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  const agentFor = (id: Identity | null) =>
    new https.Agent({ keepAlive: true, rejectUnauthorized: false, ...(id ? { key: readFileSync(id.keyPath), cert: readFileSync(id.certPath) } : {}) });
  const idle = buildPlist({ Status: 'Idle', UDID: 'UDID-TLS' });

  test('the client certificate enrolls the device and must be presented on every later request', async () => {
    const agent = agentFor(device);
    const auth = buildPlist({ MessageType: 'Authenticate', UDID: 'UDID-TLS', Topic: TOPIC });
    const tu = buildPlist({ MessageType: 'TokenUpdate', UDID: 'UDID-TLS', Topic: TOPIC, Token: Buffer.from('0a0b', 'hex'), PushMagic: 'pm' });
    assert.equal((await request(agent, auth, CHECKIN_CONTENT_TYPE)).status, 200);
    assert.equal((await request(agent, tu, CHECKIN_CONTENT_TYPE)).status, 200);
    assert.equal((await store.getEnrollment('UDID-TLS'))?.certHash, device.hash);
    for (let i = 0; i < 3; i++) assert.equal((await request(agent, idle, COMMAND_CONTENT_TYPE)).status, 200); // kept-alive connection
    agent.destroy();
  });

  test("no client certificate, an untrusted one, or another device's: 400 with the reason", async () => {
    const cases: Array<[Identity | null, RegExp]> = [
      [null, /no device identity/],
      [stranger, /not issued by a trusted CA/],
      [other, /certificate does not match enrollment/],
    ];
    for (const [id, reason] of cases) {
      const agent = agentFor(id);
      const r = await request(agent, idle, COMMAND_CONTENT_TYPE);
      assert.equal(r.status, 400);
      assert.match(r.text, reason);
      agent.destroy();
    }
  });
});

describe('client certificate forwarded by a TLS proxy (--cert-header)', () => {
  const pki = new TestPki();
  let ca: Identity, A: Identity, B: Identity;
  let server: TestServer;

  before(async () => {
    ca = pki.ca('Proxy Device CA');
    A = pki.device(ca, 'proxied-a');
    B = pki.device(ca, 'proxied-b');
    let identity: IdentitySetup | undefined;
    server = await startTestServer({
      config: { identityOptional: false, certHeader: 'X-Client-Cert' },
      middlewares: (store, config) => {
        identity = setupIdentity({ config, anchors: [ca.cert], store, logger: pino({ level: 'silent' }), now: () => during(A.cert) });
        return [identity.middleware];
      },
      identity: (req) => identity!.resolver(req),
    });
  });
  after(async () => {
    await server?.close();
    pki.cleanup();
  });

  test('RFC 9440 and nginx escaped-PEM headers identify and bind the device; another device header is refused', async () => {
    const rfc9440 = (id: Identity) => ({ 'X-Client-Cert': `:${id.certDer.toString('base64')}:` });
    const nginx = (id: Identity) => ({ 'X-Client-Cert': encodeURIComponent(readFileSync(id.certPath, 'utf8')) });
    const auth = buildPlist({ MessageType: 'Authenticate', UDID: 'UDID-PROXY', Topic: TOPIC });
    const tu = buildPlist({ MessageType: 'TokenUpdate', UDID: 'UDID-PROXY', Topic: TOPIC, Token: Buffer.from('0a0b', 'hex'), PushMagic: 'pm' });
    const idle = buildPlist({ Status: 'Idle', UDID: 'UDID-PROXY' });
    assert.equal((await put(server.url + '/mdm', auth, CHECKIN_CONTENT_TYPE, rfc9440(A))).status, 200);
    assert.equal((await put(server.url + '/mdm', tu, CHECKIN_CONTENT_TYPE, nginx(A))).status, 200);
    assert.equal((await server.store.getEnrollment('UDID-PROXY'))?.certHash, A.hash);
    assert.equal((await put(server.url + '/mdm', idle, COMMAND_CONTENT_TYPE, nginx(A))).status, 200);
    const wrong = await put(server.url + '/mdm', idle, COMMAND_CONTENT_TYPE, rfc9440(B));
    assert.equal(wrong.status, 400);
    assert.match(wrong.text, /certificate does not match enrollment/);
    const none = await put(server.url + '/mdm', idle, COMMAND_CONTENT_TYPE, { 'X-Some-Other-Header': rfc9440(A)['X-Client-Cert'] });
    assert.equal(none.status, 400);
    assert.match(none.text, /no device identity/);
  });
});
