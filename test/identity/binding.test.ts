// Certificate binding through the real MDM endpoints: signed requests over HTTP to a server with the
// identity resolver and the certauth middleware, on the test database (SQLite or PostgreSQL).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import pino from 'pino';
import { setupIdentity, type IdentitySetup } from '../../src/identity/index.js';
import { buildPlist, type PlistDict } from '../../src/plist/index.js';
import type { Store } from '../../src/storage/types.js';
import { CHECKIN_CONTENT_TYPE, COMMAND_CONTENT_TYPE, put, queueCommand, type Reply } from '../helpers/device.js';
import { fixture } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { openTestStores } from '../helpers/store.js';
import { during, TestPki, type Identity } from './pki.js';

const TOPIC = 'com.apple.mgmt.External.test-topic';

/** A server whose identity layer trusts `anchors` and checks validity at `clock.now`. */
async function identityServer(
  anchors: X509Certificate[],
  clock: { now: Date },
  opts: { optional?: boolean; store?: Store } = {},
): Promise<TestServer> {
  let identity: IdentitySetup | undefined;
  return startTestServer({
    store: opts.store,
    config: { identityOptional: opts.optional ?? false },
    middlewares: (store, config) => {
      identity = setupIdentity({ config, anchors, store, logger: pino({ level: 'silent' }), now: () => clock.now });
      return [identity.middleware];
    },
    identity: (req) => identity!.resolver(req),
  });
}

/** Who signs a request: an identity, nobody, a raw header value, or an identity whose signature gets corrupted. */
type Signer = Identity | 'none' | { raw: string } | { corrupt: Identity };

