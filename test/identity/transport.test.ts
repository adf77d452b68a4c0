// Identity from the transport: a TLS client certificate on a real TLS connection, and the header a
// TLS-terminating proxy forwards (--cert-header) through the MDM endpoint.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { createIdentityVerifier, identityResolver, setupIdentity, type IdentitySetup } from '../../src/identity/index.js';
import { buildPlist } from '../../src/plist/index.js';
import { ServiceError } from '../../src/service/types.js';
import { CHECKIN_CONTENT_TYPE, COMMAND_CONTENT_TYPE, put } from '../helpers/device.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { during, TestPki, type Identity } from './pki.js';

const TOPIC = 'com.apple.mgmt.External.test-topic';

describe('TLS client certificates', () => {
  const pki = new TestPki();
  let ca: Identity, device: Identity, stranger: Identity, serverId: Identity;
  let server: https.Server;
  let port: number;

  before(async () => {
    ca = pki.ca('TLS Device CA');
    device = pki.device(ca, 'tls-device');
    stranger = pki.device(pki.ca('Other CA'), 'tls-stranger');
    serverId = pki.device(pki.ca('Server CA'), 'localhost');
    const resolve = identityResolver(createIdentityVerifier({ anchors: [ca.cert] }), { now: () => during(device.cert) });
    server = https.createServer(
      { key: readFileSync(serverId.keyPath), cert: readFileSync(serverId.certPath), requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          resolve({ body: Buffer.concat(chunks), headers: req.headers, raw: req }).then(
            (r) => res.end(JSON.stringify(r)),
            (e: ServiceError) => {
              res.statusCode = e.httpStatus;
              res.end(e.message);
            },
          );
        });
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    pki.cleanup();
  });

  function request(agent: https.Agent): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port, method: 'PUT', path: '/mdm', agent }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      });
      req.on('error', reject);
      req.end('<plist/>');
    });
  }
  const agentFor = (id: Identity | null) =>
    new https.Agent({ keepAlive: true, rejectUnauthorized: false, ...(id ? { key: readFileSync(id.keyPath), cert: readFileSync(id.certPath) } : {}) });

  test('a trusted client certificate is the identity, on every request of a kept-alive connection', async () => {
    const agent = agentFor(device);
    for (let i = 0; i < 3; i++) {
      const r = await request(agent);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(JSON.parse(r.text), { certHash: device.hash });
    }
    agent.destroy();
  });

  test('no client certificate, or one from an untrusted CA: 400 with the reason', async () => {
    for (const [id, reason] of [[null, /no device identity/], [stranger, /not issued by a trusted CA/]] as const) {
      const agent = agentFor(id);
      const r = await request(agent);
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
