// Open a SQLite database file with the pragmas a server needs: WAL, a busy timeout so concurrent
// writers wait instead of failing, synchronous=NORMAL (durable across app crashes in WAL mode)
// and foreign keys.
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database as Schema } from '../schema.js';
import { cachingDatabase } from './statements.js';

export interface SqliteHandle {
  db: Kysely<Schema>;
  raw: Database.Database;
}

/**
 * SQLite rolls a whole transaction back by itself on some errors (SQLITE_FULL, I/O errors); Kysely's
 * ROLLBACK after it would then fail ("no transaction is active") and hide the error that matters
 * (a full disk answered 500 instead of 507). Rollbacks are skipped when nothing is left to undo.
 */
class SqliteDriverAfterAbort extends SqliteDriver {
  constructor(private readonly raw: Database.Database) {
    // Kysely's queries reuse prepared statements (statements.ts); the hot paths prepare theirs on `raw` once.
    super({ database: cachingDatabase(raw) });
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.raw.inTransaction) await super.rollbackTransaction(connection);
  }

  override async rollbackToSavepoint(...args: Parameters<SqliteDriver['rollbackToSavepoint']>): Promise<void> {
    if (this.raw.inTransaction) await super.rollbackToSavepoint(...args);
  }
}

class SqliteDialectAfterAbort extends SqliteDialect {
  constructor(private readonly raw: Database.Database) {
    super({ database: raw });
  }

  override createDriver(): Driver {
    return new SqliteDriverAfterAbort(this.raw);
  }
}

export function openSqlite(file: string): SqliteHandle {
  mkdirSync(dirname(file), { recursive: true });
  const raw = new Database(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
  return { raw, db: new Kysely<Schema>({ dialect: new SqliteDialectAfterAbort(raw) }) };
}
