// Revocation over HTTP: two server processes (two stores) on one database share the CA; a device gets
// its identity over SCEP from one, enrolls, and is revoked through the API. The revoking server
// refuses the certificate at once, the other within its revoked-set TTL: 400 with the reason (never
// 401), logged, nothing stored. Also the revoked-set cache on its own (reads per TTL, shared reads),
// and --revocation-refresh / UPDRAFT_REVOCATION_REFRESH, which sets that TTL through the config.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { Command } from 'commander';
import { revocationTtlMs, setupIdentity, type IdentitySetup } from '../../src/identity/index.js';
import { addServeOptions, configFrom } from '../../src/cli/serve-options.js';
import { RevocationList } from '../../src/identity/revocation.js';
import { loadPki } from '../../src/pki/pki.js';
import { CA_CERT_FILE } from '../../src/pki/ca.js';
import { buildPlist, type PlistDict } from '../../src/plist/index.js';
import type { Store } from '../../src/storage/types.js';
import { CHECKIN_CONTENT_TYPE, COMMAND_CONTENT_TYPE, put, type Reply } from '../helpers/device.js';
import { startTestServer, testConfig, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { openTestStores, testDataDir } from '../helpers/store.js';
import { certRepAttributes, csr, issuedCertificate, pkiMessage, selfSigned } from '../pki/scep-client.js';
import { TestPki, type Identity } from './pki.js';

const auth = { authorization: `Bearer ${TEST_API_KEY}` };
const TOPIC = 'com.apple.mgmt.External.test-topic';
const UDID = 'REVOKE-UDID-0001';
/** Server B re-reads the revoked set every 0.3 s (config.revocationRefreshSeconds), A every 5 s (default). */
const REFRESH_B = 0.3;
const signer = new TestPki();

/** A server process on `store`: its own PKI (the shared CA in dataDir), identity layer and logs. */
async function node(store: Store, dataDir: string, lines: string[], revocationRefreshSeconds?: number): Promise<TestServer> {
  const config = testConfig({ dataDir, identityOptional: false, scepChallenge: 'revocation-secret', revocationRefreshSeconds });
  const pki = loadPki(config, store);
  const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
  let identity: IdentitySetup;
  return startTestServer({
    store,
    config,
    logger,
    pki: () => pki,
    middlewares: (s, c) => {
      identity = setupIdentity({ config: c, anchors: pki.trustAnchors, store: s, logger });
      return [identity.middleware];
    },
    identity: (req) => identity.resolver(req),
  });
}

function send(server: TestServer, ct: string, dict: PlistDict, id: Identity): Promise<Reply> {
  const body = Buffer.from(buildPlist(dict));
  return put(server.url + '/mdm', body, ct, { 'Mdm-Signature': signer.signFast(id, body) });
}
const checkin = (s: TestServer, type: string, id: Identity, extra: PlistDict = {}) =>
  send(s, CHECKIN_CONTENT_TYPE, { MessageType: type, UDID, Topic: TOPIC, ...extra }, id);
const idle = (s: TestServer, id: Identity) => send(s, COMMAND_CONTENT_TYPE, { Status: 'Idle', UDID }, id);

describe('certificate revocation over HTTP, two server processes on one database', () => {
  let a: TestServer, b: TestServer;
  const logsA: string[] = [];
  const logsB: string[] = [];
  let device: Identity;
  let serial: string;
  let caFile: string;

  before(async () => {
    const [storeA, storeB] = await openTestStores(2);
    const dataDir = testDataDir();
    caFile = join(dataDir, CA_CERT_FILE);
    a = await node(storeA!, dataDir, logsA);
    b = await node(storeB!, dataDir, logsB, REFRESH_B);

    // The device's identity comes from server A's SCEP, as an enrollment profile would get it.
    const key = selfSigned();
    const msg = pkiMessage({ csr: csr(key.keyFile, 'revocable device', 'revocation-secret'), caCertFile: caFile, signer: key });
    const res = await fetch(`${a.url}/scep?operation=PKIOperation`, { method: 'POST', body: new Uint8Array(msg.der) });
    const rep = Buffer.from(await res.arrayBuffer());
    assert.equal(certRepAttributes(rep).pkiStatus, '0');
    const pem = issuedCertificate(rep, caFile, key);
    const certPath = join(dataDir, 'device.pem');
    writeFileSync(certPath, pem);
    const cert = new X509Certificate(pem);
    device = { certPath, keyPath: key.keyFile, cert, certDer: cert.raw, hash: createHash('sha256').update(cert.raw).digest('hex') };
    serial = cert.serialNumber;
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await a?.store.close();
    await b?.store.close();
    signer.cleanup();
  });

  it('a device enrolled with the certificate works on both servers before revocation', async () => {
    assert.equal((await checkin(a, 'Authenticate', device, { SerialNumber: 'C02REVOKE' })).status, 200);
    assert.equal((await checkin(a, 'TokenUpdate', device, { Token: Buffer.from('00ff', 'hex'), PushMagic: 'magic' })).status, 200);
    assert.equal((await idle(a, device)).status, 200);
    assert.equal((await idle(b, device)).status, 200);
  });

  it('revoke answers the record with revoked_at; a second revoke keeps the first time', async () => {
    const res = await fetch(`${a.url}/v1/certificates/${serial.toLowerCase()}/revoke`, { method: 'POST', headers: auth });
    assert.equal(res.status, 200);
    const json = (await res.json()) as { serial: string; sha256: string; revoked_at: string | null; enrollment_id: string | null };
    assert.equal(json.serial, serial);
    assert.equal(json.sha256, device.hash);
    assert.equal(json.enrollment_id, UDID, 'the enrollment that authenticates with it');
    assert.ok(json.revoked_at && Math.abs(Date.parse(json.revoked_at) - Date.now()) < 60_000);
    // Revoked again through A (B must learn of it from the database, not from a revocation of its own).
    const again = await fetch(`${a.url}/v1/certificates/${serial}/revoke`, { method: 'POST', headers: auth });
    assert.equal(((await again.json()) as { revoked_at: string }).revoked_at, json.revoked_at);
    const listed = await fetch(`${b.url}/v1/certificates?enrollment_id=${UDID}`, { headers: auth });
    assert.equal(((await listed.json()) as { certificates: Array<{ revoked_at: string }> }).certificates[0]?.revoked_at, json.revoked_at);
  });

  it('the revoking server refuses the certificate at once: 400 with the reason, logged, nothing stored', async () => {
    const before = await a.store.getEnrollment(UDID);
    const r = await idle(a, device);
    assert.equal(r.status, 400);
    assert.match(r.text, /device certificate is revoked/);
    const tu = await checkin(a, 'TokenUpdate', device, { Token: Buffer.from('0bad', 'hex'), PushMagic: 'hijacked' });
    assert.equal(tu.status, 400);
    assert.deepEqual(await a.store.getEnrollment(UDID), before);
    assert.ok(logsA.some((l) => /mdm request refused/.test(l) && /device certificate is revoked/.test(l)), 'reason logged');
  });

  it('the other server refuses it once its revoked set is older than its --revocation-refresh (no 401 anywhere)', async () => {
    await new Promise((r) => setTimeout(r, REFRESH_B * 1000 + 50));
    for (const r of [await idle(b, device), await checkin(b, 'Authenticate', device, { SerialNumber: 'C02REVOKE' })]) {
      assert.equal(r.status, 400, r.text);
      assert.match(r.text, /revoked/);
    }
    assert.ok(logsB.some((l) => /device certificate is revoked/.test(l)));
  });

  it('bad serials: 400 with a reason; unknown: 404; API key required', async () => {
    const bad = await fetch(`${a.url}/v1/certificates/not-hex/revoke`, { method: 'POST', headers: auth });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /hexadecimal/);
    const unknown = await fetch(`${a.url}/v1/certificates/ABCDEF0123/revoke`, { method: 'POST', headers: auth });
    assert.equal(unknown.status, 404);
    assert.equal((await fetch(`${a.url}/v1/certificates/${serial}/revoke`, { method: 'POST' })).status, 401);
    const one = await fetch(`${a.url}/v1/certificates/${serial}`, { headers: auth });
    assert.equal(((await one.json()) as { sha256: string }).sha256, device.hash);
  });
});

