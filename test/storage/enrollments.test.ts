// Enrollment lifecycle and inventory queries, on the backend named by UPDRAFT_TEST_DB.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store, TokenUpdateInput } from '../../src/storage/types.js';
import { openTestStore, testDbLabel } from '../helpers/store.js';
import { fixture } from '../helpers/fixtures.js';
import { T0, at, enrollDevice, newId } from './setup.js';

/** The UnlockToken bytes of NanoMDM's iOS TokenUpdate fixture (large, line-wrapped <data>). */
function fixtureUnlockToken(): Buffer {
  const text = fixture('nanomdm/mdm_testdata_TokenUpdate.1.plist').toString('utf8');
  const m = /<key>UnlockToken<\/key>\s*<data>([^<]*)<\/data>/.exec(text);
  assert.ok(m?.[1]);
  return Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
}

describe(`enrollments (${testDbLabel})`, () => {
  let store: Store;
  before(async () => {
    store = await openTestStore();
  });
  after(() => store.close());

  const tokenUpdate = (id: string, extra: Partial<TokenUpdateInput> = {}) =>
    store.tokenUpdate({ id, type: 'Device', deviceId: id, udid: id, topic: 'topic.a', pushToken: 'ab01', pushMagic: 'pm', at: at(2), ...extra });

  test("the check-in's event written with Authenticate and TokenUpdate, the tally the upsert left in its detail", async () => {
    const id = newId();
    const inventory = { serialNumber: `SN${id}`, osVersion: '14.4' };
    const authEvent = { enrollmentId: id, kind: 'checkin.Authenticate', detail: { ...inventory, raw_plist: '<plist/>' }, at: at(1) };
    await store.authenticate({ id, type: 'Device', deviceId: id, udid: id, topic: 'topic.a', inventory, at: at(1), event: authEvent });
    await tokenUpdate(id, { event: { kind: 'checkin.TokenUpdate', detail: { raw_plist: 'a "quoted" \\ text' } } });
    await tokenUpdate(id, { event: { kind: 'checkin.TokenUpdate', detail: {} } });
    await tokenUpdate(id);
    const events = (await store.listEvents({ enrollmentId: id })).reverse().map(({ id: _, ...e }) => e);
    assert.deepEqual(events, [
      authEvent,
      { enrollmentId: id, kind: 'checkin.TokenUpdate', detail: { tokenUpdateTally: 1, raw_plist: 'a "quoted" \\ text' }, at: at(2) },
      { enrollmentId: id, kind: 'checkin.TokenUpdate', detail: { tokenUpdateTally: 2 }, at: at(2) },
    ]);
    assert.equal((await store.getEnrollment(id))!.tokenUpdateTally, 3);
  });

  test('Authenticate stores inventory and leaves the enrollment disabled until TokenUpdate', async () => {
    const id = newId();
    await store.authenticate({
      id,
      type: 'Device',
      deviceId: id,
      udid: id,
      topic: 'topic.a',
      certHash: 'c'.repeat(64),
      inventory: { serialNumber: 'C02MXXXX', model: 'iMac14,2', modelName: 'iMac', deviceName: 'Fruit', osVersion: '10.12.6', buildVersion: '16G2136', productName: 'iMac14,2', platform: 'macOS' },
      at: at(1),
    });
    const e = await store.getEnrollment(id);
    assert.ok(e);
    assert.equal(e.enabled, false);
    assert.equal(e.tokenUpdateTally, 0);
    assert.equal(e.serialNumber, 'C02MXXXX');
    assert.equal(e.modelName, 'iMac');
    assert.equal(e.platform, 'macOS');
    assert.equal(e.certHash, 'c'.repeat(64));
    assert.deepEqual(e.lastSeenAt, at(1));
    assert.deepEqual(e.createdAt, at(1));
    assert.equal(e.deviceId, id);
    assert.deepEqual(await store.pushTargets([id]), []);
  });

  test('TokenUpdate enables, bumps the tally, stores push info; Authenticate resets the tally', async () => {
    const id = newId();
    await store.authenticate({ id, type: 'Device', deviceId: id, udid: id, topic: 'topic.a', inventory: {}, at: at(1) });
    const unlock = fixtureUnlockToken();
    assert.equal((await tokenUpdate(id, { unlockToken: unlock, awaitingConfiguration: true })).tokenUpdateTally, 1);
    const returned = await tokenUpdate(id, { pushToken: 'cd02', pushMagic: 'pm2' });
    assert.equal(returned.tokenUpdateTally, 2);
    const e = await store.getEnrollment(id);
    const { adeActive, ...record } = returned;
    assert.deepEqual(record, e, 'TokenUpdate returns the enrollment as it left it');
    assert.equal(adeActive, false, 'no ADE enrollment record');
    assert.equal(e?.enabled, true);
    assert.equal(e?.pushToken, 'cd02');
    assert.equal(e?.pushMagic, 'pm2');
    assert.ok(e?.unlockToken?.equals(unlock), 'a later TokenUpdate without UnlockToken keeps it');
    assert.equal(e?.awaitingConfiguration, false);
    await store.authenticate({ id, type: 'Device', deviceId: id, udid: id, topic: 'topic.a', inventory: {}, at: at(3) });
    assert.equal((await store.getEnrollment(id))?.enabled, false);
    assert.equal((await tokenUpdate(id)).tokenUpdateTally, 1, 'first TokenUpdate after re-enrollment');
  });

  test('TokenUpdate clears a push marked invalid', async () => {
    const id = await enrollDevice(store);
    await store.markPushInvalid(id, at(5));
    assert.deepEqual((await store.getEnrollment(id))?.pushInvalidAt, at(5));
    assert.deepEqual(await store.pushTargets([id]), []);
    await tokenUpdate(id, { at: at(6) });
    assert.equal((await store.getEnrollment(id))?.pushInvalidAt, null);
    assert.deepEqual(await store.pushTargets([id]), [{ id, topic: 'topic.a', pushToken: 'ab01', pushMagic: 'pm' }]);
  });

  test('user channels: created by TokenUpdate, disabled with their device on CheckOut', async () => {
    const id = await enrollDevice(store);
    const user = `${id}:501-UID`;
    const ipadUser = `${id}:someone@example.com`;
    await store.tokenUpdate({ id: user, type: 'User', deviceId: id, udid: id, userId: '501-UID', userShortName: 'jo', userLongName: 'Jo Doe', topic: 't', pushToken: 'ee', pushMagic: 'um', at: T0 });
    await store.tokenUpdate({ id: ipadUser, type: 'SharediPad', deviceId: id, udid: id, userId: 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', userShortName: 'someone@example.com', topic: 't', pushToken: 'ef', pushMagic: 'um2', at: T0 });
    const u = await store.getEnrollment(user);
    assert.equal(u?.type, 'User');
    assert.equal(u?.deviceId, id);
    assert.equal(u?.userLongName, 'Jo Doe');
    assert.equal(u?.enabled, true);
    // Checking out a user channel leaves the device alone.
    await store.checkOut(user, at(1));
    assert.equal((await store.getEnrollment(user))?.enabled, false);
    assert.equal((await store.getEnrollment(id))?.enabled, true);
    await store.checkOut(id, at(2));
    for (const e of [id, ipadUser]) assert.equal((await store.getEnrollment(e))?.enabled, false, e);
    assert.deepEqual(await store.pushTargets([id, user, ipadUser]), []);
  });

  test('inventory updates change only the fields given; touch sets last seen', async () => {
    const id = await enrollDevice(store);
    await store.updateInventory(id, { osVersion: '14.5', buildVersion: '23F79', deviceName: null }, at(7));
    await store.touch(id, at(8));
    const e = await store.getEnrollment(id);
    assert.equal(e?.osVersion, '14.5');
    assert.equal(e?.buildVersion, '23F79');
    assert.equal(e?.deviceName, null);
    assert.equal(e?.serialNumber, `SN${id}`);
    assert.deepEqual(e?.updatedAt, at(7));
    assert.deepEqual(e?.lastSeenAt, at(8));
    assert.equal(await store.getEnrollment(newId('NONE')), null);
  });

  test('bootstrap token: escrow, read back, delete with null or empty', async () => {
    const id = await enrollDevice(store);
    assert.equal(await store.getBootstrapToken(id), null);
    const token = Buffer.from([0, 255, 1, 254, 10, 13]);
    await store.setBootstrapToken(id, token, at(1));
    assert.ok((await store.getBootstrapToken(id))?.equals(token));
    await store.setBootstrapToken(id, Buffer.alloc(0), at(2));
    assert.equal(await store.getBootstrapToken(id), null);
    await store.setBootstrapToken(id, token, at(3));
    await store.setBootstrapToken(id, null, at(4));
    assert.equal(await store.getBootstrapToken(id), null);
  });

  test('certificate binding: setCertHash and lookup by hash', async () => {
    const a = await enrollDevice(store);
    const b = await enrollDevice(store);
    const hash = newId('HASH').toLowerCase();
    assert.deepEqual(await store.enrollmentIdsByCertHash(hash), []);
    await store.setCertHash(a, hash, at(1));
    await store.setCertHash(b, hash, at(1));
    assert.deepEqual(await store.enrollmentIdsByCertHash(hash), [a, b].sort());
    assert.equal((await store.getEnrollment(a))?.certHash, hash);
  });
});

describe(`listEnrollments filters (${testDbLabel})`, () => {
  let store: Store;
  const ids: Record<string, string> = {};
  before(async () => {
    store = await openTestStore();
    const fleet = [
      { key: 'mac14', platform: 'macOS', osVersion: '14.4.1', seen: 100 },
      { key: 'mac140', platform: 'macOS', osVersion: '14', seen: 200 },
      { key: 'mac141', platform: 'macOS', osVersion: '141.0', seen: 300 },
      { key: 'mac15', platform: 'macOS', osVersion: '15.0', seen: 400 },
      { key: 'ios17', platform: 'iOS', osVersion: '17.5', seen: 500 },
      { key: 'ipad', platform: 'iPadOS', osVersion: '17.5', seen: 600 },
    ] as const;
    for (const d of fleet) {
      const id = `LIST-${d.key}`;
      ids[d.key] = id;
      await store.authenticate({ id, type: 'Device', deviceId: id, udid: id, topic: 't', inventory: { platform: d.platform, osVersion: d.osVersion }, at: T0 });
      await store.touch(id, at(d.seen));
    }
    await store.tokenUpdate({ id: ids.mac15!, type: 'Device', deviceId: ids.mac15!, udid: ids.mac15!, topic: 't', pushToken: 'aa', pushMagic: 'm', at: at(400) });
  });
  after(() => store.close());

  const list = async (f: Parameters<Store['listEnrollments']>[0]) => (await store.listEnrollments(f)).map((e) => e.id);

  test('by platform', async () => {
    assert.deepEqual(await list({ platform: 'iOS' }), [ids.ios17]);
    assert.equal((await list({ platform: 'macOS' })).length, 4);
  });

  test('by exact OS version and by major-version prefix', async () => {
    assert.deepEqual(await list({ osVersion: '17.5' }), [ids.ios17, ids.ipad].sort());
    assert.deepEqual(await list({ osVersion: '14.' }), [ids.mac14, ids.mac140].sort(), '"14." is 14.x, not 141');
    assert.deepEqual(await list({ osVersion: '14.4.' }), [ids.mac14]);
    assert.deepEqual(await list({ osVersion: '14' }), [ids.mac140]);
  });

  test('by last-seen range, enabled and type', async () => {
    assert.deepEqual(await list({ seenSince: at(300), seenBefore: at(500) }), [ids.mac141, ids.mac15]);
    assert.deepEqual(await list({ seenBefore: at(200) }), [ids.mac14]);
    assert.deepEqual(await list({ enabled: true }), [ids.mac15]);
    assert.equal((await list({ enabled: false, type: 'Device' })).length, 5);
    assert.deepEqual(await list({ type: 'User' }), []);
  });

  test('by ids, combined with other filters', async () => {
    assert.deepEqual(await list({ ids: [ids.ios17!, ids.mac15!, 'LIST-none'] }), [ids.ios17, ids.mac15]);
    assert.deepEqual(await list({ ids: [ids.ios17!, ids.mac15!], platform: 'macOS' }), [ids.mac15]);
    assert.deepEqual(await list({ ids: [] }), []);
  });

  test('by serial numbers', async () => {
    await store.updateInventory(ids.ios17!, { serialNumber: 'F2LXSERIAL1' }, at(1));
    await store.updateInventory(ids.ipad!, { serialNumber: 'DMPSERIAL2' }, at(1));
    assert.deepEqual(await list({ serialNumbers: ['DMPSERIAL2', 'F2LXSERIAL1', 'NOPE'] }), [ids.ios17, ids.ipad].sort());
    assert.deepEqual(await list({ serialNumbers: ['F2LXSERIAL1'], platform: 'iPadOS' }), []);
    assert.deepEqual(await list({ serialNumbers: [] }), []);
  });

  test('pages through in a stable order', async () => {
    const all = await list({});
    assert.equal(all.length, 6);
    const pages = [...(await list({ limit: 4 })), ...(await list({ limit: 4, offset: 4 }))];
    assert.deepEqual(pages, all);
    assert.deepEqual(await list({ offset: 6 }), []);
  });
});
