// The combined store steps of an enrollment's first check-ins (one statement each on PostgreSQL,
// postgres/enroll.ts; one transaction each on SQLite, sqlite/enroll.ts): queueInventoryOnce,
// ddmSyncInputs and ddmSupersedeAndEnqueue. Each test writes out what a step must return and the rows
// it must leave: the device's queue (each command's status, priority, times), its inventory row's
// queried mark, the saved sync states and stored commands (read underneath the store, on a second
// connection).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import type { NewCommand, Store } from '../../src/storage/types.js';
import type { Database as Schema } from '../../src/storage/schema.js';
import { openStore } from '../../src/storage/index.js';
import { testDatabase, testDbLabel } from '../helpers/store.js';
import { T0, at, commandPlist, enqueueOne, enrollDevice, newId, secondConnection } from './setup.js';

let store: Store;
let second: Kysely<Schema>;
let raw: Database.Database | undefined;
let remove: () => Promise<void>;
before(async () => {
  const t = await testDatabase();
  remove = t.remove;
  store = await openStore({ db: t.db, dataDir: t.dataDir, sqliteConnection: (r) => (raw = r) });
  second = await secondConnection(t.db, t.dataDir);
});
after(async () => {
  await second.destroy();
  await store.close();
  await remove();
});

const command = (requestType: string, when = at(10)): NewCommand => ({ uuid: randomUUID().toUpperCase(), requestType, raw: commandPlist, priority: -1, expiresAt: null, at: when });
const secs = (d: Date | null | undefined) => (d ? (d.getTime() - T0.getTime()) / 1000 : null);

/**
 * A device's queue, history included, oldest first, each row [uuid, request type, priority, status,
 * created, sent, expires] (times in seconds from T0), and its inventory row's queried time.
 */
async function snapshot(id: string) {
  const queue = (await store.listQueue(id, { includeDone: true })).reverse().map((q) => [q.uuid, q.requestType, q.priority, q.status, secs(q.createdAt), secs(q.sentAt), secs(q.expiresAt)]);
  return { queue, queriedAt: secs((await store.getInventory(id))?.queriedAt) };
}

/** The ddm_sync rows of `ids`: enrollment → [token, changed (s from T0)]. */
async function syncRows(ids: string[]) {
  const { rows } = await sql<{ enrollment_id: string; declarations_token: string; changed_at: number | string }>`
    SELECT enrollment_id, declarations_token, changed_at FROM ddm_sync WHERE enrollment_id IN (${sql.join(ids)})`.execute(second);
  return Object.fromEntries(rows.map((r) => [r.enrollment_id, [r.declarations_token, secs(new Date(Number(r.changed_at)))]]));
}

/** The UUIDs of `uuids` stored in the commands table. */
async function storedCommands(uuids: string[]) {
  const { rows } = await sql<{ uuid: string }>`SELECT uuid FROM commands WHERE uuid IN (${sql.join(uuids)})`.execute(second);
  return rows.map((r) => r.uuid);
}