describe('certificate binding over HTTP', () => {
  const pki = new TestPki();
  let ca: Identity, stranger: Identity;
  const clock = { now: new Date() };
  let server: TestServer;
  let store: Store;

  before(async () => {
    ca = pki.ca('Binding CA');
    stranger = pki.device(pki.ca('Untrusted CA'), 'stranger');
    clock.now = during(stranger.cert);
    server = await identityServer([ca.cert], clock);
    store = server.store;
  });
  after(async () => {
    await server?.close();
    pki.cleanup();
  });

  function send(path: string, ct: string | null, dict: PlistDict, signer: Signer, tamper = false): Promise<Reply> {
    const body = Buffer.from(buildPlist(dict));
    const headers: Record<string, string> = {};
    if (signer !== 'none') headers['Mdm-Signature'] = signatureFor(signer, body);
    if (tamper) body[body.indexOf('</dict>') - 2] ^= 0x01;
    return put(server.url + path, body, ct, headers);
  }
  function signatureFor(signer: Exclude<Signer, 'none'>, body: Buffer): string {
    if ('raw' in signer) return signer.raw;
    if ('corrupt' in signer) {
      const der = Buffer.from(pki.signFast(signer.corrupt, body), 'base64');
      der[der.length - 4] ^= 0x10; // inside the signature value
      return der.toString('base64');
    }
    return pki.signFast(signer, body);
  }
  const checkin = (udid: string, type: string, signer: Signer, extra: PlistDict = {}, tamper = false) =>
    send('/mdm', CHECKIN_CONTENT_TYPE, { MessageType: type, UDID: udid, Topic: TOPIC, ...extra }, signer, tamper);
  const authenticate = (udid: string, signer: Signer) => checkin(udid, 'Authenticate', signer, { SerialNumber: 'C02X' });
  const tokenUpdate = (udid: string, signer: Signer, extra: PlistDict = {}) =>
    checkin(udid, 'TokenUpdate', signer, { Token: Buffer.from('00ff10ab', 'hex'), PushMagic: `magic-${udid}`, ...extra });
  const idle = (udid: string, signer: Signer, tamper = false) => send('/mdm', COMMAND_CONTENT_TYPE, { Status: 'Idle', UDID: udid }, signer, tamper);

  async function enroll(udid: string, id: Identity): Promise<void> {
    assert.equal((await authenticate(udid, id)).status, 200);
    assert.equal((await tokenUpdate(udid, id)).status, 200);
  }
  function refused(r: Reply, reason: RegExp): void {
    assert.equal(r.status, 400, `expected 400, got ${r.status}: ${r.text}`);
    assert.match(r.text, reason);
  }

  test('Authenticate binds the certificate; later requests must present the same one', async () => {
    const A = pki.device(ca, 'a1');
    const B = pki.device(ca, 'b1');
    await enroll('UDID-A1', A);
    assert.equal((await store.getEnrollment('UDID-A1'))?.certHash, A.hash);
    assert.equal((await idle('UDID-A1', A)).status, 200);
    refused(await idle('UDID-A1', B), /certificate does not match enrollment/);
    refused(await tokenUpdate('UDID-A1', B), /certificate does not match enrollment/);
    assert.equal((await idle('UDID-A1', A)).status, 200);
  });

  test("device A's valid certificate cannot act for device B, and nothing of B changes", async () => {
    const A = pki.device(ca, 'a2');
    const B = pki.device(ca, 'b2', 'rsa');
    await enroll('UDID-A2', A);
    await enroll('UDID-B2', B);
    const uuid = await queueCommand(store, ['UDID-B2'], 'DeviceInformation');
    const before = await store.getEnrollment('UDID-B2');

    refused(await idle('UDID-B2', A), /does not match enrollment/);
    refused(await authenticate('UDID-B2', A), /bound to another enrollment/);
    refused(await tokenUpdate('UDID-B2', A, { PushMagic: 'hijacked' }), /does not match enrollment/);
    refused(await checkin('UDID-B2', 'CheckOut', A), /does not match enrollment/);
    refused(await send('/mdm', COMMAND_CONTENT_TYPE, { Status: 'Acknowledged', UDID: 'UDID-B2', CommandUUID: uuid }, A), /does not match/);

    const afterAttack = await store.getEnrollment('UDID-B2');
    assert.deepEqual(afterAttack, before);
    const [entry] = await store.listQueue('UDID-B2');
    assert.equal(entry?.status, 'queued');
    assert.equal(entry?.sentAt, null);
    // B itself still gets its command.
    assert.match((await idle('UDID-B2', B)).text, /DeviceInformation/);
    // Nor can A's certificate enroll a new device.
    refused(await authenticate('UDID-C2', A), /bound to another enrollment/);
    assert.equal(await store.getEnrollment('UDID-C2'), null);
  });

  test('no signature, bad signature, untrusted CA, expired, not yet valid, tampered body: 400, nothing stored', async () => {
    const A = pki.device(ca, 'a3');
    await enroll('UDID-A3', A);
    const enrolled = await store.getEnrollment('UDID-A3');
    const attacks: Array<[string, Signer, boolean, RegExp]> = [
      ['no signature', 'none', false, /no device identity/],
      ['bad signature', { corrupt: A }, false, /signature is invalid/],
      ['untrusted CA', stranger, false, /not issued by a trusted CA/],
      ['tampered body', A, true, /does not match the body/],
      ['garbage header', { raw: 'Zm9vYmFy' }, false, /malformed Mdm-Signature/],
    ];
    for (const [name, signer, tamper, reason] of attacks) {
      refused(await idle('UDID-A3', signer, tamper), reason);
      const fresh = `UDID-NEW-${name.replace(/\W/g, '')}`;
      refused(await checkin(fresh, 'Authenticate', signer, {}, tamper), reason);
      assert.equal(await store.getEnrollment(fresh), null, name);
    }
    const saved = clock.now;
    try {
      clock.now = new Date(Date.parse(A.cert.validTo) + 60_000);
      refused(await idle('UDID-A3', A), /expired/);
      refused(await authenticate('UDID-EXPIRED', A), /expired/);
      clock.now = new Date(Date.parse(A.cert.validFrom) - 60_000);
      refused(await idle('UDID-A3', A), /not valid before/);
    } finally {
      clock.now = saved;
    }
    assert.equal(await store.getEnrollment('UDID-EXPIRED'), null);
    assert.deepEqual(await store.getEnrollment('UDID-A3'), enrolled);
  });

  test('renewal: a re-enrollment with a fresh certificate rebinds, and the old certificate stops working', async () => {
    const A = pki.device(ca, 'a4');
    const A2 = pki.device(ca, 'a4-renewed');
    await enroll('UDID-A4', A);
    assert.equal((await authenticate('UDID-A4', A2)).status, 200);
    assert.equal((await tokenUpdate('UDID-A4', A2)).status, 200);
    assert.equal((await store.getEnrollment('UDID-A4'))?.certHash, A2.hash);
    assert.equal((await idle('UDID-A4', A2)).status, 200);
    refused(await idle('UDID-A4', A), /does not match enrollment/);
  });

  test('user channels share the device certificate', async () => {
    const A = pki.device(ca, 'a5');
    const B = pki.device(ca, 'b5');
    await enroll('UDID-A5', A);
    const user = { UserID: 'USER-1', UserShortName: 'ann', UserLongName: 'Ann' };
    assert.equal((await tokenUpdate('UDID-A5', A, user)).status, 200);
    refused(await tokenUpdate('UDID-A5', B, user), /does not match enrollment/);
    assert.equal((await send('/mdm', COMMAND_CONTENT_TYPE, { Status: 'Idle', UDID: 'UDID-A5', ...user }, A)).status, 200);
    refused(await send('/mdm', COMMAND_CONTENT_TYPE, { Status: 'Idle', UDID: 'UDID-A5', ...user }, B), /does not match/);
  });

  test('an enrollment without a binding is refused until it enrolls again', async () => {
    refused(await idle('UDID-NEVER', pki.device(ca, 'never')), /no certificate is bound/);
    assert.equal(await store.getEnrollment('UDID-NEVER'), null);
  });
});

