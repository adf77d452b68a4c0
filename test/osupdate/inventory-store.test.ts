// The inventory store on both backends: upserts diff against the row and keep every change with its
// previous value and time, Authenticate seeds the row, the enrollment's columns stay in step (so the
// enrollment filters stay true), the migration seeds devices enrolled before it, and the schedule's
// due/claim bookkeeping claims each device once per slot however many processes ask.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../src/storage/types.js';
import { openStore } from '../../src/storage/index.js';
import { inventoryPhase } from '../../src/storage/inventory-schema.js';
import { openTestStore, openTestStores, testDatabase, testDbLabel } from '../helpers/store.js';
import { migrateBelow, secondConnection } from '../storage/setup.js';
import { T0, at, enrollDevice, enqueueOne, newId } from '../storage/setup.js';

let store: Store;
before(async () => { store = await openTestStore(); });
after(() => store.close());

const DAY = 86_400_000;

test(`Authenticate seeds the inventory; an upsert keeps what changed, with its previous value and time (${testDbLabel})`, async () => {
  const id = await enrollDevice(store, newId());
  const seeded = await store.getInventory(id);
  assert.deepEqual([seeded?.osVersion, seeded?.platform, seeded?.serialNumber, seeded?.updatedAt], ['14.4', 'macOS', `SN${id}`, T0]);
  const seedHistory = await store.inventoryHistory(id);
  assert.deepEqual(seedHistory.map((c) => [c.field, c.oldValue, c.newValue]).sort(), [
    ['isUserEnrollment', null, false], ['osVersion', null, '14.4'], ['platform', null, 'macOS'], ['serialNumber', null, `SN${id}`],
  ]);

  const first = await store.upsertInventory(id, { osVersion: '14.4', buildVersion: '23E214', isSupervised: true, batteryLevel: 0.5 }, at(10), { information: true });
  assert.deepEqual(first.changes.map((c) => c.field), ['buildVersion', 'isSupervised'], 'an unchanged value and the battery are not changes');
  assert.equal(first.created, false);
  const second = await store.upsertInventory(id, { osVersion: '14.6.1', buildVersion: '23G93', batteryLevel: 0.4 }, at(20), { information: true });
  assert.deepEqual(second.changes.map((c) => [c.field, c.oldValue, c.newValue, c.at]), [
    ['osVersion', '14.4', '14.6.1', at(20)], ['buildVersion', '23E214', '23G93', at(20)],
  ]);
  const inv = (await store.getInventory(id))!;
  assert.deepEqual([inv.osVersion, inv.buildVersion, inv.isSupervised, inv.batteryLevel, inv.informationAt, inv.updatedAt], ['14.6.1', '23G93', true, 0.4, at(20), at(20)]);
  assert.deepEqual(second.inventory, inv, 'the upsert answers the row as stored');

  const os = await store.inventoryHistory(id, { field: 'osVersion' });
  assert.deepEqual(os.map((c) => [c.oldValue, c.newValue, c.at]), [['14.4', '14.6.1', at(20)], [null, '14.4', T0]], 'newest first');
  assert.equal((await store.inventoryHistory(id, { limit: 1 })).length, 1);
  assert.deepEqual(await store.inventoryHistory(id, { field: 'batteryLevel' }), []);
});

test(`a re-enrollment makes what belongs to the enrollment (supervision, ADE) unknown until the device says (${testDbLabel})`, async () => {
  const id = await enrollDevice(store, newId());
  await store.upsertInventory(id, { isSupervised: false, enrolledViaDep: false, isAppleSilicon: true }, at(1));
  await enrollDevice(store, id, at(2));
  const inv = (await store.getInventory(id))!;
  assert.deepEqual([inv.isSupervised, inv.enrolledViaDep, inv.isAppleSilicon], [null, null, true]);
  assert.deepEqual((await store.inventoryHistory(id, { field: 'enrolledViaDep' })).map((c) => [c.oldValue, c.newValue, c.at]), [[false, null, at(2)], [null, false, at(1)]]);
});

test(`the enrollment's own columns follow the inventory, so GET /v1/enrollments?os_version= stays true (${testDbLabel})`, async () => {
  const id = await enrollDevice(store, newId());
  await store.upsertInventory(id, { osVersion: '26.0.1', buildVersion: '25A362', model: 'Mac16,1', deviceName: 'Lab Mac' }, at(5));
  const e = (await store.getEnrollment(id))!;
  assert.deepEqual([e.osVersion, e.buildVersion, e.model, e.deviceName, e.serialNumber], ['26.0.1', '25A362', 'Mac16,1', 'Lab Mac', `SN${id}`]);
  const found = await store.listEnrollments({ osVersion: '26.', ids: [id] });
  assert.deepEqual(found.map((r) => r.id), [id]);
  assert.deepEqual(await store.listEnrollments({ osVersion: '14.4', ids: [id] }), []);
});

