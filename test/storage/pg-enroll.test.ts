// PostgreSQL's one-statement versions of a first check-in's store steps (src/storage/postgres/enroll.ts)
// must do what the generic steps they replace do: queuedCommandsOf + enqueue + markInventoryQueried,
// getEnrollment + ddmEffectiveItems + ddmSyncStates, ddmSupersedeSyncCommands + enqueue.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { NewCommand, Store } from '../../src/storage/types.js';
import { openStore } from '../../src/storage/index.js';
import { testDatabase, testDbLabel } from '../helpers/store.js';
import { at, commandPlist, enqueueOne, enrollDevice, newId } from './setup.js';

const skip = testDbLabel !== 'postgres' ? 'PostgreSQL only' : false;
let store: Store;
let remove: () => Promise<void>;
before(async () => {
  if (skip) return;
  const t = await testDatabase();
  remove = t.remove;
  store = await openStore({ db: t.db, dataDir: t.dataDir });
});
after(async () => {
  if (skip) return;
  await store.close();
  await remove();
});

const command = (requestType: string, when = at(10)): NewCommand => ({ uuid: randomUUID().toUpperCase(), requestType, raw: commandPlist, priority: -1, expiresAt: null, at: when });

test('queueInventoryOnce: only request types not queued, in order, the row marked when DeviceInformation is queued', { skip }, async () => {
  const id = await enrollDevice(store, newId());
  await store.upsertInventory(id, { platform: 'macOS' }, at(1));
  const a = [command('DeviceInformation'), command('SecurityInfo')];
  assert.deepEqual(await store.queueInventoryOnce!(id, a, at(10)), [{ requestType: 'DeviceInformation', ok: true }, { requestType: 'SecurityInfo', ok: true }]);
  const queue = await store.listQueue(id);
  assert.deepEqual(queue.map((q) => [q.uuid, q.requestType, q.priority, q.status, q.expiresAt]), a.map((c) => [c.uuid, c.requestType, -1, 'queued', null]));
  assert.equal((await store.getInventory(id))!.queriedAt?.getTime(), at(10).getTime());
  // Both still queued: nothing more, nothing marked.
  assert.deepEqual(await store.queueInventoryOnce!(id, [command('DeviceInformation', at(20)), command('SecurityInfo', at(20))], at(20)), []);
  assert.equal((await store.listQueue(id)).length, 2);
  assert.equal((await store.getInventory(id))!.queriedAt?.getTime(), at(10).getTime());
  // The DeviceInformation answered: only it is queued again, and the row marked.
  const next = await store.reportAndNext({ enrollmentId: id, at: at(30), result: null, skipNotNow: false });
  assert.equal(next.next?.uuid, a[0]!.uuid);
  await store.reportAndNext({ enrollmentId: id, at: at(31), result: { uuid: a[0]!.uuid, status: 'Acknowledged', requestType: 'DeviceInformation', raw: Buffer.from('<plist/>'), json: null }, skipNotNow: false });
  const b = command('DeviceInformation', at(40));
  assert.deepEqual(await store.queueInventoryOnce!(id, [b, command('SecurityInfo', at(40))], at(40)), [{ requestType: 'DeviceInformation', ok: true }]);
  assert.deepEqual((await store.listQueue(id)).map((q) => q.uuid), [a[1]!.uuid, b.uuid]);
  assert.equal((await store.getInventory(id))!.queriedAt?.getTime(), at(40).getTime());
  // Only a SecurityInfo queued: the row is not marked.
  const other = await enrollDevice(store, newId());
  await store.upsertInventory(other, { platform: 'macOS' }, at(1));
  assert.deepEqual(await store.queueInventoryOnce!(other, [command('SecurityInfo', at(50))], at(50)), [{ requestType: 'SecurityInfo', ok: true }]);
  assert.equal((await store.getInventory(other))!.queriedAt, null);
});