describe('the revoked set', () => {
  it('is read once per TTL, concurrent checks share one read, and local revocations apply at once', async () => {
    let reads = 0;
    let rows = ['aa'];
    let t = 0;
    const list = new RevocationList({ revokedCertificateHashes: async () => (reads++, [...rows]) }, 1000, () => t);
    const answers = await Promise.all([list.isRevoked('aa'), list.isRevoked('bb'), list.isRevoked('aa')]);
    assert.deepEqual(answers, [true, false, true]);
    assert.equal(reads, 1);
    rows = ['aa', 'bb'];
    t = 999;
    assert.equal(await list.isRevoked('bb'), false, 'still the cached set');
    list.add('cc');
    assert.equal(await list.isRevoked('cc'), true, 'a local revocation applies without a read');
    t = 1000;
    assert.equal(await list.isRevoked('bb'), true, 're-read after the TTL');
    assert.equal(reads, 2);
  });

  it('keeps a local revocation across a read that began before it, and leaves it to the store after a later read', async () => {
    let rows: string[] = [];
    let release = () => {};
    let t = 0;
    const list = new RevocationList({
      revokedCertificateHashes: async () => {
        const seen = [...rows];
        await new Promise<void>((r) => (release = r));
        return seen;
      },
    }, 1000, () => t);
    const first = list.isRevoked('cc'); // a read begins at t = 0, before the revocation
    t = 1;
    rows = ['cc']; // the revocation is written, then noted
    list.add('cc');
    release();
    assert.equal(await first, true, 'the revocation survives the read that missed it');
    t = 1001;
    rows = []; // the store no longer lists it (it expired): a read begun after the revocation decides
    const second = list.isRevoked('cc');
    release();
    assert.equal(await second, false, 'the local entry is gone once a later read has come back');
  });
});