test(`JSON fields: settings compare by content, an attempt's time alone is no change, booleans and nulls round-trip (${testDbLabel})`, async () => {
  const id = newId();
  const created = await store.upsertInventory(id, { osUpdateSettings: { B: 1, A: true }, bootstrapTokenEscrowed: true, enrolledViaDep: false }, at(1));
  assert.equal(created.created, true);
  const same = await store.upsertInventory(id, { osUpdateSettings: { A: true, B: 1 } }, at(2));
  assert.deepEqual(same.changes, [], 'key order is not a change');
  const attempt = { at: at(3), source: 'ddm' as const, status: 'downloading', productKey: null, version: '17.6', error: null };
  assert.equal((await store.upsertInventory(id, { lastUpdateAttempt: attempt }, at(3))).changes.length, 1);
  const again = await store.upsertInventory(id, { lastUpdateAttempt: { ...attempt, at: at(4) } }, at(4));
  assert.deepEqual(again.changes, []);
  const inv = (await store.getInventory(id))!;
  assert.deepEqual(inv.lastUpdateAttempt, { ...attempt, at: at(4) }, 'the newest time is kept');
  assert.deepEqual([inv.bootstrapTokenEscrowed, inv.enrolledViaDep, inv.isAppleSilicon, inv.osUpdateSettings], [true, false, null, { A: true, B: 1 }]);
  const cleared = await store.upsertInventory(id, { supplementalOsVersionExtra: '(a)' }, at(5));
  assert.equal(cleared.changes.length, 1);
  const back = await store.upsertInventory(id, { supplementalOsVersionExtra: null }, at(6));
  assert.deepEqual(back.changes.map((c) => [c.oldValue, c.newValue]), [['(a)', null]]);
  assert.deepEqual((await store.listInventory([id, 'nobody', id])).map((i) => i.deviceId), [id]);
});

test(`concurrent upserts of one device lose no change (${testDbLabel})`, async () => {
  const id = await enrollDevice(store, newId());
  const versions = ['15.0', '15.1', '15.2', '15.3', '15.4', '15.5'];
  await Promise.all(versions.map((v) => store.upsertInventory(id, { osVersion: v }, at(100))));
  const changes = (await store.inventoryHistory(id, { field: 'osVersion' })).reverse();
  // Every change starts where the previous one ended, whatever order the transactions ran in
  // (one time for all, so the history is in the order they committed).
  for (let i = 1; i < changes.length; i++) assert.equal(changes[i]!.oldValue, changes[i - 1]!.newValue);
  assert.equal(changes.length, versions.length + 1);
});

