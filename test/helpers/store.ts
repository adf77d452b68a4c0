// An isolated store for one test file, on the backend named by UPDRAFT_TEST_DB:
// "sqlite" (or unset) → a fresh SQLite file in a new temp dir, removed on close();
// a postgres:// URL → a fresh uniquely named schema, dropped on close().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore } from '../../src/storage/index.js';
import type { Store } from '../../src/storage/types.js';

const target = process.env.UPDRAFT_TEST_DB ?? 'sqlite';
const isPostgres = /^postgres(ql)?:\/\//i.test(target);

export const testDbLabel: string = isPostgres ? 'postgres' : 'sqlite';

/** A temp dir usable as a data dir; removed with the store when it was created for it. */
export function testDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'updraft-test-'));
}

export async function openTestStore(): Promise<Store> {
  const [store] = await openTestStores(1);
  return store!;
}

/** A fresh, empty database for this test (a --db value and a data dir) and how to remove it. */
export async function testDatabase(): Promise<{ db: string; dataDir: string; remove(): Promise<void> }> {
  const dataDir = testDataDir();
  const removeDir = async () => rmSync(dataDir, { recursive: true, force: true });
  if (!isPostgres) return { db: 'sqlite', dataDir, remove: removeDir };
  const schema = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const url = new URL(target);
  url.searchParams.set('schema', schema);
  // Tests need no durability: skipping the WAL flush per commit makes them several times faster.
  url.searchParams.set('options', '-c synchronous_commit=off');
  const db = url.toString();
  url.searchParams.delete('schema');
  url.searchParams.delete('options');
  return {
    db,
    dataDir,
    async remove() {
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
      await removeDir();
    },
  };
}

/**
 * Several stores (separate connections, like separate server processes) on one fresh database.
 * The database is removed when the last of them is closed.
 */
export async function openTestStores(count: number): Promise<Store[]> {
  const { db, dataDir, remove } = await testDatabase();
  let open = 0;
  const stores: Store[] = [];
  for (let i = 0; i < count; i++) {
    const store = await openStore({ db, dataDir });
    open++;
    stores.push(
      withCleanup(store, async () => {
        if (--open === 0) await remove();
      }),
    );
  }
  return stores;
}

function withCleanup(store: Store, cleanup: () => Promise<void>): Store {
  let closed = false;
  const close = store.close;
  return Object.assign(store, {
    async close() {
      if (closed) return;
      closed = true;
      await close();
      await cleanup();
    },
  });
}
