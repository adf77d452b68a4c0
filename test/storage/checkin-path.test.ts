// Authenticate and TokenUpdate as the store leaves the database (statements prepared on the raw
// connection, one transaction each on SQLite: sqlite/checkin.ts; Kysely statements on PostgreSQL:
// postgres/checkin.ts): the enrollment rows, the queue, the device's inventory and its history, the
// events and the ADE record, for a new device, a re-enrollment with a user channel, a user channel's
// Authenticate and the ADE bind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type Database from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { AdeServed, AuthenticateInput, Store, TokenUpdateInput } from '../../src/storage/types.js';
import type { Database as Schema } from '../../src/storage/schema.js';
import { testDbLabel } from '../helpers/store.js';
import { osKey } from '../../src/storage/inventory.js';
import { at, enqueueOne, newId, storeWithSecondConnection } from './setup.js';

let store: Store;
let other: Kysely<Schema>;
let raw: Database.Database | undefined;
let close: () => Promise<void>;
before(async () => {
  ({ store, other, raw, close } = await storeWithSecondConnection());
});
after(() => close());

const HOUR = 3600_000;
const device = (id: string, extra: Partial<AuthenticateInput> = {}): AuthenticateInput =>
  ({ id, type: 'Device', deviceId: id, udid: id, topic: 'topic.a', inventory: {}, at: at(1), ...extra });
const user = (deviceId: string, extra: Partial<AuthenticateInput> = {}): AuthenticateInput =>
  ({ id: `${deviceId}:USER-1`, type: 'User', deviceId, udid: deviceId, userId: 'USER-1', userShortName: 'ann', userLongName: 'Ann', topic: 'topic.a', inventory: {}, at: at(1), ...extra });
const token = ({ event: _, ...channel }: AuthenticateInput, extra: Partial<TokenUpdateInput> = {}): TokenUpdateInput =>
  ({ ...channel, pushToken: 'ab01', pushMagic: `pm-${channel.id}`, at: at(2), ...extra });
const statuses = async (id: string) => (await store.listQueue(id, { includeDone: true })).map((q) => q.status);
const history = async (id: string) =>
  (await store.inventoryHistory(id)).reverse().map((h) => [h.field, h.oldValue, h.newValue, h.at.getTime()]);
/** What the store's records leave out, read on a second connection. */
const underneath = async (id: string) => {
  const r = await other.selectFrom('enrollments').select(['os_key', 'bind_pending']).where('id', '=', id).executeTakeFirstOrThrow();
  return { os_key: r.os_key, bind_pending: Number(r.bind_pending) };
};
const events = async (id: string) => (await store.listEvents({ enrollmentId: id })).reverse().map(({ id: _, ...e }) => e);
const served = (udid: string, when: Date): AdeServed => ({
  udid, serial: `S-${udid}`, depName: 'school', profileUuid: 'P1', product: 'MacBookPro18,3', platform: 'macOS', osVersion: '14.4',
  buildVersion: '23E214', language: 'en', machineInfo: { UDID: udid }, supervised: true, removable: false, awaitConfiguration: true, at: when,
});

