// PostgreSQL connections run Kysely's short parameterised queries as named prepared statements
// (src/storage/postgres/prepared.ts): one per SQL text and connection, bounded, still right after a
// table's columns change under a cached statement. PostgreSQL-only by nature: skipped on the SQLite pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { sql } from 'kysely';
import { openPostgres, parsePostgresUrl } from '../../src/storage/postgres/open.js';
import { prepareStatements, statementName } from '../../src/storage/postgres/prepared.js';
import { testDatabase, testDbLabel } from '../helpers/store.js';

const skip = testDbLabel !== 'postgres' ? 'PostgreSQL only' : false;

/** A client on a fresh schema with a table t (id, v), statements named, at most `max`. */
async function fresh(max?: number) {
  const database = await testDatabase();
  const { db } = await openPostgres(database.db); // creates the schema
  await db.destroy();
  const { connectionString, options } = parsePostgresUrl(database.db);
  const client = new pg.Client({ connectionString, options });
  await client.connect();
  await client.query('CREATE TABLE t (id integer PRIMARY KEY, v text)');
  await client.query("INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 20) AS i");
  const kept = prepareStatements(client, max);
  const prepared = async () =>
    (await client.query('SELECT name, statement FROM pg_prepared_statements ORDER BY name')).rows as { name: string; statement: string }[];
  return {
    client,
    kept,
    prepared,
    async close() {
      await client.end();
      await database.remove();
    },
  };
}

test('the same SQL text is prepared once per connection, under the name of its hash', { skip }, async () => {
  const { client, kept, prepared, close } = await fresh();
  const text = 'SELECT v FROM t WHERE id = $1';
  for (let i = 1; i <= 20; i++) assert.equal((await client.query(text, [i])).rows[0].v, `v${i}`);
  assert.deepEqual(await prepared(), [{ name: statementName(text), statement: text }]);
  assert.equal(kept(), 1);
  // Without parameters (transaction control, DDL, several statements): the simple protocol, unnamed.
  await client.query('SELECT 1; SELECT 2');
  assert.equal((await prepared()).length, 1);
  await close();
});

test('a table whose columns change under a cached statement: the query still answers, with the new columns', { skip }, async () => {
  const { client, kept, prepared, close } = await fresh();
  const text = 'SELECT * FROM t WHERE id = $1';
  assert.deepEqual((await client.query(text, [3])).rows, [{ id: 3, v: 'v3' }]);
  await client.query("ALTER TABLE t ADD COLUMN w text NOT NULL DEFAULT 'w'");
  // The cached plan would change its result type (0A000): run again unnamed, the name dropped.
  assert.deepEqual((await client.query(text, [3])).rows, [{ id: 3, v: 'v3', w: 'w' }]);
  assert.equal(kept(), 0);
  assert.deepEqual(await prepared(), []);
  // Its next use prepares it afresh, against the new table.
  assert.deepEqual((await client.query(text, [4])).rows, [{ id: 4, v: 'v4', w: 'w' }]);
  assert.deepEqual(await prepared(), [{ name: statementName(text), statement: text }]);
  // A statement deallocated behind the client's back (26000): the same recovery.
  await client.query(`DEALLOCATE ${statementName(text)}`);
  assert.deepEqual((await client.query(text, [5])).rows, [{ id: 5, v: 'v5', w: 'w' }]);
  assert.deepEqual((await client.query(text, [6])).rows, [{ id: 6, v: 'v6', w: 'w' }]);
  assert.deepEqual(await prepared(), [{ name: statementName(text), statement: text }]);
  await close();
});

test('bounded per connection: the least recently used statement is deallocated; long SQL is never named', { skip }, async () => {
  const { client, kept, prepared, close } = await fresh(3);
  const q = (n: number) => `SELECT v, ${n} AS n FROM t WHERE id = $1`;
  for (const n of [1, 2, 3]) await client.query(q(n), [n]);
  await client.query(q(1), [1]); // 1 is now the most recent: 2 is the oldest
  await client.query(q(4), [4]); // deallocates 2
  assert.equal(kept(), 3);
  assert.deepEqual((await prepared()).map((p) => p.statement).sort(), [q(1), q(3), q(4)].sort());
  // 2 again: prepared afresh (3 goes), and right.
  assert.deepEqual((await client.query(q(2), [7])).rows, [{ v: 'v7', n: 2 }]);
  assert.deepEqual((await prepared()).map((p) => p.statement).sort(), [q(1), q(2), q(4)].sort());
  const long = `SELECT v FROM t WHERE id = $1 AND '${'x'.repeat(2048)}' <> ''`;
  assert.equal((await client.query(long, [9])).rows[0].v, 'v9');
  assert.equal((await prepared()).length, 3);
  // A WITH statement is named up to 4 KB (a statement of several writes, such as Authenticate's).
  const withLong = `WITH x AS (SELECT v FROM t WHERE id = $1 AND '${'x'.repeat(2048)}' <> '') SELECT v FROM x`;
  assert.equal((await client.query(withLong, [9])).rows[0].v, 'v9');
  assert.ok((await prepared()).some((p) => p.statement === withLong));
  const withLonger = `WITH x AS (SELECT v FROM t WHERE id = $1 AND '${'x'.repeat(4096)}' <> '') SELECT v FROM x`;
  assert.equal((await client.query(withLonger, [9])).rows[0].v, 'v9');
  assert.ok(!(await prepared()).some((p) => p.statement === withLonger));
  await close();
});

test("the store's Kysely queries run named on the pool's connections", { skip }, async () => {
  const database = await testDatabase();
  const { db } = await openPostgres(database.db);
  await sql`CREATE TABLE t (id integer PRIMARY KEY)`.execute(db);
  const names = await db.transaction().execute(async (trx) => {
    await sql`SELECT id FROM t WHERE id = ${1}`.execute(trx);
    return (await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements`.execute(trx)).rows.map((r) => r.statement);
  });
  assert.ok(names.includes('SELECT id FROM t WHERE id = $1'), names.join('\n'));
  await db.destroy();
  await database.remove();
});
