// The combined store steps of an enrollment's first check-ins (one statement each on PostgreSQL,
// postgres/enroll.ts; one transaction each on SQLite, sqlite/enroll.ts) must do what the generic steps
// they replace do: queuedCommandsOf + enqueue + markInventoryQueried, getEnrollment + ddmEffectiveItems
// + ddmSyncStates, ddmSupersedeSyncCommands + enqueue. Each is checked against those steps run on a
// twin device in the same state.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { NewCommand, Store } from '../../src/storage/types.js';
import { openStore } from '../../src/storage/index.js';
import { testDatabase, testDbLabel } from '../helpers/store.js';
import { at, commandPlist, enqueueOne, enrollDevice, newId } from './setup.js';

let store: Store;
let raw: Database.Database | undefined;
let remove: () => Promise<void>;
before(async () => {
  const t = await testDatabase();
  remove = t.remove;
  store = await openStore({ db: t.db, dataDir: t.dataDir, sqliteConnection: (r) => (raw = r) });
});
after(async () => {
  await store.close();
  await remove();
});

const command = (requestType: string, when = at(10)): NewCommand => ({ uuid: randomUUID().toUpperCase(), requestType, raw: commandPlist, priority: -1, expiresAt: null, at: when });

/** What queueInventoryOnce replaces: the queued types read, each missing command enqueued, the row marked. */
async function inventoryStepByStep(id: string, commands: NewCommand[], when: Date) {
  const pending = await store.queuedCommandsOf([id], commands.map((c) => c.requestType));
  const out = [];
  for (const c of commands.filter((c) => !pending.get(c.requestType)!.has(id))) {
    const [o] = await store.enqueue(c, [id]);
    out.push(o!.ok ? { requestType: c.requestType, ok: true } : { requestType: c.requestType, ok: false, error: o!.error });
  }
  if (out.some((o) => o.ok && o.requestType === 'DeviceInformation')) await store.markInventoryQueried(id, when);
  return out;
}

/** A device's queue (history included, oldest first) without its UUIDs, and its inventory's queried time. */
async function snapshot(id: string) {
  const queue = (await store.listQueue(id, { includeDone: true })).reverse().map((q) => [q.requestType, q.priority, q.status, q.expiresAt, q.createdAt?.getTime(), q.sentAt?.getTime() ?? null]);
  return { queue, queriedAt: (await store.getInventory(id))?.queriedAt?.getTime() ?? null };
}

test(`queueInventoryOnce: only request types not queued, in order, the row marked when DeviceInformation is queued (${testDbLabel})`, async () => {
  const id = await enrollDevice(store, newId());
  await store.upsertInventory(id, { platform: 'macOS' }, at(1));
  const a = [command('DeviceInformation'), command('SecurityInfo')];
  assert.deepEqual(await store.queueInventoryOnce(id, a, at(10)), [{ requestType: 'DeviceInformation', ok: true }, { requestType: 'SecurityInfo', ok: true }]);
  const queue = await store.listQueue(id);
  assert.deepEqual(queue.map((q) => [q.uuid, q.requestType, q.priority, q.status, q.expiresAt]), a.map((c) => [c.uuid, c.requestType, -1, 'queued', null]));
  assert.equal((await store.getInventory(id))!.queriedAt?.getTime(), at(10).getTime());
  // Both still queued: nothing more, nothing marked.
  assert.deepEqual(await store.queueInventoryOnce(id, [command('DeviceInformation', at(20)), command('SecurityInfo', at(20))], at(20)), []);
  assert.equal((await store.listQueue(id)).length, 2);
  assert.equal((await store.getInventory(id))!.queriedAt?.getTime(), at(10).getTime());
  // The DeviceInformation answered: only it is queued again, and the row marked.
  const next = await store.reportAndNext({ enrollmentId: id, at: at(30), result: null, skipNotNow: false });
  assert.equal(next.next?.uuid, a[0]!.uuid);
  await store.reportAndNext({ enrollmentId: id, at: at(31), result: { uuid: a[0]!.uuid, status: 'Acknowledged', requestType: 'DeviceInformation', raw: Buffer.from('<plist/>'), json: null }, skipNotNow: false });
  const b = command('DeviceInformation', at(40));
  assert.deepEqual(await store.queueInventoryOnce(id, [b, command('SecurityInfo', at(40))], at(40)), [{ requestType: 'DeviceInformation', ok: true }]);
  assert.deepEqual((await store.listQueue(id)).map((q) => q.uuid), [a[1]!.uuid, b.uuid]);
  assert.equal((await store.getInventory(id))!.queriedAt?.getTime(), at(40).getTime());
  // Only a SecurityInfo queued: the row is not marked.
  const other = await enrollDevice(store, newId());
  await store.upsertInventory(other, { platform: 'macOS' }, at(1));
  assert.deepEqual(await store.queueInventoryOnce(other, [command('SecurityInfo', at(50))], at(50)), [{ requestType: 'SecurityInfo', ok: true }]);
  assert.equal((await store.getInventory(other))!.queriedAt, null);
});

