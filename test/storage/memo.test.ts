// Queries built once (src/storage/memo.ts): the same answers as building them each time, on each
// database its own, inside transactions too, and a build that would bake an argument into the SQL is
// refused instead of answering for the wrong value.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { memoQuery, first } from '../../src/storage/memo.js';
import type { Database } from '../../src/storage/schema.js';
import type { Store } from '../../src/storage/types.js';
import { enrollDevice, newId, storeWithSecondConnection } from './setup.js';

// Two separate databases, each a store and a Kysely connection of its own.
let dbs: Array<Awaited<ReturnType<typeof storeWithSecondConnection>>>;
const stores = () => dbs.map((d) => d.store);
const dbOf = (s: Store) => dbs.find((d) => d.store === s)!.other;

before(async () => {
  dbs = [await storeWithSecondConnection(), await storeWithSecondConnection()];
});
after(async () => {
  for (const d of dbs) await d.close();
});

test('a memo query answers as the built query does, for every argument, on each database separately', async () => {
  const [a, b] = stores() as [Store, Store];
  const byPlatform = memoQuery((db: Kysely<Database>, id: string, platform: string) =>
    db.selectFrom('enrollments').select(['id', 'platform']).where('id', '=', id).where('platform', '=', platform));
  const onA = [await enrollDevice(a), await enrollDevice(a)];
  const onB = await enrollDevice(b);
  for (const id of onA) {
    assert.deepEqual((await byPlatform(dbOf(a), id, 'macOS')).rows, [{ id, platform: 'macOS' }]);
    assert.deepEqual((await byPlatform(dbOf(a), id, 'iOS')).rows, []);
  }
  assert.equal(first(await byPlatform(dbOf(a), onB, 'macOS')), undefined, "B's device is not in A");
  assert.equal(first(await byPlatform(dbOf(b), onB, 'macOS'))?.id, onB);
  // the store's own memo queries (enrollment lookups) agree with what was written
  assert.equal((await a.getEnrollment(onA[1]!))?.id, onA[1]);
  assert.equal(await b.getEnrollment(onA[1]!), null);
});

test('inside a transaction it sees the transaction, and a rollback takes its write back', async () => {
  const store = stores()[0]!;
  const db = dbOf(store);
  const id = await enrollDevice(store);
  const setName = memoQuery((d: Kysely<Database>, name: string, id: string) => d.updateTable('enrollments').set({ device_name: name }).where('id', '=', id));
  const nameOf = memoQuery((d: Kysely<Database>, id: string) => d.selectFrom('enrollments').select('device_name').where('id', '=', id));
  await assert.rejects(
    db.transaction().execute(async (trx) => {
      await setName(trx, 'inside', id);
      assert.equal(first(await nameOf(trx, id))?.device_name, 'inside');
      throw new Error('roll back');
    }),
    /roll back/,
  );
  assert.equal(first(await nameOf(db, id))?.device_name, null);
  await setName(db, 'kept', id);
  assert.equal(first(await nameOf(db, id))?.device_name, 'kept');
});

test('a build that transforms or spreads an argument is refused, not run with the first call\'s value', async () => {
  const db = dbs[0]!.other;
  const transformed = memoQuery((d: Kysely<Database>, id: string) => d.selectFrom('enrollments').selectAll().where('id', '=', id.toUpperCase()));
  await assert.rejects(async () => transformed(db, newId()), /argument 0 is not bound exactly once as a plain value/);
  const twice = memoQuery((d: Kysely<Database>, id: string) => d.selectFrom('enrollments').selectAll().where('id', '=', id).where('device_id', '=', id));
  await assert.rejects(async () => twice(db, newId()), /argument 0 is not bound exactly once/);
  const unused = memoQuery((d: Kysely<Database>, _id: string) => d.selectFrom('enrollments').selectAll().limit(1));
  await assert.rejects(async () => unused(db, newId()), /argument 0 is not bound/);
});