test(`Authenticate of a new device: its enrollment reset, inventory row, history and event in one step (${testDbLabel})`, async () => {
  const id = newId();
  const inventory = { serialNumber: `SN${id}`, model: 'MacBookPro18,3', productName: 'MacBookPro18,3', osVersion: '14.4', buildVersion: '23E214', deviceName: null, platform: 'macOS' as const };
  const event = { enrollmentId: id, kind: 'checkin.Authenticate', detail: { ...inventory, raw_plist: '<plist/>' }, at: at(1) };
  const outcome = await store.authenticate(device(id, { inventory, certHash: 'a'.repeat(64), event, adeBindWindowMs: HOUR }));
  assert.deepEqual(outcome, { ade: null }, 'no ADE record to bind');
  assert.deepEqual(await store.getEnrollment(id), {
    id, type: 'Device', deviceId: id, udid: id, userId: null, userShortName: null, userLongName: null, topic: 'topic.a',
    pushToken: null, pushMagic: null, unlockToken: null, pushInvalidAt: null, enabled: false, tokenUpdateTally: 0, awaitingConfiguration: false,
    certHash: 'a'.repeat(64), lastSeenAt: at(1), createdAt: at(1), updatedAt: at(1), serialNumber: `SN${id}`, model: 'MacBookPro18,3', modelName: null,
    productName: 'MacBookPro18,3', deviceName: null, osVersion: '14.4', buildVersion: '23E214', imei: null, meid: null, platform: 'macOS',
  });
  assert.deepEqual((await store.listEnrollments({ ids: [id], osVersion: '14.' })).map((e) => e.id), [id]);
  assert.deepEqual(await underneath(id), { os_key: osKey('14.4'), bind_pending: 0 }, 'its OS key stored with it (read on a second connection)');
  assert.deepEqual(await store.certBinding(id, 'a'.repeat(64)), { bound: 'a'.repeat(64), owners: [id] });
  const inv = (await store.getInventory(id))!;
  assert.deepEqual(
    [inv.platform, inv.osVersion, inv.buildVersion, inv.productName, inv.model, inv.serialNumber, inv.deviceName, inv.isUserEnrollment, inv.isSupervised, inv.enrolledViaDep],
    ['macOS', '14.4', '23E214', 'MacBookPro18,3', 'MacBookPro18,3', `SN${id}`, null, false, null, null],
  );
  assert.deepEqual([inv.updatedAt, inv.informationAt, inv.queriedAt], [at(1), null, null]);
  const t = at(1).getTime();
  assert.deepEqual(await history(id), [
    ['platform', null, 'macOS', t], ['osVersion', null, '14.4', t], ['buildVersion', null, '23E214', t], ['productName', null, 'MacBookPro18,3', t],
    ['model', null, 'MacBookPro18,3', t], ['serialNumber', null, `SN${id}`, t], ['isUserEnrollment', null, false, t],
  ]);
  assert.deepEqual(await events(id), [event]);
});

test(`Authenticate of an enrolled device: it and its user channels reset, their queues cancelled, its inventory's changes recorded (${testDbLabel})`, async () => {
  const id = newId();
  const other = newId();
  await store.authenticate(device(id, { inventory: { serialNumber: 'C02A', osVersion: '14.4' } }));
  await store.tokenUpdate(token(device(id), { unlockToken: Buffer.from('unlock') }));
  await store.authenticate(user(id));
  await store.tokenUpdate(token(user(id)));
  await store.authenticate(device(other));
  await store.tokenUpdate(token(device(other)));
  await store.markBindPending(id, at(3));
  assert.equal(await store.bindPending(id), true);
  await enqueueOne(store, [id, `${id}:USER-1`, other], { when: at(4) });
  const before = await history(id);

  await store.authenticate(device(id, { inventory: { serialNumber: 'C02A', osVersion: '14.5', deviceName: 'New' }, certHash: 'b'.repeat(64), at: at(10) }));
  const e = (await store.getEnrollment(id))!;
  assert.deepEqual([e.enabled, e.tokenUpdateTally, e.certHash, e.osVersion, e.deviceName, e.serialNumber], [false, 0, 'b'.repeat(64), '14.5', 'New', 'C02A']);
  assert.deepEqual([e.createdAt, e.updatedAt, e.lastSeenAt, e.pushToken, e.unlockToken], [at(1), at(10), at(10), 'ab01', Buffer.from('unlock')], 'push info kept');
  assert.equal(await store.bindPending(id), false, 'the binding stored, the pending one cleared');
  assert.deepEqual(await underneath(id), { os_key: osKey('14.5'), bind_pending: 0 });
  const u = (await store.getEnrollment(`${id}:USER-1`))!;
  assert.deepEqual([u.enabled, u.tokenUpdateTally, u.updatedAt, u.lastSeenAt], [false, 0, at(10), at(2)]);
  assert.deepEqual([await statuses(id), await statuses(`${id}:USER-1`), await statuses(other)], [['cancelled'], ['cancelled'], ['queued']]);
  assert.equal((await store.getEnrollment(other))!.enabled, true, 'another device untouched');
  const t = at(10).getTime();
  assert.deepEqual(await history(id), [...before, ['osVersion', '14.4', '14.5', t], ['deviceName', null, 'New', t]]);
  const inv = (await store.getInventory(id))!;
  assert.deepEqual([inv.osVersion, inv.deviceName, inv.serialNumber, inv.updatedAt], ['14.5', 'New', 'C02A', at(10)]);

  // Without a certificate: the binding stays; absent inventory keys keep their columns.
  await store.authenticate(device(id, { at: at(11) }));
  const again = (await store.getEnrollment(id))!;
  assert.deepEqual([again.certHash, again.osVersion, again.deviceName], ['b'.repeat(64), '14.5', 'New']);
});

