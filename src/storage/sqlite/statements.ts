// Prepared statements reused across Kysely queries on SQLite. Kysely's SQLite driver prepares every
// query it runs (SQLite parses and plans the SQL again each time), which was ~a quarter of a
// TokenUpdate's CPU. Kysely builds the same SQL text for the same query shape, so the database handed
// to Kysely keeps the prepared statement of each recent text: a bounded LRU of short statements
// (long ones are bulk writes whose prepare is amortised over their rows). SQLite re-prepares a cached
// statement by itself after a schema change. A statement still being iterated (a streamed query)
// is busy, so a query of the same text then gets a fresh one.
import type Database from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Statements kept (LRU). */
export const STATEMENT_CACHE_SIZE = 200;
/** SQL longer than this is prepared each time and not kept. */
export const STATEMENT_CACHE_MAX_SQL = 2048;

export interface CachingDatabase extends SqliteDatabase {
  /** Statements currently kept. */
  readonly cached: number;
}

export function cachingDatabase(raw: Database.Database, max = STATEMENT_CACHE_SIZE): CachingDatabase {
  const cache = new Map<string, Database.Statement>();
  return {
    get cached() {
      return cache.size;
    },
    close() {
      cache.clear();
      raw.close();
    },
    prepare(sql: string): SqliteStatement {
      if (sql.length > STATEMENT_CACHE_MAX_SQL) return raw.prepare(sql);
      const hit = cache.get(sql);
      if (hit) {
        if (hit.busy) return raw.prepare(sql);
        cache.delete(sql); // most recently used last
        cache.set(sql, hit);
        return hit;
      }
      const stmt = raw.prepare(sql);
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
      cache.set(sql, stmt);
      return stmt;
    },
  };
}
