// openStore: pick the backend from the --db value, run migrations, and compose the store.
//   "sqlite"                  → <dataDir>/updraft.db
//   "sqlite:PATH" or a path   → that SQLite file
//   "postgres://…", "postgresql://…" (optional ?schema=NAME) → PostgreSQL
import { Migrator, sql, type Kysely } from 'kysely';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type SqliteDatabase from 'better-sqlite3';
import type { Store } from './types.js';
import type { Database, Dialect } from './schema.js';
import type { Ctx } from './context.js';
import { migrations } from './migrations/index.js';
import { enrollmentStore } from './enrollments.js';
import { commandStore } from './commands.js';
import { reportStore } from './report.js';
import { eventStore } from './events.js';
import { outboxStore } from './outbox.js';
import { pushStore } from './push.js';
import { challengeStore, settingStore } from './misc.js';
import { ddmStore } from './ddm.js';
import { certificateStore } from './certs.js';
import { campaignStore } from './campaigns.js';
import { catalogStore } from './catalogs.js';
import { inventoryStore } from './inventory.js';
import { postureStore } from './posture.js';
import { leaseStore } from './leases.js';
import { accessStore } from './access.js';
import { opsStore } from './ops.js';
import { fleetStore } from './fleet.js';
import { depStore } from './dep.js';
import { depProfileStore } from './dep-profiles.js';
import { adeStore } from './ade.js';

export interface OpenStoreOptions {
  db: string;
  dataDir: string;
  logger?: Logger;
  /**
   * Test-only hook, no flag: called with the SQLite connection once migrated (the full-disk test
   * caps the database with PRAGMA max_page_count and raises the cap again).
   */
  sqliteConnection?: (raw: SqliteDatabase.Database) => void;
  /**
   * PostgreSQL: open the pool's kept connections now and run the hot statements on each
   * (postgres/warm.ts), so the first requests after a start do not pay for new backends. The server
   * asks for it; tools and tests that open a store for a few statements do not.
   */
  warm?: boolean;
}

export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/** The SQLite file a --db value names (for "sqlite", the default file in the data dir). */
export function sqlitePath(db: string, dataDir: string): string {
  if (db === 'sqlite' || db === '') return join(dataDir, 'updraft.db');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(db)) throw new Error(`unsupported database URL: ${db.replace(/\/\/[^@/]*@/, '//')} (use sqlite, a file path or postgres://)`);
  return resolve(db.startsWith('sqlite:') ? db.slice('sqlite:'.length) : db);
}