test(`queueInventoryOnce leaves a device as queuedCommandsOf, enqueue and markInventoryQueried leave its twin (${testDbLabel})`, async () => {
  const [x, y] = [await enrollDevice(store, newId()), await enrollDevice(store, newId())];
  for (const id of [x, y]) {
    await store.upsertInventory(id, { platform: 'iOS' }, at(1));
    await enqueueOne(store, [id], { requestType: 'SecurityInfo', when: at(2) }); // one type already queued
  }
  const rounds: Array<[string[], number]> = [[['DeviceInformation', 'SecurityInfo'], 10], [['DeviceInformation'], 20], [['SecurityInfo', 'DeviceInformation'], 30]];
  for (const [types, s] of rounds) {
    const combined = await store.queueInventoryOnce(x, types.map((t) => command(t, at(s))), at(s));
    const steps = await inventoryStepByStep(y, types.map((t) => command(t, at(s))), at(s));
    assert.deepEqual(combined, steps);
    assert.deepEqual(await snapshot(x), await snapshot(y));
    // Both devices fetch and answer what they were sent, so the next round queues again.
    for (const id of [x, y]) {
      const sent = await store.reportAndNext({ enrollmentId: id, at: at(s + 1), result: null, skipNotNow: false });
      if (sent.next) await store.reportAndNext({ enrollmentId: id, at: at(s + 2), result: { uuid: sent.next.uuid, status: 'Acknowledged', requestType: sent.next.requestType, raw: Buffer.from('<plist/>'), json: null }, skipNotNow: false });
    }
  }
  assert.deepEqual(await snapshot(x), await snapshot(y));
  assert.equal((await snapshot(x)).queriedAt, at(30).getTime());
});

test(`queueInventoryOnce: an unknown enrollment or a known UUID queues nothing (${testDbLabel})`, async () => {
  const ghost = newId('GHOST');
  const c = command('DeviceInformation');
  assert.deepEqual(await store.queueInventoryOnce(ghost, [c], at(10)), [{ requestType: 'DeviceInformation', ok: false, error: 'unknown enrollment' }]);
  assert.equal((await store.getCommand(c.uuid, ghost)).length, 0);
  assert.deepEqual(await inventoryStepByStep(ghost, [command('DeviceInformation')], at(10)), [{ requestType: 'DeviceInformation', ok: false, error: 'unknown enrollment' }]);
  const id = await enrollDevice(store, newId());
  const { uuid } = await enqueueOne(store, [await enrollDevice(store, newId())], { requestType: 'ProfileList' });
  assert.deepEqual(await store.queueInventoryOnce(id, [{ ...command('DeviceInformation'), uuid }], at(10)),
    [{ requestType: 'DeviceInformation', ok: false, error: 'command UUID already exists' }]);
  assert.deepEqual(await inventoryStepByStep(id, [{ ...command('DeviceInformation'), uuid }], at(10)),
    [{ requestType: 'DeviceInformation', ok: false, error: 'command UUID already exists' }]);
  assert.equal((await store.listQueue(id)).length, 0);
});

test(`ddmSyncInputs: the enrollments that exist, their items and sync states, as the separate reads give them (${testDbLabel})`, async () => {
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
  const got = await store.ddmSyncInputs(ids);
  const exists = await Promise.all(ids.map(async (id) => [id, (await store.getEnrollment(id)) !== null] as const));
  assert.deepEqual([...got.known].sort(), [...new Set(exists.filter(([, e]) => e).map(([id]) => id))].sort());
  assert.deepEqual([...got.known].sort(), [x, y, z].sort());
  assert.deepEqual(got.items, await store.ddmEffectiveItems(ids));
  assert.deepEqual(got.states, await store.ddmSyncStates(ids));
  assert.deepEqual(got.items.get(x)!.map((i) => i.identifier), [`t.${tag}.0`, `t.${tag}.1`, `t.${tag}.2`]);
  assert.equal(got.states.get(x)?.changedAt.getTime(), at(3).getTime());
});

test(`ddmSupersedeAndEnqueue: states saved, waiting unsent DeclarativeManagement commands cancelled, the new one queued (${testDbLabel})`, async () => {
  const [x, y] = [await enrollDevice(store, newId()), await enrollDevice(store, newId())];
  const { uuid: waiting } = await enqueueOne(store, [x, y], { requestType: 'DeclarativeManagement', when: at(1) });
  const { uuid: other } = await enqueueOne(store, [x], { requestType: 'ProfileList', when: at(1) });
  const sentToY = await store.reportAndNext({ enrollmentId: y, at: at(2), result: null, skipNotNow: false });
  assert.equal(sentToY.next?.uuid, waiting);
  const c = command('DeclarativeManagement', at(5));
  const out = await store.ddmSupersedeAndEnqueue({ ...c, priority: 0 }, [x, y, newId('GHOST')], [{ enrollmentId: x, declarationsToken: 'new-x', changedAt: at(5) }]);
  assert.deepEqual(out.map((o) => o.ok), [true, true, false]);
  const status = async (id: string) => Object.fromEntries((await store.listQueue(id, { includeDone: true })).map((q) => [q.uuid, q.status]));
  assert.deepEqual(await status(x), { [waiting]: 'cancelled', [other]: 'queued', [c.uuid]: 'queued' });
  assert.deepEqual(await status(y), { [waiting]: 'queued', [c.uuid]: 'queued' }); // handed out already: left alone
  assert.equal((await store.ddmSyncStates([x])).get(x)?.declarationsToken, 'new-x');
});

