// Shared builders for the storage tests: enrolled devices and commands at fixed times.
import { randomUUID } from 'node:crypto';
import { Migrator, sql, type Kysely } from 'kysely';
import type SqliteConnection from 'better-sqlite3';
import { migrations } from '../../src/storage/migrations/index.js';
import type { CommandResultInput, Store } from '../../src/storage/types.js';
import type { Database } from '../../src/storage/schema.js';
import { openStore, retryingSchemaRaces, sqlitePath } from '../../src/storage/index.js';
import { openSqlite } from '../../src/storage/sqlite/open.js';
import { openPostgres } from '../../src/storage/postgres/open.js';
import { fixture } from '../helpers/fixtures.js';
import { testDatabase } from '../helpers/store.js';

export const T0 = new Date('2026-01-01T00:00:00Z');
export const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

/** A real command plist (mdmb's DeviceInformation, queued through NanoMDM). */
export const commandPlist = fixture('mdmb/commands-sent/devinfo.plist');

let n = 0;
/** A fresh device id per test, so tests sharing one database never see each other's rows. */
export function newId(prefix = 'DEV'): string {
  return `${prefix}-${++n}-${randomUUID().slice(0, 8).toUpperCase()}`;
}

/** Authenticate + TokenUpdate: an enabled, pushable device channel. */
export async function enrollDevice(store: Store, id = newId(), when = T0): Promise<string> {
  await store.authenticate({
    id,
    type: 'Device',
    deviceId: id,
    udid: id,
    topic: 'com.apple.mgmt.External.test',
    inventory: { serialNumber: `SN${id}`, osVersion: '14.4', platform: 'macOS' },
    at: when,
  });
  await store.tokenUpdate({
    id,
    type: 'Device',
    deviceId: id,
    udid: id,
    topic: 'com.apple.mgmt.External.test',
    pushToken: 'aa'.repeat(32),
    pushMagic: 'magic-' + id,
    at: when,
  });
  return id;
}

export async function enqueueOne(
  store: Store,
  ids: string[],
  opts: { uuid?: string; priority?: number; expiresAt?: Date; when?: Date; requestType?: string } = {},
) {
  const uuid = opts.uuid ?? randomUUID().toUpperCase();
  const outcomes = await store.enqueue(
    {
      uuid,
      requestType: opts.requestType ?? 'DeviceInformation',
      raw: commandPlist,
      priority: opts.priority,
      expiresAt: opts.expiresAt ?? null,
      at: opts.when ?? T0,
    },
    ids,
  );
  return { uuid, outcomes };
}

export const ack = (enrollmentId: string, uuid: string, when = at(10)) => ({
  enrollmentId,
  uuid,
  status: 'Acknowledged' as const,
  raw: fixture('nanocmd/workflow_certprof_testdata_resp-ack.plist'),
  json: { Status: 'Acknowledged', CommandUUID: uuid },
  at: when,
});

/** An Idle poll: the next command handed out (sentAt stamped), or null. */
export async function nextCommand(store: Pick<Store, 'reportAndNext'>, id: string, opts: { skipNotNow: boolean; at: Date }) {
  return (await store.reportAndNext({ enrollmentId: id, at: opts.at, result: null, skipNotNow: opts.skipNotNow })).next;
}

/** A result report; whether it matched a queued command. */
export async function recordResult(
  store: Pick<Store, 'reportAndNext'>,
  { enrollmentId, at, ...result }: CommandResultInput & { enrollmentId: string; at: Date },
): Promise<boolean> {
  return (await store.reportAndNext({ enrollmentId, at, result, skipNotNow: false })).matched === true;
}

/**
 * Make inserts into `table` fail (a trigger raising an error) for rows whose `column` contains
 * `marker`; returns a function removing the trigger. Runs on a second connection, as an outage would.
 */
export async function failInserts(
  db: Kysely<Database>,
  dialect: 'sqlite' | 'postgres',
  table: 'events' | 'outbox',
  column: 'detail' | 'body',
  marker: string,
): Promise<() => Promise<void>> {
  const name = `fail_${table}_${marker.replace(/\W/g, '')}`;
  if (dialect === 'sqlite') {
    await sql.raw(`CREATE TRIGGER ${name} BEFORE INSERT ON ${table} WHEN instr(NEW.${column}, '${marker}') > 0
      BEGIN SELECT RAISE(ABORT, '${table} insert failed'); END`).execute(db);
    return async () => void (await sql.raw(`DROP TRIGGER ${name}`).execute(db));
  }
  await sql.raw(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF strpos(NEW.${column}, '${marker}') > 0 THEN RAISE EXCEPTION '${table} insert failed'; END IF; RETURN NEW; END $$`).execute(db);
  await sql.raw(`CREATE TRIGGER ${name} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`).execute(db);
  return async () => {
    await sql.raw(`DROP TRIGGER ${name} ON ${table}`).execute(db);
    await sql.raw(`DROP FUNCTION ${name}()`).execute(db);
  };
}

/** A second connection to the store's database (Kysely), as another process would have. */
export async function secondConnection(dbUrl: string, dataDir: string): Promise<Kysely<Database>> {
  return /^postgres(ql)?:\/\//i.test(dbUrl) ? (await openPostgres(dbUrl)).db : openSqlite(sqlitePath(dbUrl, dataDir)).db;
}

/** A store on a fresh test database plus a second, independent connection to the same database
 *  (to look underneath the store or sabotage it) and, on SQLite, the store's own connection (`raw`:
 *  its transaction state); close() undoes all of it. */
export async function storeWithSecondConnection(): Promise<{ store: Store; other: Kysely<Database>; raw?: SqliteConnection.Database; close(): Promise<void> }> {
  const t = await testDatabase();
  let raw: SqliteConnection.Database | undefined;
  const store = await openStore({ db: t.db, dataDir: t.dataDir, sqliteConnection: (r) => (raw = r) });
  const other = await secondConnection(t.db, t.dataDir);
  return {
    store,
    other,
    raw,
    async close() {
      await other.destroy();
      await store.close();
      await t.remove();
    },
  };
}

/** Runs on `db` only the migrations named before `below` (e.g. '016'): a database as an older Updraft left it. */
export async function migrateBelow(db: Kysely<Database>, dbUrl: string, below: string): Promise<void> {
  const dialect = /^postgres/.test(dbUrl) ? 'postgres' : 'sqlite';
  const provider = migrations(dialect);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => Object.fromEntries(Object.entries(await provider.getMigrations()).filter(([n]) => n < below)) },
    migrationTableSchema: dialect === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]!.s : undefined,
  });
  // Kysely lists every schema's tables: another test dropping its schema meanwhile is a race (as for the server's migrations).
  await retryingSchemaRaces(async () => {
    const { error } = await migrator.migrateToLatest();
    if (error) throw error;
  });
}
