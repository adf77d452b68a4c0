// PostgreSQL hot paths as named prepared statements on the pool (parsed and planned once per
// connection, no query building): a whole command-channel report as ONE statement, so one round
// trip and one commit, an enqueue as one statement too (not BEGIN, three statements and COMMIT), and
// addEvent for check-ins, and a push batch's log rows and events (recordPushes) as one statement of arrays.
//
// The report statement is a chain of data-modifying CTEs. They all run on one snapshot and cannot
// see each other's changes, and no row may be updated twice, so: the row that gets the result is
// left out of the expiry update and of the pick (it is no longer, or no longer eligibly, queued
// once the statement ends), and a NotNow on a command past its expiry expires it in the same update,
// as the step-by-step order of report.ts does. One statement text per shape (Idle / NotNow / final
// result, skipNotNow, touch, outbox), each named and prepared once per connection.
import type pg from 'pg';
import type { CommandStore, EnqueueOutcome, EventStore, NewCommand, NextCommand, PushStore, ReportInput } from '../types.js';
import { finalStatus } from '../commands.js';
import { resultEvent, resultJson } from '../report.js';
import { eventRow } from '../events.js';
import { pushLogRow } from '../push.js';

type Hot = Pick<CommandStore, 'reportAndNext' | 'enqueue'> & Pick<EventStore, 'addEvent'> & Pick<PushStore, 'recordPushes'>;
type Kind = 'idle' | 'notnow' | 'final';

/**
 * An enqueue as commands.ts runs it, in one statement: the known enrollments, the command (only if
 * one is known; a UUID already stored inserts nothing) and its queue rows for them. Parameters: $1
 * enrollment ids, $2 uuid, $3 request type, $4 plist, $5 time, $6 priority, $7 expiry.
 */
export const ENQUEUE = `WITH e AS (SELECT id FROM enrollments WHERE id = ANY($1::text[])),
  c AS (INSERT INTO commands (uuid, request_type, raw, created_at)
    SELECT $2::text, $3::text, $4::bytea, $5::bigint WHERE EXISTS (SELECT 1 FROM e)
    ON CONFLICT DO NOTHING RETURNING uuid),
  q AS (INSERT INTO queue (enrollment_id, command_uuid, priority, status, not_now_tally, expires_at, created_at, updated_at)
    SELECT e.id, c.uuid, $6::integer, 'queued', 0, $7::bigint, $5::bigint, $5::bigint FROM e, c)
  SELECT e.id, EXISTS (SELECT 1 FROM c) AS inserted FROM e`;

export interface EnqueueRow {
  id: string;
  inserted: boolean;
}

/** The parameters of ENQUEUE for a command and its (unique) enrollment ids. */
export const enqueueValues = (command: NewCommand, ids: string[]): unknown[] =>
  [ids, command.uuid, command.requestType, command.raw, command.at.getTime(), command.priority ?? 0, command.expiresAt?.getTime() ?? null];

/** ENQUEUE's rows as one outcome per id. */
export function enqueueOutcomes(ids: string[], rows: EnqueueRow[]): EnqueueOutcome[] {
  const known = new Set(rows.map((r) => r.id));
  const duplicate = rows.length > 0 && !rows[0]!.inserted;
  return ids.map((id): EnqueueOutcome =>
    !known.has(id) ? { id, ok: false, error: 'unknown enrollment' } : duplicate ? { id, ok: false, error: 'command UUID already exists' } : { id, ok: true });
}

const ADD_EVENT = 'INSERT INTO events (enrollment_id, kind, detail, at) VALUES ($1, $2, $3, $4)';
/**
 * A push batch's record, one statement whatever its size (so one commit): the push-log rows and the
 * events, each list's columns as arrays inserted in their order (either list may be empty).
 */
const RECORD_PUSHES = `WITH log AS (INSERT INTO push_log (enrollment_id, outcome, http_status, apns_id, at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::bigint[]))
  INSERT INTO events (enrollment_id, kind, detail, at) SELECT * FROM unnest($6::text[], $7::text[], $8::text[], $9::bigint[])`;

/**
 * The report statement of one shape. Parameters: $1 enrollment id, $2 time (ms); with a result
 * $3 lowercased uuid, $4 event kind, $5/$6 event detail if matched/unmatched, and for a final result
 * $7 queue status, $8 result plist, $9 result JSON; the outbox topics and bodies come last as arrays.
 */
