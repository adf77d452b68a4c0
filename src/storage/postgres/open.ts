// Open a PostgreSQL pool. int8 (bigint, count(*)) values are parsed to numbers: every bigint we
// store is an epoch-millisecond time or an id, far below 2^53. A `schema` query parameter
// (postgres://…/db?schema=tenant1) isolates Updraft in its own schema, created when missing.
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { Database as Schema } from '../schema.js';
import { prepareStatements } from './prepared.js';

const INT8_OID = 20;

export interface PostgresHandle {
  db: Kysely<Schema>;
  pool: pg.Pool;
  schema: string | null;
}

/**
 * Split Updraft's `schema` parameter off a PostgreSQL URL. Server `options` in the URL are kept
 * and combined with the search_path the schema needs (pg would let the URL's options win).
 */
export function parsePostgresUrl(url: string): { connectionString: string; schema: string | null; options: string | undefined } {
  const u = new URL(url);
  const schema = u.searchParams.get('schema');
  const options = u.searchParams.get('options');
  u.searchParams.delete('schema');
  u.searchParams.delete('options');
  if (schema !== null && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`invalid PostgreSQL schema name: ${schema}`);
  }
  const all = [options, schema ? `-c search_path=${schema}` : null].filter((o) => o).join(' ');
  return { connectionString: u.toString(), schema, options: all || undefined };
}

/**
 * `keep`: connections the pool keeps open however idle (the server's, warmed at start: warm.ts);
 * others close after a minute idle.
 */
export async function openPostgres(url: string, onIdleError?: (err: Error) => void, keep = 0): Promise<PostgresHandle> {
  const { connectionString, schema, options } = parsePostgresUrl(url);
  const pool = new pg.Pool({
    connectionString,
    max: 10,
    // Not pg's default 10 s: a pause in traffic would close connections only for the next burst to
    // start new backends, each with empty caches and its statements to parse and plan afresh.
    min: keep,
    idleTimeoutMillis: 60_000,
    options,
    // A database that does not answer fails a request in seconds (a 5xx) instead of holding it.
    connectionTimeoutMillis: 5000,
    keepAlive: true,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary'
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection the server drops (a restart, a cut network) is reported here; without a
  // listener the pool's 'error' event would end the process. The pool replaces the connection.
  pool.on('error', (err) => onIdleError?.(err));
  // A connection lost while checked out (between the statements of a transaction) is reported on the
  // client, with no listener there either: the statement in progress fails (a 503) and the pool
  // drops the client when it is released. Listen on every client so it never ends the process.
  // Every connection runs Kysely's short parameterised queries as named prepared statements
  // (src/storage/postgres/prepared.ts): parsed and planned once per connection, not per query.
  pool.on('connect', (client) => {
    client.on('error', (err) => onIdleError?.(err));
    prepareStatements(client);
  });
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  if (schema) {
    try {
      await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
    } catch (err) {
      // Concurrent "if not exists" can still collide in the catalog: fine if the schema is there now.
      const { rows } = await sql`select 1 from pg_namespace where nspname = ${schema}`.execute(db).catch(() => ({ rows: [] }));
      if (rows.length === 0) {
        await db.destroy();
        throw err;
      }
    }
  }
  return { db, pool, schema };
}
