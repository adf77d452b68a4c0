// The request-path statements (one transaction of prepared statements on SQLite, one statement on
// PostgreSQL) must behave exactly like the step-by-step Kysely implementation, which SQLite falls
// back to while a transaction holds the connection.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import type { CommandStore, EventInput, EventStore, PushStore, ResultStatus, Store } from '../../src/storage/types.js';
import type { Database } from '../../src/storage/schema.js';
import { openStore, sqlitePath } from '../../src/storage/index.js';
import { openSqlite } from '../../src/storage/sqlite/open.js';
import { openPostgres } from '../../src/storage/postgres/open.js';
import { reportStore } from '../../src/storage/report.js';
import { eventStore } from '../../src/storage/events.js';
import { pushStore } from '../../src/storage/push.js';
import { testDatabase, testDbLabel } from '../helpers/store.js';
import { fixture } from '../helpers/fixtures.js';
import { at, enqueueOne, enrollDevice, newId } from './setup.js';

type Hot = Pick<CommandStore, 'reportAndNext'> & Pick<EventStore, 'addEvent'>;

let store: Store;
let kysely: Kysely<Database>;
let remove: () => Promise<void>;
before(async () => {
  const t = await testDatabase();
  remove = t.remove;
  store = await openStore({ db: t.db, dataDir: t.dataDir });
  kysely = store.dialect === 'postgres' ? (await openPostgres(t.db)).db : openSqlite(sqlitePath(t.db, t.dataDir)).db;
});
after(async () => {
  await kysely.destroy();
  await store.close();
  await remove();
});

/** One device's session through `impl`, as a transcript with ids and uuids replaced by labels. */
async function session(impl: Hot): Promise<unknown> {
  const id = await enrollDevice(store, newId());
  const a = await enqueueOne(store, [id]);
  const b = await enqueueOne(store, [id], { priority: 5, expiresAt: at(50) });
  const c = await enqueueOne(store, [id], { requestType: 'ProfileList' });
  const d = await enqueueOne(store, [id], { priority: 9, expiresAt: at(10) });
  const e = await enqueueOne(store, [id], { expiresAt: at(70) });
  const f = await enqueueOne(store, [id], { expiresAt: at(80) });
  const label = new Map([[id, 'ID'], [a.uuid, 'A'], [b.uuid, 'B'], [c.uuid, 'C'], [d.uuid, 'D'], [e.uuid, 'E'], [f.uuid, 'F']]);
  const outbox = (n: number) => Array.from({ length: n }, (_, i) => ({ topic: `t-${id}`, body: JSON.stringify({ n: i, s: 'é\u0000"' }) }));
  const report = async (when: number, opts: { uuid?: string; status?: ResultStatus; skip?: boolean; touch?: boolean; outbox?: number } = {}) => {
    const result = opts.uuid === undefined ? null : {
      uuid: opts.uuid.toLowerCase(),
      status: opts.status!,
      requestType: opts.status === 'Error' ? 'DeviceInformation' : null,
      raw: fixture('nanocmd/workflow_certprof_testdata_resp-error.plist'),
      json: { Status: opts.status, n: [1, 'two'] },
    };
    const out = await impl.reportAndNext({ enrollmentId: id, at: at(when), result, skipNotNow: opts.skip ?? false, touch: opts.touch, outbox: outbox(opts.outbox ?? 0) });
    return [out.matched, out.requestType, out.next && { uuid: label.get(out.next.uuid), requestType: out.next.requestType, raw: out.next.raw.toString('base64') }];
  };
  const steps = [
    await report(20, { touch: true, outbox: 1 }),
    await report(21, { uuid: b.uuid, status: 'NotNow' }),
    await report(23, { uuid: a.uuid, status: 'Acknowledged', skip: true }),
    await report(24, { uuid: a.uuid, status: 'Error' }),
    await report(25, { uuid: b.uuid, status: 'NotNow' }),
    await report(60),
    await report(61, { uuid: c.uuid, status: 'Error', outbox: 2 }),
    await report(75, { uuid: e.uuid, status: 'NotNow' }),
    await report(85, { uuid: f.uuid, status: 'Acknowledged' }),
    await report(86, { uuid: newId('NONE'), status: 'Acknowledged' }),
    await report(87, { touch: true, outbox: 2 }),
    await impl.addEvent({ enrollmentId: id, kind: 'checkin.Idle', detail: { uuid: 'A', n: 1.5 }, at: at(88) }),
  ];
  const queue = await Promise.all(
    (await store.listQueue(id, { includeDone: true })).map(async (q) => {
      const [detail] = await store.getCommand(q.uuid, id);
      return { ...detail, uuid: label.get(q.uuid), enrollmentId: label.get(q.enrollmentId) };
    }),
  );
  const labelOf = (uuid: string) => [...label].find(([k]) => k.toLowerCase() === uuid.toLowerCase())?.[1] ?? 'NONE';
  const events = (await store.listEvents({ enrollmentId: id })).map(({ id: _, enrollmentId, detail, ...e }) => ({
    ...e,
    enrollmentId: label.get(enrollmentId ?? ''),
    detail: detail && typeof detail === 'object' && 'uuid' in detail ? { ...detail, uuid: labelOf(String(detail.uuid)) } : detail,
  }));
  const rows = await kysely.selectFrom('outbox').select(['body', 'attempts', 'next_attempt_at', 'created_at', 'done_at']).where('topic', '=', `t-${id}`).orderBy('id').execute();
  return { steps, queue, events, outbox: rows, lastSeenAt: (await store.getEnrollment(id))?.lastSeenAt };
}

