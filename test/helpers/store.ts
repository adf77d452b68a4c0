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
  const dataDir = testDataDir();
  if (!isPostgres) {
    const store = await openStore({ db: 'sqlite', dataDir });
    return withCleanup(store, async () => rmSync(dataDir, { recursive: true, force: true }));
  }
  const schema = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const url = new URL(target);
  url.searchParams.set('schema', schema);
  const store = await openStore({ db: url.toString(), dataDir });
  return withCleanup(store, async () => {
    rmSync(dataDir, { recursive: true, force: true });
    url.searchParams.delete('schema');
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  });
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