export function reportSql(kind: Kind, skipNotNow: boolean, touch: boolean, outbox: boolean): string {
  const ctes: string[] = [];
  const mine = `enrollment_id = $1 AND lower(command_uuid) = $3 AND status = 'queued'`;
  if (kind === 'final') {
    ctes.push(`res AS (UPDATE queue SET status = $7, result_raw = $8, result_json = $9, result_at = $2::bigint, updated_at = $2::bigint
      WHERE ${mine} RETURNING command_uuid)`);
  } else if (kind === 'notnow') {
    ctes.push(`res AS (UPDATE queue SET not_now_tally = not_now_tally + 1, not_now_at = coalesce(not_now_at, $2::bigint), updated_at = $2::bigint,
      status = CASE WHEN expires_at <= $2::bigint THEN 'expired' ELSE status END
      WHERE ${mine} RETURNING command_uuid)`);
  }
  if (kind !== 'idle') {
    ctes.push(`ev AS (INSERT INTO events (enrollment_id, kind, detail, at)
      SELECT $1::text, $4::text, CASE WHEN EXISTS (SELECT 1 FROM res) THEN $5::text ELSE $6::text END, $2::bigint)`);
  }
  const ob = kind === 'final' ? 10 : kind === 'notnow' ? 7 : 3;
  if (outbox) {
    ctes.push(`ob AS (INSERT INTO outbox (topic, body, attempts, next_attempt_at, created_at)
      SELECT t, b, 0, $2::bigint, $2::bigint FROM unnest($${ob}::text[], $${ob + 1}::text[]) AS o(t, b))`);
  }
  if (touch) ctes.push(`touched AS (UPDATE enrollments SET last_seen_at = $2::bigint WHERE id = $1)`);
  // The session's NotNow mark (see report.ts): Idle clears it, NotNow sets it, other results read it.
  if (kind === 'idle') ctes.push(`session AS (DELETE FROM notnow_sessions WHERE enrollment_id = $1)`);
  if (kind === 'notnow') ctes.push(`session AS (INSERT INTO notnow_sessions (enrollment_id, at) VALUES ($1, $2::bigint) ON CONFLICT (enrollment_id) DO NOTHING)`);
  const sessionSkip = kind === 'final' && !skipNotNow ? 'AND (not_now_at IS NULL OR NOT EXISTS (SELECT 1 FROM notnow_sessions WHERE enrollment_id = $1))' : '';
  const notMine = kind === 'idle' ? '' : 'AND lower(command_uuid) <> $3';
  ctes.push(`expired AS (UPDATE queue SET status = 'expired', updated_at = $2::bigint
      WHERE enrollment_id = $1 AND status = 'queued' AND expires_at <= $2::bigint ${notMine})`);
  ctes.push(`pick AS (SELECT seq FROM queue
      WHERE enrollment_id = $1 AND status = 'queued' AND (expires_at IS NULL OR expires_at > $2::bigint) ${notMine}
        ${skipNotNow || kind === 'notnow' ? 'AND not_now_at IS NULL' : sessionSkip}
      ORDER BY priority DESC, seq LIMIT 1)`);
  ctes.push(`sent AS (UPDATE queue q SET sent_at = $2::bigint FROM pick, commands c
      WHERE q.seq = pick.seq AND c.uuid = q.command_uuid
      RETURNING c.uuid, c.request_type, c.raw)`);
  const matched = kind === 'idle' ? 'NULL::boolean' : 'EXISTS (SELECT 1 FROM res)';
  // By the commands' primary key whatever the plan (a join to res could be planned as a hash join
  // over the whole commands table: the generic plan's guess at res's rows).
  const matchedType = kind === 'idle' ? 'NULL::text' : '(SELECT c.request_type FROM commands c WHERE c.uuid = (SELECT command_uuid FROM res))';
  return `WITH ${ctes.join(',\n  ')}
  SELECT ${matched} AS matched, ${matchedType} AS "matchedType", sent.uuid, sent.request_type AS "requestType", sent.raw
  FROM (SELECT 1) AS one LEFT JOIN sent ON true`;
}

interface Row extends Partial<NextCommand> {
  matched: boolean | null;
  matchedType: string | null;
}

/** The pool, or one of its connections (the start-up warm-up, warm.ts, runs these on each). */
export function postgresHotPath(pool: pg.Pool | pg.ClientBase): Hot {
  const texts = new Map<string, string>();
  return {
    async reportAndNext(input: ReportInput) {
      const r = input.result;
      const kind: Kind = !r ? 'idle' : r.status === 'NotNow' ? 'notnow' : 'final';
      const outbox = (input.outbox?.length ?? 0) > 0;
      const skip = input.skipNotNow && kind !== 'notnow';
      const values: unknown[] = [input.enrollmentId, input.at.getTime()];
      if (r) {
        const yes = resultEvent(r, true);
        values.push(r.uuid.toLowerCase(), yes.kind, yes.detail, resultEvent(r, false).detail);
        if (r.status !== 'NotNow') values.push(finalStatus[r.status], r.raw, resultJson(r));
      }
      if (outbox) values.push(input.outbox!.map((o) => o.topic), input.outbox!.map((o) => o.body));
      const name = `updraft_report_${kind}${skip ? '_skip' : ''}${input.touch ? '_touch' : ''}${outbox ? '_outbox' : ''}`;
      let text = texts.get(name);
      if (text === undefined) texts.set(name, (text = reportSql(kind, skip, input.touch === true, outbox)));
      const { rows } = await pool.query<Row>({ name, text, values });
      const row = rows[0]!;
      const next = row.uuid ? { uuid: row.uuid, requestType: row.requestType!, raw: row.raw! } : null;
      return { matched: row.matched, requestType: row.matchedType, next };
    },

    async enqueue(command, enrollmentIds) {
      const ids = [...new Set(enrollmentIds)];
      const values = enqueueValues(command, ids);
      const { rows } = await pool.query<EnqueueRow>({ name: 'updraft_enqueue', text: ENQUEUE, values });
      return enqueueOutcomes(ids, rows);
    },

    async addEvent(event) {
      const detail = event.detail === undefined ? null : JSON.stringify(event.detail);
      await pool.query({ name: 'updraft_addEvent', text: ADD_EVENT, values: [event.enrollmentId, event.kind, detail, event.at.getTime()] });
    },

    async recordPushes(entries, events = []) {
      if (entries.length === 0 && events.length === 0) return;
      const log = entries.map(pushLogRow);
      const ev = events.map(eventRow);
      const values = [
        log.map((r) => r.enrollment_id), log.map((r) => r.outcome), log.map((r) => r.http_status), log.map((r) => r.apns_id), log.map((r) => r.at),
        ev.map((r) => r.enrollment_id), ev.map((r) => r.kind), ev.map((r) => r.detail), ev.map((r) => r.at),
      ];
      await pool.query({ name: 'updraft_recordPushes', text: RECORD_PUSHES, values });
    },
  };
}