describe('--revocation-refresh', () => {
  const parse = (...args: string[]) => configFrom(addServeOptions(new Command()).exitOverride().parse(['node', 'updraft', ...args]).opts());

  it('is a serve flag with UPDRAFT_REVOCATION_REFRESH, in seconds, default 5', () => {
    const help = addServeOptions(new Command()).helpInformation();
    assert.match(help, /--revocation-refresh <n>/);
    assert.match(help, /UPDRAFT_REVOCATION_REFRESH/);
    assert.equal(revocationTtlMs(parse()), 5000, 'default');
    assert.equal(parse('--revocation-refresh', '2').revocationRefreshSeconds, 2);
    assert.equal(revocationTtlMs(parse('--revocation-refresh', '2')), 2000);
    assert.equal(revocationTtlMs(parse('--revocation-refresh', '0')), 0, '0 re-reads on every request');
    process.env.UPDRAFT_REVOCATION_REFRESH = '30';
    try {
      assert.equal(parse().revocationRefreshSeconds, 30);
      assert.equal(parse('--revocation-refresh', '1').revocationRefreshSeconds, 1, 'the flag wins');
    } finally {
      delete process.env.UPDRAFT_REVOCATION_REFRESH;
    }
  });

  it('refuses a value that is not a whole number of seconds, naming the flag', () => {
    for (const bad of ['soon', '-1', '1.5'])
      assert.throws(() => parse('--revocation-refresh', bad), /--revocation-refresh \(UPDRAFT_REVOCATION_REFRESH\) must be a whole number/);
  });
});
