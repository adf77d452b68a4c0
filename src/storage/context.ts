// What every storage module works with: the Kysely handle and which dialect is behind it.
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Database, Dialect } from './schema.js';

export interface Ctx {
  db: Kysely<Database>;
  dialect: Dialect;
}

export function toDate(ms: number): Date;
export function toDate(ms: number | null): Date | null;
export function toDate(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

/** Split a list so each statement stays well under the bind-parameter limits of both databases. */
export function chunks<T>(items: T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Run one statement per part: a single statement is atomic on its own (no BEGIN and COMMIT round
 * trips on PostgreSQL), several share one transaction.
 */
export async function inParts<DB, T>(db: Kysely<DB>, parts: T[][], write: (db: Kysely<DB>, part: T[]) => Promise<unknown>): Promise<void> {
  if (parts.length === 1) return void (await write(db, parts[0]!));
  await db.transaction().execute(async (trx) => {
    for (const part of parts) await write(trx, part);
  });
}

/** `column` is one of `values`, bound as a single parameter however many values there are. */
export function oneOf(dialect: Dialect, column: string, values: readonly string[]): RawBuilder<SqlBool> {
  return inList(dialect, column, listParam(dialect, values));
}

/** The one parameter oneOf binds for `values`: a text[] for PostgreSQL, a JSON array for SQLite. */
export const listParam = (dialect: Dialect, values: readonly string[]): string | string[] =>
  dialect === 'postgres' ? [...values] : JSON.stringify(values);

/** oneOf with its parameter given as is (listParam): for memo queries, whose arguments bind unchanged. */
export function inList(dialect: Dialect, column: string, param: string | string[]): RawBuilder<SqlBool> {
  return dialect === 'postgres'
    ? sql<SqlBool>`${sql.ref(column)} = any(${param}::text[])`
    : sql<SqlBool>`${sql.ref(column)} in (select value from json_each(${param}))`;
}

/** A LIKE pattern matching strings that start with `prefix` (use with ESCAPE '\'). */
export function likePrefix(prefix: string): string {
  return prefix.replace(/[\\%_]/g, (c) => '\\' + c) + '%';
}
