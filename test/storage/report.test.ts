// A report is one transaction: the result, its event and its webhook outbox rows are committed
// together or not at all (an insert failing, made so by a trigger, rolls the result back), one
// failing report does not take down the others committed with it, and NotNow keeps its command.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/storage/schema.js';
import type { ReportInput, Store } from '../../src/storage/types.js';
import { testDbLabel } from '../helpers/store.js';
import { fixture } from '../helpers/fixtures.js';
import { at, enqueueOne, enrollDevice, failInserts, newId, nextCommand, storeWithSecondConnection } from './setup.js';

let store: Store;
let other: Kysely<Database>;
let close: () => Promise<void>;
before(async () => {
  ({ store, other, close } = await storeWithSecondConnection());
});
after(() => close());

const RESULT = fixture('mdmb/conversation-nanomdm/08-PUT-mdm-Acknowledged-DeviceInformation.body.plist');
const acked = (id: string, uuid: string, when: number, outbox: string): ReportInput => ({
  enrollmentId: id,
  at: at(when),
  result: { uuid, status: 'Acknowledged', requestType: 'DeviceInformation', raw: RESULT, json: { Status: 'Acknowledged' } },
  skipNotNow: false,
  touch: true,
  outbox: [{ topic: 'mdm.Connect', body: JSON.stringify({ acknowledge_event: { command_uuid: uuid, status: outbox } }) }],
});
const outboxOf = async (uuid: string) =>
  (await other.selectFrom('outbox').select('body').execute()).filter((r) => r.body.includes(uuid)).length;

for (const [table, column] of [['outbox', 'body'], ['events', 'detail']] as const) {
  test(`a failing ${table} insert rolls back the whole report: no result, no event, no outbox row (${testDbLabel})`, async () => {
    const id = await enrollDevice(store, newId());
    const a = await enqueueOne(store, [id]);
    const b = await enqueueOne(store, [id]);
    assert.equal((await nextCommand(store, id, { skipNotNow: false, at: at(1) }))?.uuid, a.uuid);
    // The outbox body carries the marker; so does the event detail (it holds the command UUID).
    const restore = await failInserts(other, store.dialect, table, column, table === 'outbox' ? 'Acknowledged' : a.uuid);
    try {
      await assert.rejects(store.reportAndNext(acked(id, a.uuid, 2, 'Acknowledged')), /insert failed/);
    } finally {
      await restore();
    }
    const [cmd] = await store.getCommand(a.uuid, id);
    assert.deepEqual([cmd?.status, cmd?.resultRaw, cmd?.resultAt], ['queued', null, null], 'the result is not stored');
    assert.deepEqual(await store.listEvents({ enrollmentId: id, kindPrefix: 'command.' }), [], 'no event');
    assert.equal(await outboxOf(a.uuid), 0, 'no webhook event');
    assert.equal((await store.getCommand(b.uuid, id))[0]?.sentAt, null, 'the next command was not handed out');
    assert.deepEqual((await store.getEnrollment(id))?.lastSeenAt, at(0), 'lastSeenAt unchanged');

    // The device sends its result again: now all of it lands, and the next command comes back.
    const out = await store.reportAndNext(acked(id, a.uuid, 3, 'Acknowledged'));
    assert.deepEqual([out.matched, out.next?.uuid], [true, b.uuid]);
    assert.equal((await store.getCommand(a.uuid, id))[0]?.status, 'acknowledged');
    assert.deepEqual((await store.listEvents({ enrollmentId: id, kindPrefix: 'command.' })).map((e) => e.kind), ['command.Acknowledged']);
    assert.equal(await outboxOf(a.uuid), 1);
    assert.deepEqual((await store.getEnrollment(id))?.lastSeenAt, at(3));
  });
}

test(`reports in flight together commit independently: one failing leaves the others stored (${testDbLabel})`, async () => {
  const ids = await Promise.all([0, 1, 2].map(() => enrollDevice(store, newId())));
  const uuids: string[] = [];
  for (const id of ids) {
    uuids.push((await enqueueOne(store, [id])).uuid);
    await nextCommand(store, id, { skipNotNow: false, at: at(1) });
  }
  const restore = await failInserts(other, store.dialect, 'outbox', 'body', 'POISON');
  let settled: PromiseSettledResult<unknown>[];
  try {
    settled = await Promise.allSettled(ids.map((id, i) => store.reportAndNext(acked(id, uuids[i]!, 2, i === 1 ? 'POISON' : 'Acknowledged'))));
  } finally {
    await restore();
  }
  assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled']);
  const statuses = await Promise.all(ids.map(async (id, i) => (await store.getCommand(uuids[i]!, id))[0]?.status));
  assert.deepEqual(statuses, ['acknowledged', 'queued', 'acknowledged']);
  assert.deepEqual(await Promise.all(uuids.map(outboxOf)), [1, 0, 1]);
});

test(`NotNow keeps the command queued, counts it and does not hand it back in the same session (${testDbLabel})`, async () => {
  const id = await enrollDevice(store, newId());
  const a = await enqueueOne(store, [id], { priority: 1 });
  const b = await enqueueOne(store, [id]);
  assert.equal((await nextCommand(store, id, { skipNotNow: false, at: at(1) }))?.uuid, a.uuid);
  const notNow = (when: number, skipNotNow: boolean) =>
    store.reportAndNext({
      enrollmentId: id,
      at: at(when),
      result: { uuid: a.uuid.toLowerCase(), status: 'NotNow', raw: Buffer.from('<plist/>'), json: {} },
      skipNotNow,
    });
  // Even without skipNotNow, the NotNow'd command is not the answer to its own NotNow.
  const first = await notNow(2, false);
  assert.deepEqual([first.matched, first.next?.uuid], [true, b.uuid]);
  const [q] = await store.getCommand(a.uuid, id);
  assert.deepEqual([q?.status, q?.notNowTally, q?.notNowAt, q?.resultRaw], ['queued', 1, at(2), null]);
  // Later in the session (skipNotNow) it stays passed over; b keeps being the answer until it is done.
  assert.equal((await nextCommand(store, id, { skipNotNow: true, at: at(3) }))?.uuid, b.uuid);
  const done = await store.reportAndNext({ ...acked(id, b.uuid, 4, 'Acknowledged'), skipNotNow: true });
  assert.deepEqual([done.matched, done.next], [true, null], 'the session ends rather than resending the NotNow\'d command');
  // A new session (an Idle without skipNotNow) gets it again; a second NotNow counts, first time kept.
  assert.equal((await nextCommand(store, id, { skipNotNow: false, at: at(5) }))?.uuid, a.uuid);
  assert.deepEqual(await notNow(6, false), { matched: true, requestType: 'DeviceInformation', next: null });
  const [again] = await store.getCommand(a.uuid, id);
  assert.deepEqual([again?.status, again?.notNowTally, again?.notNowAt], ['queued', 2, at(2)]);
  assert.deepEqual((await store.listEvents({ enrollmentId: id, kindPrefix: 'command.NotNow' })).map((e) => e.detail),
    [2, 1].map(() => ({ uuid: a.uuid.toLowerCase(), requestType: null, matched: true })));
});