describe('recorded mdmb traffic (SHA-1 signatures) over HTTP', () => {
  const CONV = 'mdmb/conversation-nanomdm';
  const clock = { now: new Date('2027-01-01T00:00:00Z') };
  let server: TestServer;
  before(async () => {
    server = await identityServer([new X509Certificate(fixture(`${CONV}/scep-ca.pem`))], clock);
  });
  after(() => server?.close());

  function replay(name: string, opts: { body?: string; ct?: string | null } = {}): Promise<Reply> {
    const sig = fixture(`${CONV}/${name}.mdm-signature.b64`).toString().trim();
    const ct = opts.ct !== undefined ? opts.ct : name.includes('Idle') || name.includes('Acknowledged') ? null : CHECKIN_CONTENT_TYPE;
    return put(server.url + '/mdm', fixture(`${CONV}/${opts.body ?? name}.body.plist`), ct, { 'Mdm-Signature': sig });
  }

  test('the device enrolls and polls with its recorded signatures; another device and spliced signatures are refused', async () => {
    for (const name of ['04-PUT-mdm-Authenticate', '05-PUT-mdm-TokenUpdate', '06-PUT-mdm-Idle', '07-PUT-mdm-Idle']) {
      const r = await replay(name);
      assert.equal(r.status, 200, `${name}: ${r.text}`);
    }
    const e = await server.store.getEnrollment('F716FADE-F9E7-4BDF-9EA2-3F82CE43B893');
    assert.match(e?.certHash ?? '', /^ab2cd0c0e40ef551/);
    // The second recorded device (its own certificate) never enrolled here.
    const other = await replay('10-PUT-mdm-Idle');
    assert.equal(other.status, 400);
    assert.match(other.text, /no certificate is bound/);
    // A recorded signature spliced onto another recorded body.
    const spliced = await put(server.url + '/mdm', fixture(`${CONV}/07-PUT-mdm-Idle.body.plist`), null,
      { 'Mdm-Signature': fixture(`${CONV}/10-PUT-mdm-Idle.mdm-signature.b64`).toString().trim() });
    assert.equal(spliced.status, 400);
    assert.match(spliced.text, /does not match the body/);
  });
});

