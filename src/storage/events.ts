// The event log: what happened to which enrollment, newest first.
import { sql } from 'kysely';
import type { EventInput, EventStore } from './types.js';
import { likePrefix, toDate, type Ctx } from './context.js';

/** An event as its row (also written by other stores inside their own transactions). */
export const eventRow = (event: EventInput) => ({
  enrollment_id: event.enrollmentId,
  kind: event.kind,
  detail: event.detail === undefined ? null : JSON.stringify(event.detail),
  at: event.at.getTime(),
});

export function eventStore({ db }: Ctx): EventStore {
  return {
    async addEvent(event) {
      await db.insertInto('events').values(eventRow(event)).execute();
    },

    async listEvents(opts) {
      let q = db.selectFrom('events').selectAll();
      if (opts.enrollmentId !== undefined) q = q.where('enrollment_id', '=', opts.enrollmentId);
      if (opts.kindPrefix) q = q.where(sql<boolean>`${sql.ref('kind')} like ${likePrefix(opts.kindPrefix)} escape '\\'`);
      const rows = await q
        .orderBy('id', 'desc')
        .limit(Math.min(Math.max(opts.limit ?? 100, 1), 1000))
        .execute();
      return rows.map((r) => ({
        id: r.id,
        enrollmentId: r.enrollment_id,
        kind: r.kind,
        ...(r.detail === null ? {} : { detail: JSON.parse(r.detail) as unknown }),
        at: toDate(r.at),
      }));
    },
  };
}
