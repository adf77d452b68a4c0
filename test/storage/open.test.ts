// openStore: how --db values pick a backend and where the data lands; migrations on reopen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openStore, sqlitePath } from '../../src/storage/index.js';
import { testDataDir, testDbLabel } from '../helpers/store.js';
import { enrollDevice } from './setup.js';

const onSqlite = { skip: testDbLabel !== 'sqlite' && 'SQLite-specific' };
const onPostgres = { skip: testDbLabel !== 'postgres' && 'PostgreSQL-specific' };

test('--db values name SQLite files', () => {
  assert.equal(sqlitePath('sqlite', '/var/lib/updraft'), '/var/lib/updraft/updraft.db');
  assert.equal(sqlitePath('sqlite:/tmp/x.db', '/d'), '/tmp/x.db');
  assert.equal(sqlitePath('/srv/mdm.sqlite', '/d'), '/srv/mdm.sqlite');
});

test('an unsupported database URL is refused without echoing its password', async () => {
  await assert.rejects(
    openStore({ db: 'mysql://root:secret@db/updraft', dataDir: testDataDir() }),
    (err: Error) => /unsupported database URL: mysql:\/\/db\/updraft/.test(err.message) && !err.message.includes('secret'),
  );
});

test('"sqlite" opens <dataDir>/updraft.db in WAL mode; data and schema survive a reopen', onSqlite, async () => {
  const dataDir = testDataDir();
  try {
    const first = await openStore({ db: 'sqlite', dataDir });
    assert.equal(first.dialect, 'sqlite');
    const id = await enrollDevice(first);
    await first.close();
    const file = join(dataDir, 'updraft.db');
    const raw = new Database(file, { readonly: true });
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    raw.close();
    const again = await openStore({ db: `sqlite:${file}`, dataDir: '/nonexistent' });
    assert.equal((await again.getEnrollment(id))?.enabled, true);
    await again.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a SQLite path creates its parent directory', onSqlite, async () => {
  const dataDir = testDataDir();
  try {
    const file = join(dataDir, 'nested', 'dir', 'mdm.db');
    const store = await openStore({ db: file, dataDir });
    await store.setSetting('k', 'v');
    await store.close();
    assert.ok(existsSync(file));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('?schema= isolates PostgreSQL; several processes may migrate a new schema at once', onPostgres, async () => {
  const base = process.env.UPDRAFT_TEST_DB!;
  const schema = `t_open_${randomBytes(4).toString('hex')}`;
  const url = new URL(base);
  url.searchParams.set('schema', schema);
  const dataDir = testDataDir();
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    const stores = await Promise.all([1, 2, 3].map(() => openStore({ db: url.toString(), dataDir })));
    assert.equal(stores[0]!.dialect, 'postgres');
    const id = await enrollDevice(stores[0]!);
    assert.equal((await stores[2]!.getEnrollment(id))?.id, id);
    await Promise.all(stores.map((s) => s.close()));
    const { rows } = await client.query<{ n: string }>(
      `select count(*) as n from information_schema.tables where table_schema = $1 and table_name = 'enrollments'`,
      [schema],
    );
    assert.equal(Number(rows[0]?.n), 1);
  } finally {
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a bad schema name is refused before connecting', onPostgres, async () => {
  const url = new URL(process.env.UPDRAFT_TEST_DB!);
  url.searchParams.set('schema', 'x"; drop table y; --');
  await assert.rejects(openStore({ db: url.toString(), dataDir: testDataDir() }), /invalid PostgreSQL schema name/);
});