test('queueInventoryOnce: an unknown enrollment or a known UUID queues nothing', { skip }, async () => {
  const ghost = newId('GHOST');
  const c = command('DeviceInformation');
  assert.deepEqual(await store.queueInventoryOnce!(ghost, [c], at(10)), [{ requestType: 'DeviceInformation', ok: false, error: 'unknown enrollment' }]);
  assert.equal((await store.getCommand(c.uuid, ghost)).length, 0);
  const id = await enrollDevice(store, newId());
  const { uuid } = await enqueueOne(store, [await enrollDevice(store, newId())], { requestType: 'ProfileList' });
  assert.deepEqual(await store.queueInventoryOnce!(id, [{ ...command('DeviceInformation'), uuid }], at(10)),
    [{ requestType: 'DeviceInformation', ok: false, error: 'command UUID already exists' }]);
  assert.equal((await store.listQueue(id)).length, 0);
});

test('ddmSyncInputs: the enrollments that exist, their items and sync states, as the separate reads give them', { skip }, async () => {
  const [x, y, z] = [await enrollDevice(store, newId()), await enrollDevice(store, newId()), await enrollDevice(store, newId())];
  const ghost = newId('GHOST');
  const tag = randomUUID().slice(0, 8);
  for (const [i, kind] of (['configuration', 'activation', 'asset'] as const).entries()) {
    await store.ddmPutDeclaration({ identifier: `t.${tag}.${2 - i}`, type: `com.apple.${kind}.x`, kind, payload: {}, serverToken: `st${i}` }, at(1));
  }
  await store.ddmPutSet(`a-${tag}`, [`t.${tag}.0`, `t.${tag}.1`], at(1));
  await store.ddmPutSet(`b-${tag}`, [`t.${tag}.1`, `t.${tag}.2`], at(1));
  await store.ddmAssign(`a-${tag}`, [x, y], at(2));
  await store.ddmAssign(`b-${tag}`, [x], at(2));
  await store.ddmSaveSyncStates([{ enrollmentId: x, declarationsToken: 'tok-x', changedAt: at(3) }, { enrollmentId: z, declarationsToken: 'tok-z', changedAt: at(4) }]);
  const ids = [x, y, z, ghost, x];
  const got = await store.ddmSyncInputs!(ids);
  assert.deepEqual([...got.known].sort(), [x, y, z].sort());
  assert.deepEqual(got.items, await store.ddmEffectiveItems(ids));
  assert.deepEqual(got.states, await store.ddmSyncStates(ids));
  assert.deepEqual(got.items.get(x)!.map((i) => i.identifier), [`t.${tag}.0`, `t.${tag}.1`, `t.${tag}.2`]);
});

test('ddmSupersedeAndEnqueue: states saved, waiting unsent DeclarativeManagement commands cancelled, the new one queued', { skip }, async () => {
  const [x, y] = [await enrollDevice(store, newId()), await enrollDevice(store, newId())];
  const { uuid: waiting } = await enqueueOne(store, [x, y], { requestType: 'DeclarativeManagement', when: at(1) });
  const { uuid: other } = await enqueueOne(store, [x], { requestType: 'ProfileList', when: at(1) });
  const sentToY = await store.reportAndNext({ enrollmentId: y, at: at(2), result: null, skipNotNow: false });
  assert.equal(sentToY.next?.uuid, waiting);
  const c = command('DeclarativeManagement', at(5));
  const out = await store.ddmSupersedeAndEnqueue!({ ...c, priority: 0 }, [x, y, newId('GHOST')], [{ enrollmentId: x, declarationsToken: 'new-x', changedAt: at(5) }]);
  assert.deepEqual(out.map((o) => o.ok), [true, true, false]);
  const status = async (id: string) => Object.fromEntries((await store.listQueue(id, { includeDone: true })).map((q) => [q.uuid, q.status]));
  assert.deepEqual(await status(x), { [waiting]: 'cancelled', [other]: 'queued', [c.uuid]: 'queued' });
  assert.deepEqual(await status(y), { [waiting]: 'queued', [c.uuid]: 'queued' }); // handed out already: left alone
  assert.equal((await store.ddmSyncStates([x])).get(x)?.declarationsToken, 'new-x');
});
