// Queries built once. Kysely builds a query's tree and compiles it to SQL on every call: ~70 µs for a
// short statement before V8 has optimised that code, ~30 µs after, which was about a tenth of an
// enrollment's server CPU (a device enrolls once, so its queries mostly run cold). A memo query is
// built and compiled once per database with a marker standing in for each argument; each call then
// runs the same SQL (a prepared statement: sqlite/statements.ts, postgres/prepared.ts) with the
// arguments in the markers' places.
//
// Only for queries whose shape does not depend on their arguments: each argument must reach the SQL
// as one plain bound value (not a list spread into `in (…)`, not transformed on the way). A build
// that uses an argument any other way is refused the first time it runs.
import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';

const MARK = '\u0000updraft-memo-argument-';

interface Template {
  compiled: CompiledQuery;
  /** For each bound parameter: the argument it takes, or -1 for a constant of the query. */
  slots: number[];
}

function template(compiled: CompiledQuery, args: number): Template {
  const slots = compiled.parameters.map((p) => (typeof p === 'string' && p.startsWith(MARK) ? Number(p.slice(MARK.length)) : -1));
  for (let i = 0; i < args; i++) {
    if (slots.filter((s) => s === i).length !== 1) throw new Error(`memoQuery: argument ${i} is not bound exactly once as a plain value in: ${compiled.sql}`);
  }
  return { compiled, slots };
}

/**
 * A query built once per database (and dialect) and run with new arguments each call. `build` takes
 * the database and the arguments; it must bind each argument once, as is.
 */
export function memoQuery<DB, A extends unknown[], R>(build: (db: Kysely<DB>, ...args: A) => Compilable<R>): (db: Kysely<DB>, ...args: A) => Promise<QueryResult<R>> {
  // per adapter: a database and its transactions share one; another database (or dialect) has its own
  const templates = new WeakMap<object, Template>();
  return (db, ...args) => {
    const executor = db.getExecutor();
    if (executor.plugins.length > 0) return db.executeQuery(build(db, ...args)); // plugins may rewrite per query
    let t = templates.get(executor.adapter);
    if (!t) {
      const marks = args.map((_, i) => `${MARK}${i}`) as unknown as A;
      t = template(build(db, ...marks).compile(), args.length);
      templates.set(executor.adapter, t);
    }
    const { compiled, slots } = t;
    const parameters = compiled.parameters.map((p, i) => (slots[i]! >= 0 ? args[slots[i]!] : p));
    return db.executeQuery<R>({ ...compiled, parameters } as CompiledQuery<R>);
  };
}

/**
 * A memo query's SQL for a raw connection (SQLite's better-sqlite3: sqlite/checkin.ts), so a
 * backend's own path runs the statement the shared builder makes instead of a copy of it: compiled
 * once with `db`'s dialect, with the function that puts a call's arguments in the parameters' order.
 */
export function compiledOnce<DB, A extends unknown[]>(db: Kysely<DB>, build: (db: Kysely<DB>, ...args: A) => Compilable<unknown>, args: number): { sql: string; parameters: (...args: A) => unknown[] } {
  const marks = Array.from({ length: args }, (_, i) => `${MARK}${i}`) as unknown as A;
  const { compiled, slots } = template(build(db, ...marks).compile(), args);
  return { sql: compiled.sql, parameters: (...a) => compiled.parameters.map((p, i) => (slots[i]! >= 0 ? a[slots[i]!] : p)) };
}

/** The first row of a memo query's result, or undefined. */
export const first = <R>(r: QueryResult<R>): R | undefined => r.rows[0];