test(`a user channel's Authenticate resets only that channel, no inventory written (${testDbLabel})`, async () => {
  const id = newId();
  await store.authenticate(device(id, { inventory: { osVersion: '14.4' } }));
  await store.tokenUpdate(token(device(id)));
  await store.authenticate(user(id));
  await store.tokenUpdate(token(user(id)));
  await enqueueOne(store, [id, `${id}:USER-1`], { when: at(4) });
  const before = await history(id);
  const event = { enrollmentId: `${id}:USER-1`, kind: 'checkin.Authenticate', detail: { raw_plist: '<plist/>' }, at: at(10) };
  assert.deepEqual(await store.authenticate(user(id, { at: at(10), event, adeBindWindowMs: HOUR })), { ade: null });
  const u = (await store.getEnrollment(`${id}:USER-1`))!;
  assert.deepEqual([u.enabled, u.tokenUpdateTally, u.userShortName, u.userLongName, u.updatedAt], [false, 0, 'ann', 'Ann', at(10)]);
  assert.deepEqual([(await store.getEnrollment(id))!.enabled, (await store.getEnrollment(id))!.tokenUpdateTally], [true, 1]);
  assert.deepEqual([await statuses(id), await statuses(`${id}:USER-1`)], [['queued'], ['cancelled']]);
  assert.deepEqual(await history(id), before);
  assert.deepEqual(await events(`${id}:USER-1`), [event]);
});

test(`the ADE bind goes with a device's Authenticate: served within the window and after the last Authenticate (${testDbLabel})`, async () => {
  const id = newId();
  await store.recordAdeServed(served(id, at(0)));
  const outcome = await store.authenticate(device(id, { at: at(10), adeBindWindowMs: HOUR }));
  const rec = (await store.getAdeEnrollment(id))!;
  assert.deepEqual(outcome, { ade: rec });
  assert.deepEqual([rec.active, rec.enrolledAt, rec.configuredAt, rec.supervised, rec.depName], [true, at(10), null, true, 'school']);
  assert.equal((await store.tokenUpdate(token(device(id), { at: at(11) }))).adeActive, true, 'TokenUpdate reads it active');
  assert.equal(await store.claimAdeConfiguration(id, at(12)), true);

  // Authenticated since it was served: another way in, the record inactive, its times kept.
  assert.deepEqual(await store.authenticate(device(id, { at: at(20), adeBindWindowMs: HOUR })), { ade: null });
  const after = (await store.getAdeEnrollment(id))!;
  assert.deepEqual([after.active, after.enrolledAt, after.configuredAt], [false, at(10), at(12)]);
  assert.equal((await store.tokenUpdate(token(device(id), { at: at(21) }))).adeActive, false);

  // Served again but outside the window: inactive. Served again, no bind asked (a user channel, or
  // no window): the record untouched.
  await store.recordAdeServed(served(id, at(30)));
  assert.deepEqual(await store.authenticate(device(id, { at: new Date(at(30).getTime() + HOUR + 1), adeBindWindowMs: HOUR })), { ade: null });
  assert.equal((await store.getAdeEnrollment(id))!.active, false);
  await store.recordAdeServed(served(id, at(40)));
  const untouched = await store.getAdeEnrollment(id);
  await store.authenticate(device(id, { at: at(41) }));
  await store.authenticate(user(id, { at: at(42), adeBindWindowMs: HOUR }));
  assert.deepEqual(await store.getAdeEnrollment(id), untouched);
  // A device without a record: nothing to bind.
  assert.deepEqual(await store.authenticate(device(newId(), { adeBindWindowMs: HOUR })), { ade: null });
});

