// Pool warm-up at start. A new PostgreSQL connection is a new backend process: its start and its
// first statements (empty catalog caches, each named statement parsed, then planned afresh on its
// first five executions before PostgreSQL settles on a generic plan) cost it ~25 ms of CPU, which
// after a restart the first requests paid, once per connection. The server instead opens
// WARM_CONNECTIONS connections before it listens and runs, on each, the statements the requests of
// every device run (the identity check's look-up of its certificate binding, an Idle with and
// without its lastSeenAt refresh, a result) with an enrollment id no device has, RUNS times, inside
// a transaction rolled back: nothing is written, and the connection keeps the parsed statements and their generic
// plans. Half the pool: the requests in flight on a small server plus a background worker's pass
// (after a start, the retention pass held a fifth connection while four requests each took one).
// The pool keeps these connections open (its `min`); connections it opens beyond them under load
// start cold and close after a while idle.
import type pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from '../schema.js';
import type { CommandResultInput } from '../types.js';
import { enrollmentStore } from '../enrollments.js';
import { postgresHotPath } from './hot.js';

/** Connections opened at start and kept open whatever the traffic. */
export const WARM_CONNECTIONS = 5;
/** Executions of each statement: five custom plans, then the generic plan is built and kept. */
const RUNS = 6;

/** Opens `n` pooled connections and warms each; they stay in the pool (a connection that failed is dropped). */
export async function warmPool(pool: pg.Pool, n = WARM_CONNECTIONS): Promise<void> {
  const opened = await Promise.allSettled(Array.from({ length: n }, () => pool.connect()));
  const clients = opened.flatMap((c) => (c.status === 'fulfilled' ? [c.value] : []));
  const warmed = await Promise.allSettled(clients.map(warmConnection));
  clients.forEach((c, i) => c.release(warmed[i]!.status === 'rejected'));
  const failed = [...opened, ...warmed].find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

async function warmConnection(client: pg.PoolClient): Promise<void> {
  // Kysely over this one connection: the memo queries compile to the same text, so the same name.
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: { connect: async () => ({ query: client.query.bind(client), release: () => undefined }), end: async () => undefined } }) });
  const { certBinding } = enrollmentStore({ db, dialect: 'postgres' });
  const { reportAndNext } = postgresHotPath(client);
  const at = new Date(0);
  const enrollmentId = '';
  const result: CommandResultInput = { uuid: '', status: 'Acknowledged', requestType: null, raw: Buffer.alloc(0), json: null };
  await client.query('BEGIN');
  try {
    for (let i = 0; i < RUNS; i++) {
      await certBinding(enrollmentId, '');
      await reportAndNext({ enrollmentId, at, result: null, skipNotNow: false, touch: false });
      await reportAndNext({ enrollmentId, at, result: null, skipNotNow: false, touch: true });
      await reportAndNext({ enrollmentId, at, result, skipNotNow: false });
    }
  } finally {
    await client.query('ROLLBACK');
  }
}
