// PostgreSQL hot path: nextCommand in one round trip. Expiring stale rows, picking the next
// command and stamping sent_at run as one statement (data-modifying CTEs share one snapshot, so
// the pick filters on expiry itself rather than seeing the expiring update).
import { sql, type Kysely } from 'kysely';
import type { CommandStore, NextCommand } from '../types.js';
import type { Database } from '../schema.js';

export function postgresHotPath(db: Kysely<Database>): Pick<CommandStore, 'nextCommand'> {
  return {
    async nextCommand(enrollmentId, { skipNotNow, at }) {
      const now = at.getTime();
      const { rows } = await sql<NextCommand>`
        WITH expired AS (
          UPDATE queue SET status = 'expired', updated_at = ${now}
          WHERE enrollment_id = ${enrollmentId} AND status = 'queued' AND expires_at <= ${now}
        ), next AS (
          SELECT seq FROM queue
          WHERE enrollment_id = ${enrollmentId} AND status = 'queued'
            AND (expires_at IS NULL OR expires_at > ${now})
            ${skipNotNow ? sql`AND not_now_at IS NULL` : sql``}
          ORDER BY priority DESC, seq LIMIT 1
        )
        UPDATE queue q SET sent_at = ${now}
        FROM next, commands c
        WHERE q.seq = next.seq AND c.uuid = q.command_uuid
        RETURNING c.uuid, c.request_type AS "requestType", c.raw`.execute(db);
      return rows[0] ?? null;
    },
  };
}