test(`TokenUpdate: the upsert returns the enrollment it left, its event carries the tally (${testDbLabel})`, async () => {
  const id = newId();
  await store.authenticate(user(id));
  const kind = 'checkin.TokenUpdate';
  const first = await store.tokenUpdate(token(user(id), { certHash: 'c'.repeat(64), awaitingConfiguration: true, event: { kind, detail: { raw_plist: 'x' } } }));
  const { adeActive, ...record } = first;
  assert.equal(adeActive, false);
  assert.deepEqual(record, await store.getEnrollment(`${id}:USER-1`));
  assert.deepEqual([record.enabled, record.tokenUpdateTally, record.pushToken, record.pushMagic, record.certHash, record.awaitingConfiguration],
    [true, 1, 'ab01', `pm-${id}:USER-1`, 'c'.repeat(64), true]);
  assert.deepEqual([record.createdAt, record.updatedAt, record.lastSeenAt, record.userShortName], [at(1), at(2), at(2), 'ann']);
  const second = await store.tokenUpdate(token(user(id), { pushToken: 'cd02', at: at(3), event: { kind, detail: {} } }));
  assert.deepEqual([second.tokenUpdateTally, second.pushToken, second.certHash, second.awaitingConfiguration], [2, 'cd02', 'c'.repeat(64), false]);
  // A TokenUpdate of a channel never authenticated creates it, enabled.
  const fresh = newId();
  const created = await store.tokenUpdate(token(device(fresh), { at: at(5) }));
  assert.deepEqual([created.enabled, created.tokenUpdateTally, created.createdAt, created.certHash], [true, 1, at(5), null]);
  assert.deepEqual(await events(`${id}:USER-1`), [
    { enrollmentId: `${id}:USER-1`, kind, detail: { tokenUpdateTally: 1, raw_plist: 'x' }, at: at(2) },
    { enrollmentId: `${id}:USER-1`, kind, detail: { tokenUpdateTally: 2 }, at: at(3) },
  ]);
});

test('SQLite: Authenticate and TokenUpdate wait while a Kysely transaction holds the connection, never run inside it', { skip: testDbLabel !== 'sqlite' && 'SQLite only' }, async () => {
  const id = newId();
  await store.authenticate(device(id));
  await store.tokenUpdate(token(device(id)));
  const order: string[] = [];
  const held = enqueueOne(store, [id], { when: at(5) }).then(() => order.push('enqueue'));
  let spins = 0;
  while (!raw!.inTransaction && spins++ < 1000) await Promise.resolve();
  assert.equal(raw!.inTransaction, true, "enqueue's transaction is open");
  const steps = [
    store.authenticate(device(id, { at: at(6) })).then(() => order.push('authenticate')),
    store.tokenUpdate(token(device(id), { at: at(7) })).then(() => order.push('tokenUpdate')),
  ];
  await Promise.all([held, ...steps]);
  assert.deepEqual(order, ['enqueue', 'authenticate', 'tokenUpdate']);
  assert.deepEqual(await statuses(id), ['cancelled'], 'the command queued before the Authenticate is cancelled by it');
  assert.equal((await store.getEnrollment(id))!.tokenUpdateTally, 1);
});

test('SQLite: a failing ADE bind leaves the Authenticate standing (its error in the outcome), as when the bind came after it', { skip: testDbLabel !== 'sqlite' && 'SQLite only' }, async () => {
  const id = newId();
  await store.recordAdeServed(served(id, at(0)));
  raw!.exec("CREATE TEMP TRIGGER ade_refused BEFORE UPDATE ON ade_enrollments BEGIN SELECT RAISE(ABORT, 'ADE bind refused'); END");
  try {
    const event = { enrollmentId: id, kind: 'checkin.Authenticate', detail: { raw_plist: '<plist/>' }, at: at(10) };
    const outcome = await store.authenticate(device(id, { inventory: { osVersion: '14.4' }, at: at(10), event, adeBindWindowMs: HOUR }));
    assert.equal(outcome.ade, null);
    assert.match(String((outcome.adeError as Error).message), /ADE bind refused/);
    assert.equal(raw!.inTransaction, false);
    assert.deepEqual([(await store.getEnrollment(id))!.lastSeenAt, (await store.getInventory(id))!.osVersion], [at(10), '14.4']);
    assert.deepEqual(await events(id), [event]);
    assert.equal((await store.getAdeEnrollment(id))!.active, false, 'the record untouched');
  } finally {
    raw!.exec('DROP TRIGGER ade_refused');
  }
});
