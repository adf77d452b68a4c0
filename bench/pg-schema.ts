// A throwaway PostgreSQL schema for a bench: the store opened in it, a plain client on it for bulk
// seeding, and a drop of the whole schema when the bench is done. Null (with a line saying so)
// when PostgreSQL cannot be reached, so a bench still prints its SQLite figures.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore } from '../src/storage/index.js';
import type { Store } from '../src/storage/types.js';

export interface BenchSchema {
  store: Store;
  /** A client whose search_path is the bench's schema. */
  client: pg.Client;
  /** Close the store and the client, and drop the schema. */
  drop(): Promise<void>;
}

export async function openBenchSchema(dataDir: string, prefix = 'bench'): Promise<BenchSchema | null> {
  const base = process.env.UPDRAFT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  const url = new URL(base);
  url.searchParams.set('schema', schema);
  let store: Store;
  try {
    store = await openStore({ db: url.toString(), dataDir });
  } catch (err) {
    console.log(`  PostgreSQL skipped: ${base.replace(/\/\/[^@]*@/, '//')} unreachable (${(err as Error).message})`);
    return null;
  }
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  await client.query(`set search_path to "${schema}"`);
  return {
    store,
    client,
    async drop() {
      await store.close();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    },
  };
}
