// What every storage module works with: the Kysely handle and which dialect is behind it.
import type { Kysely } from 'kysely';
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

/** A LIKE pattern matching strings that start with `prefix` (use with ESCAPE '\'). */
export function likePrefix(prefix: string): string {
  return prefix.replace(/[\\%_]/g, (c) => '\\' + c) + '%';
}
