// The webhook outbox. A claim leases items by moving their next attempt to the lease end, in one
// statement; on PostgreSQL the candidate rows are locked with FOR UPDATE SKIP LOCKED so several
// processes never claim the same item. A claimer that dies simply lets its lease run out.
import type { Selectable } from 'kysely';
import type { OutboxItem, OutboxStore } from './types.js';
import type { OutboxTable } from './schema.js';
import { toDate, type Ctx } from './context.js';

function toItem(r: Selectable<OutboxTable>): OutboxItem {
  return {
    id: r.id,
    topic: r.topic,
    body: r.body,
    attempts: r.attempts,
    nextAttemptAt: toDate(r.next_attempt_at),
    createdAt: toDate(r.created_at),
    lastError: r.last_error,
  };
}

export function outboxStore({ db, dialect }: Ctx): OutboxStore {
  return {
    async outboxAdd(topic, body, at) {
      const now = at.getTime();
      await db
        .insertInto('outbox')
        .values({ topic, body, attempts: 0, next_attempt_at: now, created_at: now })
        .execute();
    },

    /** Claimed items come back with `attempts` counting this delivery (1 on the first). */
    async outboxClaim(at, leaseUntil, limit) {
      let due = db
        .selectFrom('outbox')
        .select('id')
        .where('done_at', 'is', null)
        .where('next_attempt_at', '<=', at.getTime())
        .orderBy('next_attempt_at')
        .orderBy('id')
        .limit(limit);
      if (dialect === 'postgres') due = due.forUpdate().skipLocked();
      const rows = await db
        .updateTable('outbox')
        .set((eb) => ({ next_attempt_at: leaseUntil.getTime(), attempts: eb(eb.ref('attempts'), '+', 1) }))
        .where('id', 'in', due)
        .returningAll()
        .execute();
      return rows.map(toItem).sort((a, b) => a.id - b.id);
    },

    async outboxDone(id, at) {
      await db.updateTable('outbox').set({ done_at: at.getTime() }).where('id', '=', id).execute();
    },

    async outboxRetry(id, nextAttemptAt, error) {
      await db
        .updateTable('outbox')
        .set({ next_attempt_at: nextAttemptAt.getTime(), last_error: error })
        .where('id', '=', id)
        .where('done_at', 'is', null)
        .execute();
    },

    async outboxPending() {
      const row = await db
        .selectFrom('outbox')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('done_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
