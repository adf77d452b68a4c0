// A command-channel report in one transaction, over Kysely: the portable implementation. SQLite
// runs the same steps on prepared statements (sqlite/hot.ts) and falls back to this one while a
// Kysely transaction holds the connection; PostgreSQL runs them as one statement (postgres/hot.ts).
// Steps, in order: the result onto its queue row, its event, the outbox rows, lastSeenAt, then
// expiry and the pick of the next command (which gets sentAt).
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { CommandResultInput, CommandStore, NextCommand, ReportInput } from './types.js';
import type { Database } from './schema.js';
import { finalStatus } from './commands.js';
import type { Ctx } from './context.js';

/** The event a result writes: its kind, and its detail as stored (JSON text) for either outcome. */
export function resultEvent(r: CommandResultInput, matched: boolean): { kind: string; detail: string } {
  return { kind: `command.${r.status}`, detail: JSON.stringify({ uuid: r.uuid, requestType: r.requestType ?? null, matched }) };
}

/** The parsed result as stored on the queue row (JSON text). */
export function resultJson(r: CommandResultInput): string {
  return JSON.stringify(r.json ?? null);
}

/** Whether this report alone says NotNow'd commands are skipped (asked to, or it is a NotNow). */
const notNowSession = (input: ReportInput): boolean => input.skipNotNow || input.result?.status === 'NotNow';

/**
 * The session's NotNow mark (table notnow_sessions): an Idle (no result) starts a new session and
 * clears it, a NotNow sets it, and any other result reads it. Returns whether it is set.
 */
async function inNotNowSession(trx: Kysely<Database>, id: string, input: ReportInput): Promise<boolean> {
  const now = input.at.getTime();
  if (!input.result) {
    await sql`DELETE FROM notnow_sessions WHERE enrollment_id = ${id}`.execute(trx);
    return false;
  }
  if (input.result.status === 'NotNow') {
    await sql`INSERT INTO notnow_sessions (enrollment_id, at) VALUES (${id}, ${now}) ON CONFLICT (enrollment_id) DO NOTHING`.execute(trx);
    return true;
  }
  return hasNotNowSession(trx, id);
}

/** Whether the enrollment's session has a NotNow mark (read, never changed). */
async function hasNotNowSession(trx: Kysely<Database>, id: string): Promise<boolean> {
  const { rows } = await sql`SELECT 1 AS one FROM notnow_sessions WHERE enrollment_id = ${id}`.execute(trx);
  return rows.length > 0;
}

async function report(trx: Kysely<Database>, input: ReportInput) {
  const now = input.at.getTime();
  const id = input.enrollmentId;
  const r = input.result;
  let matched: boolean | null = null;
  let requestType: string | null = null;
  if (r) {
    const row = trx
      .updateTable('queue')
      .where('enrollment_id', '=', id)
      .where(sql<string>`lower(${sql.ref('command_uuid')})`, '=', r.uuid.toLowerCase())
      .where('status', '=', 'queued');
    const updated =
      r.status === 'NotNow'
        ? row.set((eb) => ({
            not_now_tally: eb(eb.ref('not_now_tally'), '+', 1),
            not_now_at: eb.fn.coalesce('not_now_at', eb.val(now)),
            updated_at: now,
          }))
        : row.set({ status: finalStatus[r.status], result_raw: r.raw, result_json: resultJson(r), result_at: now, updated_at: now });
    // The matched command's RequestType (devices do not echo it) comes back with the update.
    const res = await updated
      .returning((eb) => eb.selectFrom('commands').select('request_type').whereRef('commands.uuid', '=', 'queue.command_uuid').as('request_type'))
      .executeTakeFirst();
    matched = res !== undefined;
    requestType = res?.request_type ?? null;
    const ev = resultEvent(r, matched);
    await trx.insertInto('events').values({ enrollment_id: id, kind: ev.kind, detail: ev.detail, at: now }).execute();
  }
  if (input.outbox && input.outbox.length > 0) {
    await trx
      .insertInto('outbox')
      .values(input.outbox.map((o) => ({ topic: o.topic, body: o.body, attempts: 0, next_attempt_at: now, created_at: now })))
      .execute();
  }
  if (input.touch) await trx.updateTable('enrollments').set({ last_seen_at: now }).where('id', '=', id).execute();
  await expire(trx, id, now);
  const session = await inNotNowSession(trx, id, input);
  const next = await pick(trx, id, now, session || notNowSession(input));
  return { matched, requestType, next };
}

/** Mark the enrollment's expired queued commands 'expired'. */
async function expire(trx: Kysely<Database>, id: string, now: number): Promise<void> {
  await trx
    .updateTable('queue')
    .set({ status: 'expired', updated_at: now })
    .where('enrollment_id', '=', id)
    .where('status', '=', 'queued')
    .where('expires_at', '<=', now)
    .execute();
}

/** The next queued command (by priority then FIFO, NotNow'd ones passed over with `skipNotNow`), given sentAt. */
async function pick(trx: Kysely<Database>, id: string, now: number, skipNotNow: boolean): Promise<NextCommand | null> {
  let q = trx
    .selectFrom('queue')
    .innerJoin('commands', 'commands.uuid', 'queue.command_uuid')
    .select(['queue.seq', 'commands.uuid', 'commands.request_type', 'commands.raw'])
    .where('queue.enrollment_id', '=', id)
    .where('queue.status', '=', 'queued');
  if (skipNotNow) q = q.where('queue.not_now_at', 'is', null);
  const next = await q.orderBy('queue.priority', 'desc').orderBy('queue.seq').limit(1).executeTakeFirst();
  if (!next) return null;
  await trx.updateTable('queue').set({ sent_at: now }).where('seq', '=', next.seq).execute();
  return { uuid: next.uuid, requestType: next.request_type, raw: next.raw };
}

export function reportStore({ db }: Ctx): Pick<CommandStore, 'reportAndNext' | 'nextCommand'> {
  return {
    reportAndNext: (input) => db.transaction().execute((trx) => report(trx, input)),
    nextCommand: (id, at) => db.transaction().execute(async (trx) => {
      const now = at.getTime();
      await expire(trx, id, now);
      return pick(trx, id, now, await hasNotNowSession(trx, id));
    }),
  };
}