/** An Idle poll, then the command handed out (if any) acknowledged a second later. */
async function answerOne(id: string, s: number) {
  const sent = await store.reportAndNext({ enrollmentId: id, at: at(s), result: null, skipNotNow: false });
  if (sent.next) await store.reportAndNext({ enrollmentId: id, at: at(s + 1), result: { uuid: sent.next.uuid, status: 'Acknowledged', requestType: sent.next.requestType, raw: Buffer.from('<plist/>'), json: null }, skipNotNow: false });
  return sent.next?.uuid;
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

test(`queueInventoryOnce, round after round: a type already queued (at any priority) skipped, the others queued in the order given with their own priority and expiry, the row marked only when a DeviceInformation goes in (${testDbLabel})`, async () => {
  const id = await enrollDevice(store, newId());
  await store.upsertInventory(id, { platform: 'iOS' }, at(1));
  const { uuid: si2 } = await enqueueOne(store, [id], { requestType: 'SecurityInfo', when: at(2) }); // priority 0
  // Round 1: SecurityInfo is queued already, so only DeviceInformation goes in, and the row is marked.
  const di10 = command('DeviceInformation', at(10));
  assert.deepEqual(await store.queueInventoryOnce(id, [di10, command('SecurityInfo', at(10))], at(10)), [{ requestType: 'DeviceInformation', ok: true }]);
  assert.deepEqual(await snapshot(id), {
    queue: [[si2, 'SecurityInfo', 0, 'queued', 2, null, null], [di10.uuid, 'DeviceInformation', -1, 'queued', 10, null, null]],
    queriedAt: 10,
  });
  assert.equal(await answerOne(id, 11), si2); // priority 0 before -1; the answer's reply hands out the DeviceInformation
  // Round 2: the DeviceInformation, handed out but unanswered, still counts as queued: nothing queued,
  // the mark left at 10.
  assert.deepEqual(await store.queueInventoryOnce(id, [command('DeviceInformation', at(20))], at(20)), []);
  const answered = [[si2, 'SecurityInfo', 0, 'acknowledged', 2, 11, null]];
  assert.deepEqual(await snapshot(id), { queue: [...answered, [di10.uuid, 'DeviceInformation', -1, 'queued', 10, 12, null]], queriedAt: 10 });
  assert.equal(await answerOne(id, 21), di10.uuid); // handed out again
  answered.push([di10.uuid, 'DeviceInformation', -1, 'acknowledged', 10, 21, null]);
  // Round 3: neither waits: both queued, SecurityInfo first as given, its priority defaulting to 0, the
  // DeviceInformation's expiry kept; the row marked at 30.
  const si30: NewCommand = { ...command('SecurityInfo', at(30)), priority: undefined };
  const di30: NewCommand = { ...command('DeviceInformation', at(30)), expiresAt: at(1000) };
  assert.deepEqual(await store.queueInventoryOnce(id, [si30, di30], at(30)), [{ requestType: 'SecurityInfo', ok: true }, { requestType: 'DeviceInformation', ok: true }]);
  assert.deepEqual(await snapshot(id), {
    queue: [...answered, [si30.uuid, 'SecurityInfo', 0, 'queued', 30, null, null], [di30.uuid, 'DeviceInformation', -1, 'queued', 30, null, 1000]],
    queriedAt: 30,
  });
});

test(`queueInventoryOnce: an unknown enrollment stores nothing; a known UUID queues nothing and leaves that command as it was (${testDbLabel})`, async () => {
  const ghost = newId('GHOST');
  const [di, si] = [command('DeviceInformation'), command('SecurityInfo')];
  assert.deepEqual(await store.queueInventoryOnce(ghost, [di, si], at(10)), [
    { requestType: 'DeviceInformation', ok: false, error: 'unknown enrollment' },
    { requestType: 'SecurityInfo', ok: false, error: 'unknown enrollment' },
  ]);
  assert.deepEqual(await storedCommands([di.uuid, si.uuid]), []);
  const id = await enrollDevice(store, newId());
  await store.upsertInventory(id, { platform: 'macOS' }, at(1));
  const owner = await enrollDevice(store, newId());
  const { uuid } = await enqueueOne(store, [owner], { requestType: 'ProfileList' });
  assert.deepEqual(await store.queueInventoryOnce(id, [{ ...command('DeviceInformation'), uuid }], at(10)),
    [{ requestType: 'DeviceInformation', ok: false, error: 'command UUID already exists' }]);
  assert.deepEqual(await snapshot(id), { queue: [], queriedAt: null });
  // Beside a command that does go in: that one queued, the row still unmarked (no DeviceInformation queued).
  const si20 = command('SecurityInfo', at(20));
  assert.deepEqual(await store.queueInventoryOnce(id, [{ ...command('DeviceInformation', at(20)), uuid }, si20], at(20)),
    [{ requestType: 'DeviceInformation', ok: false, error: 'command UUID already exists' }, { requestType: 'SecurityInfo', ok: true }]);
  assert.deepEqual(await snapshot(id), { queue: [[si20.uuid, 'SecurityInfo', -1, 'queued', 20, null, null]], queriedAt: null });
  // The stored command is still the owner's ProfileList, queued for it alone.
  assert.deepEqual((await store.getCommand(uuid)).map((d) => [d.enrollmentId, d.requestType, d.status]), [[owner, 'ProfileList', 'queued']]);
});

test(`ddmSyncInputs: the enrollments that exist, their items (each once, by identifier) and sync states (${testDbLabel})`, async () => {
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
  const got = await store.ddmSyncInputs([x, y, z, ghost, x]);
  const item = (n: number, kind: 'configuration' | 'activation' | 'asset', serverToken: string) => ({ identifier: `t.${tag}.${n}`, type: `com.apple.${kind}.x`, kind, serverToken });
  const [t0, t1, t2] = [item(0, 'asset', 'st2'), item(1, 'activation', 'st1'), item(2, 'configuration', 'st0')];
  assert.deepEqual(got.known, new Set([x, y, z]));
  // x has t1 through both its sets: once. z has no set: no entry.
  assert.deepEqual(got.items, new Map([[x, [t0, t1, t2]], [y, [t0, t1]]]));
  assert.deepEqual(got.states, new Map([
    [x, { enrollmentId: x, declarationsToken: 'tok-x', changedAt: at(3) }],
    [z, { enrollmentId: z, declarationsToken: 'tok-z', changedAt: at(4) }],
  ]));
});

test(`ddmSupersedeAndEnqueue: states saved, waiting unsent DeclarativeManagement commands cancelled, the new one queued (${testDbLabel})`, async () => {
  const [x, y] = [await enrollDevice(store, newId()), await enrollDevice(store, newId())];
  const ghost = newId('GHOST');
  const { uuid: waiting } = await enqueueOne(store, [x, y], { requestType: 'DeclarativeManagement', when: at(1) });
  const { uuid: profileList } = await enqueueOne(store, [x], { requestType: 'ProfileList', when: at(1) });
  const sentToY = await store.reportAndNext({ enrollmentId: y, at: at(2), result: null, skipNotNow: false });
  assert.equal(sentToY.next?.uuid, waiting);
  const c = command('DeclarativeManagement', at(5));
  const out = await store.ddmSupersedeAndEnqueue({ ...c, priority: 0 }, [x, y, ghost], [{ enrollmentId: x, declarationsToken: 'new-x', changedAt: at(5) }]);
  assert.deepEqual(out, [{ id: x, ok: true }, { id: y, ok: true }, { id: ghost, ok: false, error: 'unknown enrollment' }]);
  const status = async (id: string) => Object.fromEntries((await store.listQueue(id, { includeDone: true })).map((q) => [q.uuid, q.status]));
  assert.deepEqual(await status(x), { [waiting]: 'cancelled', [profileList]: 'queued', [c.uuid]: 'queued' });
  assert.deepEqual(await status(y), { [waiting]: 'queued', [c.uuid]: 'queued' }); // handed out already: left alone
  assert.equal(secs((await store.getCommand(waiting, x))[0]!.updatedAt), 5); // cancelled at the command's time
  assert.deepEqual(await syncRows([x, y]), { [x]: ['new-x', 5] }); // only the state given
});

test(`ddmSupersedeAndEnqueue: ids taken once each, a state overwritten, a command in hand kept; a UUID already stored queues nothing but still saves and cancels (${testDbLabel})`, async () => {
  /** a: a DeclarativeManagement command waiting and a ProfileList; b: the same command in hand and an older state. */
  const pair = async () => {
    const [a, b] = [await enrollDevice(store, newId()), await enrollDevice(store, newId())];
    const { uuid: dm } = await enqueueOne(store, [a, b], { requestType: 'DeclarativeManagement', when: at(1) });
    const { uuid: pl } = await enqueueOne(store, [a], { requestType: 'ProfileList', when: at(1) });
    assert.equal((await store.reportAndNext({ enrollmentId: b, at: at(2), result: null, skipNotNow: false })).next?.uuid, dm);
    await store.ddmSaveSyncStates([{ enrollmentId: b, declarationsToken: 'old-b', changedAt: at(1) }]);
    return { a, b, dm, pl };
  };
  const save = (a: string, b: string, s: number) => [{ enrollmentId: a, declarationsToken: 'new-a', changedAt: at(s) }, { enrollmentId: b, declarationsToken: 'new-b', changedAt: at(s) }];
  const x = await pair();
  const ghost = newId('GHOST');
  const c = command('DeclarativeManagement', at(5));
  assert.deepEqual(await store.ddmSupersedeAndEnqueue(c, [x.a, x.b, ghost, x.a], save(x.a, x.b, 5)),
    [{ id: x.a, ok: true }, { id: x.b, ok: true }, { id: ghost, ok: false, error: 'unknown enrollment' }]);
  assert.deepEqual((await snapshot(x.a)).queue, [
    [x.dm, 'DeclarativeManagement', 0, 'cancelled', 1, null, null], [x.pl, 'ProfileList', 0, 'queued', 1, null, null], [c.uuid, 'DeclarativeManagement', -1, 'queued', 5, null, null],
  ]);
  assert.deepEqual((await snapshot(x.b)).queue, [[x.dm, 'DeclarativeManagement', 0, 'queued', 1, 2, null], [c.uuid, 'DeclarativeManagement', -1, 'queued', 5, null, null]]);
  assert.deepEqual(await syncRows([x.a, x.b]), { [x.a]: ['new-a', 5], [x.b]: ['new-b', 5] });
  // The UUID of x.a's ProfileList: no outcome ok, nothing queued, but the states saved and the older commands cancelled.
  const z = await pair();
  assert.deepEqual(await store.ddmSupersedeAndEnqueue({ ...command('DeclarativeManagement', at(7)), uuid: x.pl }, [z.a, z.b], save(z.a, z.b, 7)),
    [{ id: z.a, ok: false, error: 'command UUID already exists' }, { id: z.b, ok: false, error: 'command UUID already exists' }]);
  assert.deepEqual((await snapshot(z.a)).queue, [[z.dm, 'DeclarativeManagement', 0, 'cancelled', 1, null, null], [z.pl, 'ProfileList', 0, 'queued', 1, null, null]]);
  assert.equal(secs((await store.getCommand(z.dm, z.a))[0]!.updatedAt), 7);
  assert.deepEqual((await snapshot(z.b)).queue, [[z.dm, 'DeclarativeManagement', 0, 'queued', 1, 2, null]]);
  assert.deepEqual(await syncRows([z.a, z.b]), { [z.a]: ['new-a', 7], [z.b]: ['new-b', 7] });
  assert.deepEqual((await store.getCommand(x.pl)).map((d) => [d.enrollmentId, d.requestType, d.status]), [[x.a, 'ProfileList', 'queued']]);
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
