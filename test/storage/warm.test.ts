// The server's PostgreSQL pool warm-up (src/storage/postgres/warm.ts): the kept connections are open
// once the store is, each with the hot statements prepared and on their generic plans, and nothing
// was written. PostgreSQL-only by nature: skipped on the SQLite pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { openStore } from '../../src/storage/index.js';
import { openPostgres } from '../../src/storage/postgres/open.js';
import { WARM_CONNECTIONS, warmPool } from '../../src/storage/postgres/warm.js';
import { testDatabase, testDbLabel } from '../helpers/store.js';

const skip = testDbLabel !== 'postgres' ? 'PostgreSQL only' : false;

test('warm-up: kept connections with the hot statements planned, nothing written', { skip }, async () => {
  const t = await testDatabase();
  const store = await openStore({ db: t.db, dataDir: t.dataDir, warm: true });
  const { db, pool } = await openPostgres(t.db, undefined, WARM_CONNECTIONS);
  try {
    await warmPool(pool);
    assert.equal(pool.totalCount, WARM_CONNECTIONS);
    const clients = await Promise.all(Array.from({ length: WARM_CONNECTIONS }, () => pool.connect()));
    assert.equal(pool.totalCount, WARM_CONNECTIONS, 'the warmed connections are the ones handed out');
    for (const c of clients) {
      const { rows } = await c.query<{ name: string; generic_plans: number }>('SELECT name, generic_plans FROM pg_prepared_statements');
      const generic = new Map(rows.map((r) => [r.name, Number(r.generic_plans)]));
      for (const name of ['updraft_report_idle', 'updraft_report_idle_touch', 'updraft_report_final']) {
        assert.ok((generic.get(name) ?? 0) >= 1, `${name} has its generic plan`);
      }
      assert.ok(rows.some((r) => r.name.startsWith('k_')), 'the identity look-up (a memo query) is prepared under its hash');
      c.release();
    }
    const { rows } = await sql<{ n: number }>`SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM enrollments) AS n`.execute(db);
    assert.equal(Number(rows[0]!.n), 0);
    // and the store that warmed its own pool works as before
    assert.equal(await store.getEnrollment('nobody'), null);
  } finally {
    await db.destroy();
    await pool.end().catch(() => undefined);
    await store.close();
    await t.remove();
  }
});
