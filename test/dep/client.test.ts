// The DEP client against the fake DEP service over HTTP, on the real store: OAuth-signed session,
// fetch then sync with cursors (persisted, so a new client continues), a new session on 401 and on
// 403 FORBIDDEN with the body replayed, a rotated session adopted, 429/503 backoff with Retry-After,
// define/get/assign/remove a profile, device details, activation lock, and Apple's error codes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../src/storage/types.js';
import { openTestStore, testDbLabel } from '../helpers/store.js';
import { FakeDep } from '../../src/dep/fake/server.js';
import { depClient, type DepClientOptions } from '../../src/dep/client.js';
import { DepApiError } from '../../src/dep/errors.js';
import { depDeviceInput } from '../../src/dep/devices.js';
import { oauthHeader, verifyOAuth } from '../../src/dep/oauth.js';

describe(`DEP client through the fake DEP service (${testDbLabel})`, () => {
  let store: Store;
  let fake: FakeDep;
  const waits: number[] = [];
  const opts = (): DepClientOptions => ({ store, sleep: async (ms) => void waits.push(ms), backoffMs: 10 });
  let n = 0;
  /** A DEP name pointed at the fake with its tokens. */
  async function depName(): Promise<string> {
    const name = `dep${++n}`;
    await store.saveDepTokens(name, fake.state.tokens, new Date());
    await store.saveDepConfig(name, fake.url + '/', new Date());
    return name;
  }

  before(async () => {
    store = await openTestStore();
    fake = await FakeDep.start();
    fake.state.upsertDevices(
      Array.from({ length: 5 }, (_, i) => ({ serial_number: `C0${i}SERIAL`, model: 'MacBook Air', os: 'OSX', device_family: 'Mac', color: 'SILVER', description: 'MBA 13' })),
    );
  });
  after(async () => {
    await fake.close();
    await store.close();
  });

  test('OAuth 1.0a HMAC-SHA1: a signed header verifies, a changed secret or URL does not', () => {
    const creds = { consumerKey: 'CK_1', consumerSecret: 'CS 1/+', token: 'AT_1', tokenSecret: 'AS_1' };
    const url = 'http://example.test:8080/session?a=1&b=x y';
    const h = oauthHeader('GET', url, creds, { realm: 'ADM' });
    const secrets = () => ({ consumerSecret: creds.consumerSecret, tokenSecret: creds.tokenSecret });
    assert.equal(verifyOAuth('GET', url, h, secrets).ok, true);
    assert.deepEqual(verifyOAuth('GET', url.replace('a=1', 'a=2'), h, secrets), { ok: false, status: 401, reason: 'invalid signature' });
    assert.equal(verifyOAuth('GET', url, h, () => ({ consumerSecret: 'other', tokenSecret: creds.tokenSecret })).ok, false);
    assert.equal(verifyOAuth('GET', url, 'Basic abc', secrets).ok, false);
  });

  test('session, account, fetch in pages, then sync from the persisted cursor in a new client', async () => {
    const name = await depName();
    const c = depClient(name, opts());
    const account = await c.account();
    assert.equal(account.server_name, 'Updraft fake DEP');
    const session = (await store.getDepName(name))?.sessionToken;
    assert.ok(session, 'the session token is kept for every process');
    const sessionReq = fake.log.find((r) => r.path === '/session' && r.status === 200)!;
    assert.match(sessionReq.authorization!, /^OAuth realm="ADM", oauth_consumer_key=/);
    assert.equal(sessionReq.protocolVersion, '7');

    const first = await c.fetchDevices({ limit: 3 });
    assert.deepEqual(first.devices.map((d) => d.serial_number), ['C00SERIAL', 'C01SERIAL', 'C02SERIAL']);
    assert.equal(first.more_to_follow, true);
    assert.equal(first.devices[0]?.model, 'MacBook Air');
    const second = await c.fetchDevices({ cursor: first.cursor, limit: 3 });
    assert.deepEqual(second.devices.map((d) => d.serial_number), ['C03SERIAL', 'C04SERIAL']);
    assert.equal(second.more_to_follow, false);
    await store.saveDepCursor(name, second.cursor, new Date());

    fake.state.upsertDevices([{ serial_number: 'C99NEW', model: 'iPad', os: 'iOS', device_family: 'iPad' }]);
    fake.state.deleteDevices(['C00SERIAL']);
    // A restart: a new client reads the cursor from the store.
    const again = depClient(name, opts());
    const cursor = (await store.getDepName(name))!.cursor!;
    const changes = await again.syncDevices({ cursor });
    assert.deepEqual(changes.devices.map((d) => [d.serial_number, d.op_type]), [['C99NEW', 'added'], ['C00SERIAL', 'deleted']]);
    assert.ok(changes.devices.every((d) => typeof d.op_date === 'string'));
    // Kept as Updraft's rows: the deleted device with its op, the new one with Apple's fields.
    await store.upsertDepDevices(changes.devices.map((d) => depDeviceInput(name, d)), new Date());
    const kept = await store.getDepDevice('C99NEW', name);
    assert.equal(kept?.model, 'iPad');
    assert.equal(kept?.opType, 'added');
    assert.equal(kept?.deviceFamily, 'iPad');
    assert.ok(kept?.opDate instanceof Date && kept.deviceAssignedDate instanceof Date);
    assert.equal((await store.getDepDevice('C00SERIAL', name))?.opType, 'deleted');
    const none = await again.syncDevices({ cursor: changes.cursor });
    assert.deepEqual(none.devices, []);
    fake.state.upsertDevices([{ serial_number: 'C00SERIAL', model: 'MacBook Air' }]); // put it back for the other tests
  });

  test('a new session on 401 (unknown) and on 403 FORBIDDEN (expired), the POST body replayed', async () => {
    const name = await depName();
    const c = depClient(name, opts());
    await c.account();
    await store.saveDepSession(name, 'not-a-session', new Date());
    const before401 = fake.log.length;
    const page = await c.fetchDevices({ limit: 2 });
    assert.equal(page.devices.length, 2, 'the replayed request kept its body (limit 2)');
    assert.deepEqual(fake.log.slice(before401).map((r) => [r.path, r.status]), [['/server/devices', 401], ['/session', 200], ['/server/devices', 200]]);

    fake.state.expireSessions();
    const before403 = fake.log.length;
    const more = await c.fetchDevices({ cursor: page.cursor, limit: 2 });
    assert.deepEqual(more.devices.map((d) => d.serial_number), ['C02SERIAL', 'C03SERIAL']);
    assert.deepEqual(fake.log.slice(before403).map((r) => [r.path, r.status]), [['/server/devices', 403], ['/session', 200], ['/server/devices', 200]]);
    assert.notEqual((await store.getDepName(name))?.sessionToken, 'not-a-session');
  });

  test('concurrent requests without a session, or refused together, share one new session', async () => {
    const name = await depName();
    const c = depClient(name, opts());
    let from = fake.log.length;
    await Promise.all(Array.from({ length: 5 }, () => c.account()));
    assert.equal(fake.log.slice(from).filter((r) => r.path === '/session').length, 1);
    fake.state.expireSessions();
    from = fake.log.length;
    await Promise.all(Array.from({ length: 5 }, () => c.account()));
    assert.equal(fake.log.slice(from).filter((r) => r.path === '/session').length, 1);
  });

  test('a session the service rotates is adopted', async () => {
    const name = await depName();
    const c = depClient(name, opts());
    await c.account();
    const old = (await store.getDepName(name))?.sessionToken;
    fake.state.rotateSessions = true;
    try {
      await c.account();
    } finally {
      fake.state.rotateSessions = false;
    }
    const now = (await store.getDepName(name))?.sessionToken;
    assert.ok(now && now !== old);
    await c.account();
    assert.equal(fake.log.at(-1)?.session, now);
  });

  test('429 and 503: waits as Retry-After says (or backs off), then succeeds; gives up after its retries', async () => {
    const name = await depName();
    const c = depClient(name, opts());
    waits.length = 0;
    fake.state.addFailure({ path: '/account', status: 429, body: 'TOO_MANY_REQUESTS', retry_after: 2 });
    fake.state.addFailure({ path: '/account', status: 503 });
    assert.equal((await c.account()).org_name, 'Example Org');
    assert.deepEqual(waits, [2000, 20]);

    fake.state.addFailure({ path: '/account', status: 503, times: 10 });
    const err = await c.account().catch((e: unknown) => e);
    assert.ok(err instanceof DepApiError);
    assert.equal(err.code, 'SERVICE_UNAVAILABLE');
    assert.equal(err.action, 'retry');
    fake.state.takeFailure('GET', '/account'); // drain what is left
    while (fake.state.takeFailure('GET', '/account'));
  });

  test('profile: define (with a device), get, assign, remove; details; activation lock', async () => {
    const name = await depName();
    const c = depClient(name, opts());
    const defined = await c.defineProfile({ profile_name: 'Updraft ADE', url: 'https://mdm.example.com/mdm/ade', is_supervised: true, is_mdm_removable: false, await_device_configured: true, devices: ['C01SERIAL'] });
    assert.match(defined.profile_uuid, /^[0-9A-F]{32}$/);
    assert.deepEqual(defined.devices, { C01SERIAL: 'SUCCESS' });
    const got = await c.getProfile(defined.profile_uuid);
    assert.equal(got.profile_name, 'Updraft ADE');
    assert.equal(got.is_supervised, true);
    const assigned = await c.assignProfile(defined.profile_uuid, ['C02SERIAL', 'NOPE']);
    assert.deepEqual(assigned, { profile_uuid: defined.profile_uuid, devices: { C02SERIAL: 'SUCCESS', NOPE: 'NOT_ACCESSIBLE' } });
    const details = await c.deviceDetails(['C02SERIAL']);
    assert.equal(details.devices.C02SERIAL?.profile_uuid, defined.profile_uuid);
    assert.equal(details.devices.C02SERIAL?.profile_status, 'assigned');
    assert.deepEqual(await c.removeProfile(['C02SERIAL']), { devices: { C02SERIAL: 'SUCCESS' } });
    assert.equal(fake.state.devices.get('C02SERIAL')?.profile_status, 'removed');
    assert.deepEqual(await c.activationLock({ device: 'C03SERIAL', escrow_key: 'ab12' }), { serial_number: 'C03SERIAL', response_status: 'SUCCESS' });
  });

  test("Apple's error codes: actions and admin messages", async () => {
    const name = await depName();
    const c = depClient(name, { ...opts(), retries: 0 });
    const codeOf = (p: Promise<unknown>) => p.then(() => null, (e: DepApiError) => [e.code, e.action, e.status]);
    assert.deepEqual(await codeOf(c.syncDevices({ cursor: 'bogus' })), ['INVALID_CURSOR', 'refetch', 400]);
    assert.deepEqual(await codeOf(c.syncDevices({ cursor: '' })), ['CURSOR_REQUIRED', 'refetch', 400]);
    const page = await c.fetchDevices({});
    fake.state.advance(8 * 86_400_000);
    try {
      assert.deepEqual(await codeOf(c.syncDevices({ cursor: page.cursor })), ['EXPIRED_CURSOR', 'refetch', 400]);
    } finally {
      fake.state.advance(-8 * 86_400_000);
    }
    assert.deepEqual(await codeOf(c.getProfile('UNKNOWN')), ['NOT_FOUND', 'input', 404]);
    assert.deepEqual(await codeOf(c.defineProfile({ profile_name: 'x', url: '' })), ['CONFIG_URL_REQUIRED', 'input', 400]);

    fake.state.addFailure({ path: '/server/devices', status: 403, body: 'T_C_NOT_SIGNED' });
    const tc = await c.fetchDevices().catch((e: DepApiError) => e);
    assert.equal((tc as DepApiError).code, 'T_C_NOT_SIGNED');
    assert.equal((tc as DepApiError).action, 'admin');
    assert.match((tc as DepApiError).message, /terms and conditions/);

    fake.state.addFailure({ path: '/account', status: 200, body: '<html>maintenance</html>' });
    const garbage = await c.account().catch((e: DepApiError) => e);
    assert.equal((garbage as DepApiError).code, 'BAD_RESPONSE');

    // Tokens Apple rejects, tokens past their expiry, no tokens at all.
    await store.saveDepTokens(name, { ...fake.state.tokens, access_secret: 'wrong' }, new Date());
    const rejected = await c.account().catch((e: DepApiError) => e);
    assert.equal((rejected as DepApiError).code, 'TOKEN_REJECTED');
    assert.match((rejected as DepApiError).message, new RegExp(`updraft dep token ${name} FILE`));
    await store.saveDepTokens(name, { ...fake.state.tokens, access_token_expiry: '2020-01-01T00:00:00Z' }, new Date());
    const expired = await c.account().catch((e: DepApiError) => e);
    assert.equal((expired as DepApiError).code, 'TOKEN_EXPIRED');
    assert.match((expired as DepApiError).message, /expired on 2020-01-01/);
    const none = await depClient('no-such-name', opts()).account().catch((e: DepApiError) => e);
    assert.equal((none as DepApiError).code, 'NO_TOKENS');

    await store.saveDepTokens(name, fake.state.tokens, new Date());
    await store.saveDepConfig(name, 'http://127.0.0.1:1/', new Date());
    const down = await c.account().catch((e: DepApiError) => e);
    assert.equal((down as DepApiError).code, 'UNREACHABLE');
  });
});