test(`the one-transaction report statements match the Kysely implementation (${testDbLabel})`, async () => {
  const ctx = { db: kysely, dialect: store.dialect };
  const generic: Hot = { ...reportStore(ctx), ...eventStore(ctx) };
  const viaHot = await session(store);
  const viaKysely = await session(generic);
  assert.deepEqual(viaHot, viaKysely);
  // And the transcript itself is the contract.
  const { steps, queue, events, outbox, lastSeenAt } = viaHot as {
    steps: Array<[boolean | null, string | null, { uuid: string } | null]>;
    queue: Array<{ uuid: string; status: string; notNowTally: number }>;
    events: Array<{ kind: string; detail: unknown }>;
    outbox: unknown[];
    lastSeenAt: Date;
  };
  assert.deepEqual(steps.slice(0, 11).map(([matched, , next]) => [matched, next?.uuid ?? null]), [
    [null, 'B'], // D expired unseen; B by priority
    [true, 'A'], // a NotNow passes over B at once
    [true, 'C'], // A acknowledged; skipNotNow still passes over B
    [false, 'C'], // A is finished: a late Error changes nothing; no Idle since the NotNow, so B is still passed over
    [true, 'C'],
    [null, 'C'], // B expired at 50
    [true, 'E'],
    [true, 'F'], // E NotNow'd past its expiry: counted, then expired
    [true, null], // F acknowledged even past its expiry (it was still queued)
    [false, null],
    [null, null],
  ]);
  // The matched command's RequestType comes back with every matched result, whatever the device echoed.
  assert.deepEqual(steps.slice(0, 11).map(([, requestType]) => requestType), [
    null, 'DeviceInformation', 'DeviceInformation', null, 'DeviceInformation', null, 'ProfileList', 'DeviceInformation', 'DeviceInformation', null, null,
  ]);
  assert.deepEqual(queue.map((q) => [q.uuid, q.status, q.notNowTally]), [
    ['F', 'acknowledged', 0],
    ['E', 'expired', 1],
    ['D', 'expired', 0],
    ['C', 'error', 0],
    ['B', 'expired', 2],
    ['A', 'acknowledged', 0],
  ]);
  assert.equal(events.filter((e) => e.kind.startsWith('command.')).length, 8, 'one event per result, matched or not');
  const errors = events.filter((e) => e.kind === 'command.Error').map((e) => e.detail as { requestType: string; matched: boolean });
  assert.deepEqual(errors.map((d) => [d.requestType, d.matched]), [['DeviceInformation', true], ['DeviceInformation', false]]);
  assert.equal(outbox.length, 5);
  assert.deepEqual(lastSeenAt, at(87));
});

test(`a push batch's record: the one-commit write matches the Kysely implementation, all or nothing (${testDbLabel})`, async () => {
  const generic = pushStore({ db: kysely, dialect: store.dialect });
  async function batch(impl: Pick<PushStore, 'recordPushes'>): Promise<unknown> {
    const id = newId('PUSH');
    const events: EventInput[] = [
      { enrollmentId: id, kind: 'push.sent', detail: { outcome: 'sent', apnsId: 'X-1', error: null }, at: at(2) },
      { enrollmentId: id, kind: 'push.failed', detail: { outcome: 'no_token', apnsId: null, error: 'é"' }, at: at(2) },
    ];
    await impl.recordPushes([
      { enrollmentId: id, outcome: 'sent', httpStatus: 200, apnsId: 'X-1', at: at(1) },
      { enrollmentId: id, outcome: 'ECONNRESET', httpStatus: null, apnsId: null, at: at(1) },
    ], events);
    await impl.recordPushes([], [{ ...events[0]!, at: at(3) }]);
    // A row the database refuses (kind is NOT NULL): none of the batch is written.
    await assert.rejects(impl.recordPushes([{ enrollmentId: id, outcome: 'sent', httpStatus: 200, apnsId: 'X-2', at: at(4) }], [{ enrollmentId: id, kind: null as unknown as string, at: at(4) }]));
    const pushes = (await store.listPushes(id)).map(({ id: _, enrollmentId: __, ...p }) => p);
    const kept = (await store.listEvents({ enrollmentId: id })).map(({ id: _, enrollmentId: __, ...e }) => e);
    return { pushes, events: kept };
  }
  const viaHot = await batch(store);
  assert.deepEqual(viaHot, await batch(generic));
  const { pushes, events } = viaHot as { pushes: Array<{ outcome: string }>; events: Array<{ kind: string }> };
  assert.deepEqual(pushes.map((p) => p.outcome), ['ECONNRESET', 'sent']);
  assert.deepEqual(events.map((e) => e.kind), ['push.sent', 'push.failed', 'push.sent']);
});
