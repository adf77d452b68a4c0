// Named prepared statements for the queries Kysely sends to PostgreSQL. Kysely's pg driver sends
// every query unnamed, so the backend parses and plans the same SQL text again each time. On every
// pooled connection, a query with parameters and short SQL (long SQL is bulk writes whose parse is
// amortised over their rows; a WITH statement may be longer) runs as a named statement instead: the name is a hash of the text, so
// the same text gets the same name on every connection, parsed once per connection. Bounded per
// connection (least recently used first: DEALLOCATEd when a new text needs the room).
//
// A schema change (a migration run by another node) can invalidate a cached statement: the backend
// answers 0A000 "cached plan must not change result type" (or 26000 when the statement is gone). The
// query is then run once more unnamed and the name forgotten on that connection, so the next use
// prepares it afresh. Inside a transaction the first error has aborted it: that error is thrown.
import { createHash } from 'node:crypto';
import type pg from 'pg';

/** Named statements kept per connection (LRU). */
export const PREPARED_PER_CONNECTION = 200;
/** SQL longer than this runs unnamed… */
export const PREPARED_MAX_SQL = 2048;
/**
 * …but for a WITH statement up to this: one statement of several writes (Authenticate's, 2.4 KB with
 * a device's inventory) is one fixed shape, and its parse and plan are most of its backend CPU
 * (0.3 ms named against 0.8–1.1 unnamed). Bulk writes (multi-row VALUES) start with INSERT.
 */
export const PREPARED_MAX_WITH_SQL = 4096;

/** "prepared statement already exists": the backend kept a name the client had given up on. */
const EXISTS = '42P05';
/** "current transaction is aborted": the retry of a failed statement inside a transaction. */
const ABORTED = '25P02';

type Query = (text: unknown, values?: unknown, cb?: unknown) => unknown;
interface PgInternals {
  connection: { parsedStatements: Record<string, string> };
  getTransactionStatus?: () => string | null;
}

/** The name of a statement text: the same on every connection and process. */
export function statementName(text: string): string {
  return 'k_' + createHash('sha1').update(text).digest('hex').slice(0, 32);
}

const code = (err: unknown) => (err as { code?: string } | null)?.code;

/**
 * Make `client` run short parameterised SQL as named prepared statements, at most `max` per
 * connection. Returns the number of names currently kept (for tests).
 */
export function prepareStatements(client: pg.ClientBase, max = PREPARED_PER_CONNECTION): () => number {
  const raw = client.query.bind(client) as Query;
  const internals = client as unknown as PgInternals;
  const kept = new Map<string, string>(); // text -> name, least recently used first

  // pg parses a name again only once it is gone from its `parsedStatements`: removed when the
  // backend has dropped it. A DEALLOCATE refused (an aborted transaction) leaves both as they were.
  const deallocate = (name: string) =>
    void (raw(`DEALLOCATE ${name}`) as Promise<unknown>).then(
      () => void delete internals.connection.parsedStatements[name],
      () => undefined,
    );

  const evictOldest = () => {
    const [text, name] = kept.entries().next().value!;
    kept.delete(text);
    deallocate(name);
  };

  const named = async (text: string, values: unknown[]) => {
    let name = kept.get(text);
    if (name !== undefined) {
      kept.delete(text);
      kept.set(text, name);
    } else {
      if (kept.size >= max) {
        // A failed transaction refuses DEALLOCATE: run this one unnamed.
        if (internals.getTransactionStatus?.() === 'E') return raw(text, values);
        evictOldest();
      }
      name = statementName(text);
      kept.set(text, name);
    }
    try {
      return await raw({ name, text, values });
    } catch (err) {
      const c = code(err);
      if (c === EXISTS) {
        // Same name, same text (the name is its hash): the backend's statement is usable as is.
        internals.connection.parsedStatements[name] = text;
      } else if (c === '26000') {
        kept.delete(text);
        delete internals.connection.parsedStatements[name];
      } else if (c === '0A000') {
        kept.delete(text);
        deallocate(name);
      } else {
        throw err;
      }
      try {
        return await raw(text, values);
      } catch (retryErr) {
        throw code(retryErr) === ABORTED ? err : retryErr;
      }
    }
  };

  client.query = function query(text: unknown, values?: unknown, cb?: unknown) {
    if (
      typeof text === 'string' &&
      Array.isArray(values) &&
      values.length > 0 &&
      cb === undefined &&
      (text.length <= PREPARED_MAX_SQL || (text.length <= PREPARED_MAX_WITH_SQL && /^with\s/i.test(text)))
    ) {
      return named(text, values);
    }
    return raw(text, values, cb);
  } as typeof client.query;
  return () => kept.size;
}