test(`ddmSupersedeAndEnqueue leaves devices as ddmSupersedeSyncCommands then enqueue leave their twins (${testDbLabel})`, async () => {
  const pair = async () => {
    const [a, b] = [await enrollDevice(store, newId()), await enrollDevice(store, newId())];
    await enqueueOne(store, [a, b], { requestType: 'DeclarativeManagement', when: at(1) });
    await enqueueOne(store, [a], { requestType: 'ProfileList', when: at(1) });
    await store.reportAndNext({ enrollmentId: b, at: at(2), result: null, skipNotNow: false }); // b has its command in hand
    await store.ddmSaveSyncStates([{ enrollmentId: b, declarationsToken: 'old-b', changedAt: at(1) }]);
    return [a, b] as const;
  };
  const [x1, x2] = await pair();
  const [y1, y2] = await pair();
  const save = (a: string, b: string) => [{ enrollmentId: a, declarationsToken: 'new-a', changedAt: at(5) }, { enrollmentId: b, declarationsToken: 'new-b', changedAt: at(5) }];
  const ghost = newId('GHOST');
  const combined = await store.ddmSupersedeAndEnqueue(command('DeclarativeManagement', at(5)), [x1, x2, ghost, x1], save(x1, x2));
  await store.ddmSupersedeSyncCommands([y1, y2, ghost], at(5), save(y1, y2));
  const steps = await store.enqueue(command('DeclarativeManagement', at(5)), [y1, y2, ghost]);
  assert.deepEqual(combined.map(({ ok, error }) => [ok, error]), steps.map(({ ok, error }) => [ok, error]));
  assert.deepEqual([await snapshot(x1), await snapshot(x2)], [await snapshot(y1), await snapshot(y2)]);
  const tokens = async (ids: string[]) => [...(await store.ddmSyncStates(ids)).values()].map((s) => [s.declarationsToken, s.changedAt.getTime()]).sort();
  assert.deepEqual(await tokens([x1, x2]), await tokens([y1, y2]));
  // A command UUID already stored: nothing queued, but the states saved and the older commands cancelled, as the steps do.
  const [[z1, z2], [w1, w2]] = [await pair(), await pair()];
  const { uuid } = await enqueueOne(store, [x1], { requestType: 'ProfileList', when: at(6) });
  const dup = await store.ddmSupersedeAndEnqueue({ ...command('DeclarativeManagement', at(7)), uuid }, [z1, z2], save(z1, z2));
  await store.ddmSupersedeSyncCommands([w1, w2], at(7), save(w1, w2));
  const dupSteps = await store.enqueue({ ...command('DeclarativeManagement', at(7)), uuid }, [w1, w2]);
  assert.deepEqual(dup, dupSteps.map((o, i) => ({ ...o, id: [z1, z2][i]! })));
  assert.deepEqual([await snapshot(z1), await snapshot(z2)], [await snapshot(w1), await snapshot(w2)]);
  assert.deepEqual(await tokens([z1, z2]), await tokens([w1, w2]));
});

test('SQLite: a combined step waits while a Kysely transaction holds the connection, never runs inside it', { skip: testDbLabel !== 'sqlite' && 'SQLite only' }, async () => {
  const id = await enrollDevice(store, newId());
  await store.upsertInventory(id, { platform: 'macOS' }, at(1));
  const order: string[] = [];
  const held = store.enqueue(command('ProfileList', at(5)), [id]).then(() => order.push('enqueue'));
  let spins = 0;
  while (!raw!.inTransaction && spins++ < 1000) await Promise.resolve();
  assert.equal(raw!.inTransaction, true, "enqueue's transaction is open");
  const combined = [
    store.queueInventoryOnce(id, [command('DeviceInformation', at(6))], at(6)).then(() => order.push('inventory')),
    store.ddmSupersedeAndEnqueue(command('DeclarativeManagement', at(6)), [id], []).then(() => order.push('ddm')),
    store.ddmSyncInputs([id]).then(() => order.push('reads')),
  ];
  await Promise.all([held, ...combined]);
  assert.equal(order[0], 'enqueue');
  assert.deepEqual((await store.listQueue(id)).map((q) => q.requestType), ['ProfileList', 'DeviceInformation', 'DeclarativeManagement']); // in the order asked
  assert.equal((await store.getInventory(id))!.queriedAt?.getTime(), at(6).getTime());
});
