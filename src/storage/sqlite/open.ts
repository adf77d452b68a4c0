// Open a SQLite database file with the pragmas a server needs: WAL, a busy timeout so concurrent
// writers wait instead of failing, synchronous=NORMAL (durable across app crashes in WAL mode)
// and foreign keys.
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database as Schema } from '../schema.js';
import { cachingDatabase } from './statements.js';

export interface SqliteHandle {
  db: Kysely<Schema>;
  raw: Database.Database;
}

export function openSqlite(file: string): SqliteHandle {
  mkdirSync(dirname(file), { recursive: true });
  const raw = new Database(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
  // Kysely's queries reuse prepared statements (statements.ts); the hot paths prepare theirs on `raw` once.
  return { raw, db: new Kysely<Schema>({ dialect: new SqliteDialect({ database: cachingDatabase(raw) }) }) };
}
