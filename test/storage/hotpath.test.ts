// The request-path statements (prepared on SQLite, named on PostgreSQL) must behave exactly like
// the Kysely implementations, which SQLite falls back to while a transaction holds the connection.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import type { CommandStore, EnrollmentStore, EventStore, Store } from '../../src/storage/types.js';
import type { Database } from '../../src/storage/schema.js';
import { openStore, sqlitePath } from '../../src/storage/index.js';
import { openSqlite } from '../../src/storage/sqlite/open.js';
import { openPostgres } from '../../src/storage/postgres/open.js';
import { commandStore } from '../../src/storage/commands.js';
import { enrollmentStore } from '../../src/storage/enrollments.js';
import { eventStore } from '../../src/storage/events.js';
import { testDatabase, testDbLabel } from '../helpers/store.js';
import { fixture } from '../helpers/fixtures.js';
import { at, enqueueOne, enrollDevice, newId } from './setup.js';

type Hot = Pick<EnrollmentStore, 'touch'> & Pick<CommandStore, 'nextCommand' | 'recordResult'> & Pick<EventStore, 'addEvent'>;

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
  const c = await enqueueOne(store, [id]);
  const d = await enqueueOne(store, [id], { priority: 9, expiresAt: at(10) });
  const label = new Map([[id, 'ID'], [a.uuid, 'A'], [b.uuid, 'B'], [c.uuid, 'C'], [d.uuid, 'D']]);
  const result = (uuid: string, status: 'Acknowledged' | 'Error' | 'NotNow', when: number) =>
    impl.recordResult({
      enrollmentId: id,
      uuid: uuid.toLowerCase(),
      status,
      raw: fixture('nanocmd/workflow_certprof_testdata_resp-error.plist'),
      json: { Status: status, n: [1, 'two'] },
      at: at(when),
    });
  const next = async (when: number, skipNotNow: boolean) => {
    const cmd = await impl.nextCommand(id, { skipNotNow, at: at(when) });
    return cmd && { uuid: label.get(cmd.uuid), requestType: cmd.requestType, raw: cmd.raw.toString('base64') };
  };
  const steps = [
    await impl.touch(id, at(1)),
    await next(20, false),
    await result(b.uuid, 'NotNow', 21),
    await next(22, true),
    await result(a.uuid, 'Acknowledged', 23),
    await result(a.uuid, 'Error', 24),
    await result(b.uuid, 'NotNow', 25),
    await next(60, false),
    await result(c.uuid, 'Error', 61),
    await next(62, false),
    await result(newId('NONE'), 'Acknowledged', 63),
    await impl.addEvent({ enrollmentId: id, kind: 'command.Acknowledged', detail: { uuid: 'A', n: 1.5 }, at: at(64) }),
    await impl.addEvent({ enrollmentId: id, kind: 'checkin.Idle', at: at(65) }),
  ];
  const queue = await Promise.all(
    (await store.listQueue(id, { includeDone: true })).map(async (q) => {
      const [detail] = await store.getCommand(q.uuid, id);
      return { ...detail, uuid: label.get(q.uuid), enrollmentId: label.get(q.enrollmentId) };
    }),
  );
  const events = (await store.listEvents({ enrollmentId: id })).map(({ id: _, enrollmentId, ...e }) => ({ ...e, enrollmentId: label.get(enrollmentId ?? '') }));
  return { steps, queue, events, lastSeenAt: (await store.getEnrollment(id))?.lastSeenAt };
}

test(`prepared hot paths match the Kysely implementations (${testDbLabel})`, async () => {
  const ctx = { db: kysely, dialect: store.dialect };
  const generic: Hot = { ...enrollmentStore(ctx), ...commandStore(ctx), ...eventStore(ctx) };
  const viaHot = await session(store);
  const viaKysely = await session(generic);
  assert.deepEqual(viaHot, viaKysely);
  // And the transcript itself is the contract: D expired unseen, B NotNow'd then expired, A acknowledged.
  const { steps, queue } = viaHot as { steps: unknown[]; queue: Array<{ uuid: string; status: string; notNowTally: number }> };
  assert.deepEqual(steps.slice(1, 11).map((s) => (s && typeof s === 'object' && 'uuid' in s ? s.uuid : s)), [
    'B', true, 'A', true, false, true, 'C', true, null, false,
  ]);
  assert.deepEqual(queue.map((q) => [q.uuid, q.status, q.notNowTally]), [
    ['D', 'expired', 0],
    ['C', 'error', 0],
    ['B', 'expired', 2],
    ['A', 'acknowledged', 0],
  ]);
});
