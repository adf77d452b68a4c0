// PostgreSQL hot paths as named prepared statements on the pool (parsed and planned once per
// connection, no query building): touch, nextCommand, recordResult and addEvent, the statements
// of every check-in and command round trip. nextCommand is one round trip: expiring stale rows,
// picking the next command and stamping sent_at run as one statement (data-modifying CTEs share
// one snapshot, so the pick filters on expiry itself rather than seeing the expiring update).
import type pg from 'pg';
import type { CommandStore, EnrollmentStore, EventStore, NextCommand } from '../types.js';
import { finalStatus } from '../commands.js';

type Hot = Pick<EnrollmentStore, 'touch'> & Pick<CommandStore, 'nextCommand' | 'recordResult'> & Pick<EventStore, 'addEvent'>;

const nextSql = (skipNotNow: boolean) => `
  WITH expired AS (
    UPDATE queue SET status = 'expired', updated_at = $2
    WHERE enrollment_id = $1 AND status = 'queued' AND expires_at <= $2
  ), next AS (
    SELECT seq FROM queue
    WHERE enrollment_id = $1 AND status = 'queued' AND (expires_at IS NULL OR expires_at > $2)
      ${skipNotNow ? 'AND not_now_at IS NULL' : ''}
    ORDER BY priority DESC, seq LIMIT 1
  )
  UPDATE queue q SET sent_at = $2
  FROM next, commands c
  WHERE q.seq = next.seq AND c.uuid = q.command_uuid
  RETURNING c.uuid, c.request_type AS "requestType", c.raw`;

const statements = {
  touch: 'UPDATE enrollments SET last_seen_at = $2 WHERE id = $1',
  next: nextSql(false),
  nextSkipping: nextSql(true),
  notNow: `UPDATE queue SET not_now_tally = not_now_tally + 1, not_now_at = coalesce(not_now_at, $3), updated_at = $3
    WHERE enrollment_id = $1 AND lower(command_uuid) = $2 AND status = 'queued'`,
  finish: `UPDATE queue SET status = $3, result_raw = $4, result_json = $5, result_at = $6, updated_at = $6
    WHERE enrollment_id = $1 AND lower(command_uuid) = $2 AND status = 'queued'`,
  addEvent: 'INSERT INTO events (enrollment_id, kind, detail, at) VALUES ($1, $2, $3, $4)',
} as const;

export function postgresHotPath(pool: pg.Pool): Hot {
  const run = <R extends pg.QueryResultRow = pg.QueryResultRow>(name: keyof typeof statements, values: unknown[]) =>
    pool.query<R>({ name: `updraft_${name}`, text: statements[name], values });

  return {
    async touch(id, at) {
      await run('touch', [id, at.getTime()]);
    },

    async nextCommand(enrollmentId, { skipNotNow, at }) {
      const { rows } = await run<NextCommand>(skipNotNow ? 'nextSkipping' : 'next', [enrollmentId, at.getTime()]);
      return rows[0] ?? null;
    },

    async recordResult(input) {
      const at = input.at.getTime();
      const uuid = input.uuid.toLowerCase();
      const res =
        input.status === 'NotNow'
          ? await run('notNow', [input.enrollmentId, uuid, at])
          : await run('finish', [input.enrollmentId, uuid, finalStatus[input.status], input.raw, JSON.stringify(input.json ?? null), at]);
      return (res.rowCount ?? 0) > 0;
    },

    async addEvent(event) {
      const detail = event.detail === undefined ? null : JSON.stringify(event.detail);
      await run('addEvent', [event.enrollmentId, event.kind, detail, event.at.getTime()]);
    },
  };
}
