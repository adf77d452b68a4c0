// SQLite hot paths on cached prepared statements (no query building, no promise hops inside):
// touch + nextCommand for an Idle poll, recordResult + addEvent + nextCommand for a round trip.
// While a Kysely transaction is open on the shared connection, these defer to the Kysely versions
// (which wait their turn) so a hot-path write never slips into someone else's transaction.
import type Database from 'better-sqlite3';
import type { CommandStore, EnrollmentStore, EventStore, NextCommand } from '../types.js';
import { finalStatus } from '../commands.js';

type Hot = Pick<EnrollmentStore, 'touch'> & Pick<CommandStore, 'nextCommand' | 'recordResult'> & Pick<EventStore, 'addEvent'>;

interface NextRow {
  seq: number;
  uuid: string;
  request_type: string;
  raw: Buffer;
}

export function sqliteHotPath(raw: Database.Database, fallback: Hot): Hot {
  const touch = raw.prepare('UPDATE enrollments SET last_seen_at = ? WHERE id = ?');
  const expire = raw.prepare(
    "UPDATE queue SET status = 'expired', updated_at = ? WHERE enrollment_id = ? AND status = 'queued' AND expires_at <= ?",
  );
  const nextSql = (skipNotNow: boolean) =>
    `SELECT q.seq, c.uuid, c.request_type, c.raw FROM queue q JOIN commands c ON c.uuid = q.command_uuid
     WHERE q.enrollment_id = ? AND q.status = 'queued' ${skipNotNow ? 'AND q.not_now_at IS NULL' : ''}
     ORDER BY q.priority DESC, q.seq LIMIT 1`;
  const next = raw.prepare<[string], NextRow>(nextSql(false));
  const nextSkipping = raw.prepare<[string], NextRow>(nextSql(true));
  const markSent = raw.prepare('UPDATE queue SET sent_at = ? WHERE seq = ?');
  const notNow = raw.prepare(
    `UPDATE queue SET not_now_tally = not_now_tally + 1, not_now_at = coalesce(not_now_at, ?), updated_at = ?
     WHERE enrollment_id = ? AND lower(command_uuid) = ? AND status = 'queued'`,
  );
  const finish = raw.prepare(
    `UPDATE queue SET status = ?, result_raw = ?, result_json = ?, result_at = ?, updated_at = ?
     WHERE enrollment_id = ? AND lower(command_uuid) = ? AND status = 'queued'`,
  );
  const addEvent = raw.prepare('INSERT INTO events (enrollment_id, kind, detail, at) VALUES (?, ?, ?, ?)');

  return {
    async touch(id, at) {
      if (raw.inTransaction) return fallback.touch(id, at);
      touch.run(at.getTime(), id);
    },

    async nextCommand(enrollmentId, opts): Promise<NextCommand | null> {
      if (raw.inTransaction) return fallback.nextCommand(enrollmentId, opts);
      const now = opts.at.getTime();
      expire.run(now, enrollmentId, now);
      const row = (opts.skipNotNow ? nextSkipping : next).get(enrollmentId);
      if (!row) return null;
      markSent.run(now, row.seq);
      return { uuid: row.uuid, requestType: row.request_type, raw: row.raw };
    },

    async recordResult(input) {
      if (raw.inTransaction) return fallback.recordResult(input);
      const at = input.at.getTime();
      const uuid = input.uuid.toLowerCase();
      const res =
        input.status === 'NotNow'
          ? notNow.run(at, at, input.enrollmentId, uuid)
          : finish.run(
              finalStatus[input.status],
              input.raw,
              JSON.stringify(input.json ?? null),
              at,
              at,
              input.enrollmentId,
              uuid,
            );
      return res.changes > 0;
    },

    async addEvent(event) {
      if (raw.inTransaction) return fallback.addEvent(event);
      const detail = event.detail === undefined ? null : JSON.stringify(event.detail);
      addEvent.run(event.enrollmentId, event.kind, detail, event.at.getTime());
    },
  };
}
