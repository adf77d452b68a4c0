// Push state: the APNs certificate, who can be pushed, and a log of every push attempt.
import type { PushLogInput, PushStore, PushTarget } from './types.js';
import type { Kysely } from 'kysely';
import { chunks, oneOf, toDate, type Ctx } from './context.js';
import { eventRow } from './events.js';
import type { Database } from './schema.js';
import { first, memoQuery } from './memo.js';

// Read before every push (memo.ts: built once).
const newestPushCert = memoQuery((db: Kysely<Database>) => db.selectFrom('push_certs').selectAll().orderBy('updated_at', 'desc').limit(1));

/** A push attempt as its row. */
export const pushLogRow = (e: PushLogInput) => ({
  enrollment_id: e.enrollmentId,
  outcome: e.outcome,
  http_status: e.httpStatus,
  apns_id: e.apnsId,
  at: e.at.getTime(),
});

export function pushStore({ db, dialect }: Ctx): PushStore {
  return {
    async savePushCert(cert, at) {
      const row = {
        cert_pem: cert.certPem,
        key_pem: cert.keyPem,
        not_after: cert.notAfter.getTime(),
        updated_at: at.getTime(),
      };
      await db
        .insertInto('push_certs')
        .values({ topic: cert.topic, ...row })
        .onConflict((oc) => oc.column('topic').doUpdateSet(row))
        .execute();
    },

    /** The most recently saved certificate. */
    async getPushCert() {
      const r = first(await newestPushCert(db));
      return r
        ? { topic: r.topic, certPem: r.cert_pem, keyPem: r.key_pem, notAfter: toDate(r.not_after), updatedAt: toDate(r.updated_at) }
        : null;
    },

    async pushTargets(ids) {
      const rows = await db
        .selectFrom('enrollments')
        .select(['id', 'topic', 'push_token', 'push_magic'])
        .where(oneOf(dialect, 'id', [...new Set(ids)]))
        .where('enabled', '=', 1)
        .where('push_invalid_at', 'is', null)
        .execute();
      const out: PushTarget[] = [];
      for (const r of rows) {
        if (r.topic && r.push_token && r.push_magic) {
          out.push({ id: r.id, topic: r.topic, pushToken: r.push_token, pushMagic: r.push_magic });
        }
      }
      return out;
    },

    async recordPush(entry) {
      await db.insertInto('push_log').values(pushLogRow(entry)).execute();
    },

    async recordPushes(entries, events = []) {
      // Multi-row inserts of 500 rows (under both databases' parameter limits), all in one transaction.
      const writes = [
        ...chunks(entries.map(pushLogRow)).map((part) => (d: Kysely<Database>) => d.insertInto('push_log').values(part).execute()),
        ...chunks(events.map(eventRow)).map((part) => (d: Kysely<Database>) => d.insertInto('events').values(part).execute()),
      ];
      if (writes.length <= 1) return void (await writes[0]?.(db));
      await db.transaction().execute(async (trx) => {
        for (const write of writes) await write(trx);
      });
    },

    async listPushes(enrollmentId, limit = 50) {
      const rows = await db
        .selectFrom('push_log')
        .selectAll()
        .where('enrollment_id', '=', enrollmentId)
        .orderBy('id', 'desc')
        .limit(Math.min(Math.max(limit, 1), 1000))
        .execute();
      return rows.map((r) => ({
        id: r.id,
        enrollmentId: r.enrollment_id,
        outcome: r.outcome,
        httpStatus: r.http_status,
        apnsId: r.apns_id,
        at: toDate(r.at),
      }));
    },

    async markPushInvalid(id, at) {
      await db
        .updateTable('enrollments')
        .set({ push_invalid_at: at.getTime(), updated_at: at.getTime() })
        .where('id', '=', id)
        .execute();
    },
  };
}