describe('several server processes on one database', () => {
  const pki = new TestPki();
  const clock = { now: new Date() };
  let s1: TestServer, s2: TestServer;
  let A: Identity, A2: Identity;
  before(async () => {
    const ca = pki.ca('Shared CA');
    A = pki.device(ca, 'a');
    A2 = pki.device(ca, 'a2');
    clock.now = during(A.cert);
    const [st1, st2] = await openTestStores(2);
    s1 = await identityServer([ca.cert], clock, { store: st1 });
    s2 = await identityServer([ca.cert], clock, { store: st2 });
  });
  after(async () => {
    await s1?.close();
    await s2?.close();
    await s1?.store.close();
    await s2?.store.close();
    pki.cleanup();
  });

  function signed(server: TestServer, id: Identity, ct: string, dict: PlistDict): Promise<Reply> {
    const body = Buffer.from(buildPlist({ UDID: 'UDID-MP', ...dict }));
    return put(server.url + '/mdm', body, ct, { 'Mdm-Signature': pki.signFast(id, body) });
  }

  test("a renewal through one process is honoured by another whose cache still holds the old binding", async () => {
    const tu = { MessageType: 'TokenUpdate', Topic: TOPIC, Token: Buffer.from('01', 'hex'), PushMagic: 'm' };
    assert.equal((await signed(s1, A, CHECKIN_CONTENT_TYPE, { MessageType: 'Authenticate', Topic: TOPIC })).status, 200);
    assert.equal((await signed(s1, A, CHECKIN_CONTENT_TYPE, tu)).status, 200);
    assert.equal((await signed(s2, A, COMMAND_CONTENT_TYPE, { Status: 'Idle' })).status, 200); // s2 caches A
    assert.equal((await signed(s1, A2, CHECKIN_CONTENT_TYPE, { MessageType: 'Authenticate', Topic: TOPIC })).status, 200);
    assert.equal((await signed(s1, A2, CHECKIN_CONTENT_TYPE, tu)).status, 200);
    const r = await signed(s2, A2, COMMAND_CONTENT_TYPE, { Status: 'Idle' });
    assert.equal(r.status, 200, r.text);
    assert.equal((await signed(s2, A, COMMAND_CONTENT_TYPE, { Status: 'Idle' })).status, 400);
  });
});

describe('--insecure-skip-identity', () => {
  const pki = new TestPki();
  const clock = { now: new Date() };
  let server: TestServer;
  let A: Identity, B: Identity;
  before(async () => {
    const ca = pki.ca('Optional CA');
    A = pki.device(ca, 'a');
    B = pki.device(ca, 'b');
    clock.now = during(A.cert);
    server = await identityServer([ca.cert], clock, { optional: true });
  });
  after(async () => {
    await server?.close();
    pki.cleanup();
  });

  test('the opt-out is announced loudly at start', () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    setupIdentity({ config: { certHeader: null, identityOptional: true }, anchors: [], store: server.store, logger });
    const warning = lines.map((l) => JSON.parse(l)).find((l) => l.level === 40);
    assert.match(warning?.msg ?? '', /--insecure-skip-identity is ON.*impersonate/);
    lines.length = 0;
    setupIdentity({ config: { certHeader: null, identityOptional: false }, anchors: [], store: server.store, logger });
    assert.equal(lines.length, 0);
  });

  test('unsigned and mismatched requests are served; a verified certificate still gets bound for later enforcement', async () => {
    const auth = Buffer.from(buildPlist({ MessageType: 'Authenticate', UDID: 'UDID-OPT', Topic: TOPIC }));
    assert.equal((await put(server.url + '/mdm', auth, CHECKIN_CONTENT_TYPE)).status, 200);
    assert.equal((await server.store.getEnrollment('UDID-OPT'))?.certHash, null);
    const idle = Buffer.from(buildPlist({ Status: 'Idle', UDID: 'UDID-OPT' }));
    assert.equal((await put(server.url + '/mdm', idle, null, { 'Mdm-Signature': pki.signFast(A, idle) })).status, 200);
    assert.equal((await server.store.getEnrollment('UDID-OPT'))?.certHash, A.hash, 'bound retroactively');
    assert.equal((await put(server.url + '/mdm', idle, null, { 'Mdm-Signature': pki.signFast(B, idle) })).status, 200);
    assert.equal((await put(server.url + '/mdm', idle, null, { 'Mdm-Signature': 'garbage' })).status, 200);
    assert.equal((await server.store.getEnrollment('UDID-OPT'))?.certHash, A.hash, 'a mismatch does not rebind');
  });
});