async function migrate(db: Kysely<Database>, dialect: Dialect, logger?: Logger): Promise<void> {
  // On PostgreSQL, pin the migration tables to our schema: otherwise Kysely finds another
  // schema's kysely_migration table on the server and believes ours exists.
  const migrationTableSchema =
    dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
      : undefined;
  // Unordered: migrations are numbered as features are planned and may land out of order (005 before
  // 004); each one is independent of those numbered after the ones it needs.
  const migrator = new Migrator({ db, provider: migrations(dialect), migrationTableSchema, allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  for (const r of results ?? []) {
    if (r.status === 'Success') logger?.info({ migration: r.migrationName }, 'storage migration applied');
    if (r.status === 'Error') logger?.error({ migration: r.migrationName }, 'storage migration failed');
  }
  if (error) throw error instanceof Error ? error : new Error(String(error));
}

/**
 * Kysely's migrator lists the tables of every schema on the server (pg_get_serial_sequence on each
 * column's table); another schema being dropped at that moment (another tenant, or a parallel test
 * run) fails the listing with 3F000 (schema gone), 42P01 (relation "other_schema.table" gone) or
 * 42703 (column "id" of relation "audit_log" gone: seen once in 2 CI runs, during a test's teardown).
 * It is a race, not a problem with ours: try again a few times (a real error repeats and is thrown).
 */
const RACES = new Set(['3F000', '42P01', '42703']);

/** Runs `run` (a migration on PostgreSQL) again while it fails with one of the RACES above. */
export async function retryingSchemaRaces<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (!RACES.has((err as { code?: string }).code ?? '') || attempt >= 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

/**
 * An enrollment's check-ins and combined steps, each backend's own (postgres/checkin.ts and enroll.ts,
 * sqlite/checkin.ts and enroll.ts).
 */
type EnrollPath = 'authenticate' | 'tokenUpdate' | 'queueInventoryOnce' | 'ddmSyncInputs' | 'ddmSupersedeAndEnqueue';

function compose(ctx: Ctx, close: () => Promise<void>): Omit<Store, EnrollPath> {
  return {
    dialect: ctx.dialect,
    ...enrollmentStore(ctx),
    ...commandStore(ctx),
    ...reportStore(ctx),
    ...eventStore(ctx),
    ...outboxStore(ctx),
    ...pushStore(ctx),
    ...challengeStore(ctx),
    ...settingStore(ctx),
    ...ddmStore(ctx),
    ...certificateStore(ctx),
    ...campaignStore(ctx),
    ...catalogStore(ctx),
    ...inventoryStore(ctx),
    ...postureStore(ctx),
    ...leaseStore(ctx),
    ...accessStore(ctx),
    ...opsStore(ctx),
    ...fleetStore(ctx),
    ...depStore(ctx),
    ...depProfileStore(ctx),
    ...adeStore(ctx),
    close,
  };
}

export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  // Each backend's driver is loaded only when it is the one opened (pg is not in a SQLite server's memory).
  if (isPostgresUrl(opts.db)) {
    const [{ openPostgres }, { postgresHotPath }, { postgresEnrollPath }, { postgresCheckinPath }, { warmPool, WARM_CONNECTIONS }] = await Promise.all([
      import('./postgres/open.js'), import('./postgres/hot.js'), import('./postgres/enroll.js'), import('./postgres/checkin.js'), import('./postgres/warm.js'),
    ]);
    const onIdleError = (err: Error) => opts.logger?.warn({ err: err.message }, 'PostgreSQL dropped an idle connection');
    const { db, pool } = await openPostgres(opts.db, onIdleError, opts.warm ? WARM_CONNECTIONS : 0);
    try {
      await retryingSchemaRaces(() => migrate(db, 'postgres', opts.logger));
    } catch (err) {
      await db.destroy();
      throw err;
    }
    // Only a start-up cost: a failure leaves connections to be opened (cold) when needed.
    if (opts.warm) await warmPool(pool).catch((err: Error) => opts.logger?.warn({ err: err.message }, 'PostgreSQL pool warm-up failed'));
    return { ...compose({ db, dialect: 'postgres' }, () => db.destroy()), ...postgresHotPath(pool), ...postgresCheckinPath(db), ...postgresEnrollPath(pool) };
  }
  const [{ openSqlite }, { sqliteHotPath }, { startCheckpointer }, { sqlitePostureBulk }, { sqliteEnrollPath }, { sqliteCheckinPath }, { sqliteCertPath }] = await Promise.all([
    import('./sqlite/open.js'), import('./sqlite/hot.js'), import('./sqlite/checkpoint.js'), import('./sqlite/posture.js'), import('./sqlite/enroll.js'),
    import('./sqlite/checkin.js'), import('./sqlite/certs.js'),
  ]);
  const file = sqlitePath(opts.db, opts.dataDir);
  const { db, raw } = openSqlite(file);
  try {
    await migrate(db, 'sqlite', opts.logger);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  opts.sqliteConnection?.(raw);
  const checkpointer = startCheckpointer(raw, file);
  const ctx: Ctx = { db, dialect: 'sqlite' };
  const store = compose(ctx, async () => {
    await checkpointer.stop();
    await db.destroy();
  });
  return { ...store, ...sqliteHotPath(raw, store), ...sqlitePostureBulk(raw, store), ...sqliteCheckinPath(raw, db), ...sqliteEnrollPath(raw, db), ...sqliteCertPath(raw, db) };
}

export type { Store } from './types.js';