test(`due devices: each at its own moment of the interval, answered or queried ones not, disabled ones never (${testDbLabel})`, async () => {
  const [a, b] = await openTestStores(2);
  try {
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(await enrollDevice(a!, newId('DUE')));
    const off = await enrollDevice(a!, newId('OFF'));
    await a!.checkOut(off, T0);
    // Enrolled and answered at T0: each device is next due at its own slot at least half an interval on.
    for (const id of [...ids, off]) await a!.upsertInventory(id, {}, T0, { information: true });
    const dueAt = (t: Date) => a!.dueInventory(t, DAY, 1000).then((d) => d.map((x) => x.deviceId));
    assert.deepEqual(await dueAt(new Date(T0.getTime() + DAY / 2)), [], 'nothing is due within half an interval of an answer');
    const slotOf = (id: string, t: number) => t - ((t - Math.floor((inventoryPhase(id) * DAY) / 65536)) % DAY);
    const counts: number[] = [];
    for (const hours of [12.5, 16, 20, 24]) {
      const t = T0.getTime() + hours * 3600_000;
      const expected = ids.filter((id) => slotOf(id, t) - DAY / 2 > T0.getTime()).sort();
      assert.deepEqual(await dueAt(new Date(t)), expected, `due at T0 + ${hours} h`);
      counts.push(expected.length);
    }
    // About 2%, 17%, 33% and 50% of the fleet (each device's slot is uniform over the day).
    assert.ok(counts[0]! <= counts[1]! && counts[1]! <= counts[2]! && counts[2]! <= counts[3]! && counts[0]! <= 5 && counts[3]! >= 10,
      `spread over the interval: ${counts.join(', ')} of 40`);
    assert.ok(!(await dueAt(new Date(T0.getTime() + 3 * DAY))).includes(off), 'a checked-out device is not queried');
    assert.equal((await dueAt(new Date(T0.getTime() + 3 * DAY))).length, 40, 'two intervals on, everyone is due');

    // Paging by id.
    const page1 = await a!.dueInventory(new Date(T0.getTime() + 3 * DAY), DAY, 15);
    const page2 = await a!.dueInventory(new Date(T0.getTime() + 3 * DAY), DAY, 100, page1.at(-1)!.deviceId);
    assert.deepEqual([...page1, ...page2].map((d) => d.deviceId), [...ids].sort());
    assert.deepEqual([page1[0]!.platform, page1[0]!.osVersion, page1[0]!.userEnrollment, page1[0]!.securityAt], ['macOS', '14.4', false, null]);

    // Two processes claim at once: each device goes to exactly one of them, and then is not due.
    const t = new Date(T0.getTime() + 3 * DAY);
    const [ca, cb] = await Promise.all([a!.claimInventory(ids, t, DAY), b!.claimInventory([...ids].reverse(), t, DAY)]);
    assert.deepEqual([...ca, ...cb].sort(), [...ids].sort());
    assert.equal(new Set([...ca, ...cb]).size, ids.length);
    assert.deepEqual(await a!.claimInventory(ids, new Date(t.getTime() + 60_000), DAY), []);
    assert.deepEqual((await a!.getInventory(ids[0]!))?.queriedAt, t);
  } finally {
    await a!.close();
    await b!.close();
  }
});

test(`queuedCommandsOf: devices with a still-queued command, by type (${testDbLabel})`, async () => {
  const [x, y] = [await enrollDevice(store, newId()), await enrollDevice(store, newId())];
  const q = await enqueueOne(store, [x], { requestType: 'DeviceInformation' });
  await enqueueOne(store, [y], { requestType: 'ProfileList' });
  await enqueueOne(store, [x, y], { requestType: 'SecurityInfo' });
  const of = async (types: string[]) =>
    Object.fromEntries([...(await store.queuedCommandsOf([x, y], types))].map(([t, ids]) => [t, [...ids].sort()]));
  assert.deepEqual(await of(['DeviceInformation', 'SecurityInfo']), { DeviceInformation: [x], SecurityInfo: [x, y].sort() });
  assert.deepEqual(await of(['DeviceInformation']), { DeviceInformation: [x] });
  await store.cancelCommand(x, q.uuid, at(1));
  assert.deepEqual(await of(['DeviceInformation', 'ProfileList']), { DeviceInformation: [], ProfileList: [y] });
  assert.deepEqual(await of([]), {});
});

test(`the migration seeds an inventory row for every device enrolled before it (${testDbLabel})`, async () => {
  const t = await testDatabase();
  const other = await secondConnection(t.db, t.dataDir);
  try {
    await migrateBelow(other, t.db, '005');
    const row = {
      type: 'Device', topic: 't', enabled: 1, token_update_tally: 1, awaiting_configuration: 0, os_version: '13.6', build_version: '22G120',
      platform: 'macOS', model: 'MacBookPro18,3', serial_number: 'C02OLD', created_at: T0.getTime(), updated_at: T0.getTime(),
    };
    await other.insertInto('enrollments').values([
      { ...row, id: 'OLD-MAC', device_id: 'OLD-MAC', bootstrap_token: Buffer.from('tok') },
      { ...row, id: 'OLD-MAC:user', device_id: 'OLD-MAC', type: 'User' },
    ]).execute();
    const s = await openStore({ db: t.db, dataDir: t.dataDir });
    try {
      const inv = await s.getInventory('OLD-MAC');
      assert.deepEqual([inv?.osVersion, inv?.buildVersion, inv?.model, inv?.serialNumber, inv?.bootstrapTokenEscrowed, inv?.updatedAt],
        ['13.6', '22G120', 'MacBookPro18,3', 'C02OLD', true, T0]);
      assert.equal(await s.getInventory('OLD-MAC:user'), null, 'user channels have no inventory of their own');
      assert.deepEqual((await s.dueInventory(new Date(T0.getTime() + DAY), DAY, 10)).map((d) => d.deviceId), ['OLD-MAC'], 'and the schedule asks it');
    } finally {
      await s.close();
    }
  } finally {
    await other.destroy();
    await t.remove();
  }
});
