// Kysely's SQLite queries reuse prepared statements (src/storage/sqlite/statements.ts): one per SQL
// text, bounded, never shared with a query still being streamed, and still right after a schema change.
// SQLite-only by nature (PostgreSQL has no such cache): it reaches no test database, so `npm test` runs it once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { cachingDatabase, STATEMENT_CACHE_MAX_SQL } from '../../src/storage/sqlite/statements.js';

function fresh() {
  const dir = mkdtempSync(join(tmpdir(), 'updraft-statements-'));
  const raw = new Database(join(dir, 'db.sqlite'));
  raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  let prepared = 0;
  const prepare = raw.prepare.bind(raw);
  raw.prepare = ((s: string) => (prepared++, prepare(s))) as typeof raw.prepare;
  return { raw, dir, prepared: () => prepared };
}

test('the same SQL text is prepared once; results stay right across parameters', async () => {
  const { raw, dir, prepared } = fresh();
  const cache = cachingDatabase(raw);
  const db = new Kysely<{ t: { id: number; v: string } }>({ dialect: new SqliteDialect({ database: cache }) });
  for (let i = 1; i <= 20; i++) await db.insertInto('t').values({ id: i, v: `v${i}` }).execute();
  for (let i = 1; i <= 20; i++) assert.equal((await db.selectFrom('t').select('v').where('id', '=', i).executeTakeFirstOrThrow()).v, `v${i}`);
  assert.equal(prepared(), 2);
  assert.equal(cache.cached, 2);
  await db.destroy();
  rmSync(dir, { recursive: true });
});

test('bounded: the least recently used statement goes first; long SQL is never kept', () => {
  const { raw, dir, prepared } = fresh();
  const cache = cachingDatabase(raw, 3);
  const q = (n: number) => `SELECT ${n} AS n`;
  for (const n of [1, 2, 3]) cache.prepare(q(n));
  cache.prepare(q(1)); // 1 is now the most recent: 2 is the oldest
  cache.prepare(q(4)); // evicts 2
  assert.equal(cache.cached, 3);
  const before = prepared();
  cache.prepare(q(1));
  cache.prepare(q(3));
  cache.prepare(q(4));
  assert.equal(prepared(), before, '1, 3 and 4 are kept');
  cache.prepare(q(2));
  assert.equal(prepared(), before + 1, '2 was evicted');
  const long = `SELECT 1 AS n WHERE '${'x'.repeat(STATEMENT_CACHE_MAX_SQL)}' <> ''`;
  cache.prepare(long);
  cache.prepare(long);
  assert.equal(prepared(), before + 3);
  assert.equal(cache.cached, 3);
  raw.close();
  rmSync(dir, { recursive: true });
});

test('a statement still being iterated is not handed out again: the second query gets its own', () => {
  const { raw, dir } = fresh();
  raw.exec("INSERT INTO t (id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  const cache = cachingDatabase(raw);
  const text = 'SELECT id FROM t WHERE id >= ? ORDER BY id';
  const outer = cache.prepare(text).iterate([1]) as IterableIterator<{ id: number }>;
  assert.equal(outer.next().value?.id, 1);
  const inner = cache.prepare(text);
  assert.deepEqual(inner.all([2]), [{ id: 2 }, { id: 3 }]);
  assert.deepEqual([...outer].map((r) => r.id), [2, 3]);
  raw.close();
  rmSync(dir, { recursive: true });
});

test('a kept statement follows a schema change', async () => {
  const { raw, dir } = fresh();
  const db = new Kysely<{ t: { id: number; v: string } }>({ dialect: new SqliteDialect({ database: cachingDatabase(raw) }) });
  await db.insertInto('t').values({ id: 1, v: 'a' }).execute();
  const all = () => sql<Record<string, unknown>>`SELECT * FROM t`.execute(db);
  assert.deepEqual((await all()).rows, [{ id: 1, v: 'a' }]);
  await sql`ALTER TABLE t ADD COLUMN w TEXT DEFAULT 'z'`.execute(db);
  assert.deepEqual((await all()).rows, [{ id: 1, v: 'a', w: 'z' }]);
  await db.destroy();
  rmSync(dir, { recursive: true });
});
