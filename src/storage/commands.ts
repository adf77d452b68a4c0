// The command queue: a command is stored once and queued per enrollment; results land on the
// queue row. Order is priority (higher first) then enqueue order (the seq column). Results and the
// next command of a report are in report.ts.
import { sql, type Kysely, type Selectable } from 'kysely';
import type { CommandDetail, CommandStore, EnqueueOutcome, QueueEntry, QueueStatus, ResultStatus } from './types.js';
import type { Database, QueueTable } from './schema.js';
import { chunks, inList, listParam, toDate, type Ctx } from './context.js';
import { first, memoQuery } from './memo.js';

/** The queue status each final result status moves a command to (NotNow keeps it queued). */
export const finalStatus: Record<Exclude<ResultStatus, 'NotNow'>, QueueStatus> = {
  Acknowledged: 'acknowledged',
  Error: 'error',
  CommandFormatError: 'format_error',
};

type QueueRow = Selectable<QueueTable> & { request_type: string };

function toEntry(r: QueueRow): QueueEntry {
  return {
    enrollmentId: r.enrollment_id,
    uuid: r.command_uuid,
    requestType: r.request_type,
    priority: r.priority,
    status: r.status as QueueStatus,
    notNowTally: r.not_now_tally,
    notNowAt: toDate(r.not_now_at),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
    expiresAt: toDate(r.expires_at),
    sentAt: toDate(r.sent_at),
    resultAt: toDate(r.result_at),
  };
}

// An enqueue's statements, built once (memo.ts): a device's own commands (inventory queries, DDM)
// are queued one enrollment at a time while it enrolls.
const insertCommand = memoQuery((db: Kysely<Database>, uuid: string, requestType: string, raw: Buffer, at: number) =>
  db.insertInto('commands').values({ uuid, request_type: requestType, raw, created_at: at }).onConflict((oc) => oc.doNothing()).returning('uuid'));
const queueOne = memoQuery((db: Kysely<Database>, id: string, uuid: string, priority: number, expiresAt: number | null, at: number, at2: number) =>
  db.insertInto('queue').values({ enrollment_id: id, command_uuid: uuid, priority, status: 'queued', not_now_tally: 0, expires_at: expiresAt, created_at: at, updated_at: at2 }));

export function commandStore({ db, dialect }: Ctx): Omit<CommandStore, 'reportAndNext' | 'nextCommand'> {
  const knownOf = memoQuery((d: Kysely<Database>, ids: string | string[]) => d.selectFrom('enrollments').select('id').where(inList(dialect, 'id', ids)));
  const lowerUuid = sql<string>`lower(${sql.ref('command_uuid')})`;
  const queueWithType = () =>
    db.selectFrom('queue').innerJoin('commands', 'commands.uuid', 'queue.command_uuid');

  return {
    async enqueue(command, enrollmentIds) {
      const ids = [...new Set(enrollmentIds)];
      const at = command.at.getTime();
      return db.transaction().execute(async (trx) => {
        const { rows } = await knownOf(trx, listParam(dialect, ids));
        const found = new Set(rows.map((r) => r.id));
        const fail = (error: string) => (id: string): EnqueueOutcome =>
          found.has(id) ? { id, ok: false, error } : { id, ok: false, error: 'unknown enrollment' };
        if (found.size === 0) return ids.map(fail('unknown enrollment'));
        const inserted = first(await insertCommand(trx, command.uuid, command.requestType, command.raw, at));
        if (!inserted) return ids.map(fail('command UUID already exists'));
        const expiresAt = command.expiresAt ? command.expiresAt.getTime() : null;
        if (found.size === 1) await queueOne(trx, [...found][0]!, command.uuid, command.priority ?? 0, expiresAt, at, at);
        else {
          const queued = [...found].map((id) => ({
            enrollment_id: id,
            command_uuid: command.uuid,
            priority: command.priority ?? 0,
            status: 'queued',
            not_now_tally: 0,
            expires_at: expiresAt,
            created_at: at,
            updated_at: at,
          }));
          for (const part of chunks(queued, 200)) await trx.insertInto('queue').values(part).execute();
        }
        return ids.map((id) => (found.has(id) ? { id, ok: true } : fail('unknown enrollment')(id)));
      });
    },

    async getCommand(uuid, enrollmentId) {
      let q = db
        .selectFrom('queue')
        .innerJoin('commands', 'commands.uuid', 'queue.command_uuid')
        .selectAll('queue')
        .select(['commands.request_type', 'commands.raw'])
        .where(sql<string>`lower(${sql.ref('queue.command_uuid')})`, '=', uuid.toLowerCase());
      if (enrollmentId !== undefined) q = q.where('queue.enrollment_id', '=', enrollmentId);
      const rows = await q.orderBy('queue.seq').execute();
      return rows.map(
        (r): CommandDetail => ({
          ...toEntry(r),
          raw: r.raw,
          resultRaw: r.result_raw,
          resultJson: r.result_json === null ? null : (JSON.parse(r.result_json) as unknown),
        }),
      );
    },

    async listQueue(enrollmentId, opts = {}) {
      let q = queueWithType()
        .selectAll('queue')
        .select('commands.request_type')
        .where('queue.enrollment_id', '=', enrollmentId);
      // Pending commands in delivery order; with history, newest first.
      q = opts.includeDone
        ? q.orderBy('queue.seq', 'desc')
        : q.where('queue.status', '=', 'queued').orderBy('queue.priority', 'desc').orderBy('queue.seq');
      const rows = await q.limit(Math.min(Math.max(opts.limit ?? 100, 1), 1000)).execute();
      return rows.map(toEntry);
    },

    async cancelCommand(enrollmentId, uuid, at) {
      const res = await db
        .updateTable('queue')
        .set({ status: 'cancelled', updated_at: at.getTime() })
        .where('enrollment_id', '=', enrollmentId)
        .where(lowerUuid, '=', uuid.toLowerCase())
        .where('status', '=', 'queued')
        .executeTakeFirst();
      return res.numUpdatedRows > 0n;
    },

    async clearQueue(enrollmentId, at) {
      const res = await db
        .updateTable('queue')
        .set({ status: 'cancelled', updated_at: at.getTime() })
        .where('enrollment_id', '=', enrollmentId)
        .where('status', '=', 'queued')
        .executeTakeFirst();
      return Number(res.numUpdatedRows);
    },

    async pendingEnrollments(sentBefore, limit, after) {
      const before = sentBefore.getTime();
      let q = db
        .selectFrom('queue')
        .innerJoin('enrollments', 'enrollments.id', 'queue.enrollment_id')
        .select('queue.enrollment_id')
        .distinct()
        .where('queue.status', '=', 'queued')
        .where('enrollments.enabled', '=', 1)
        .where('enrollments.push_invalid_at', 'is', null) // a dead token waits for its TokenUpdate
        // Queued and not handed out since `sentBefore`; a command never handed out counts once it is as
        // old (until then its enqueue's own push, maybe in flight on another node, is what wakes the device).
        .where((eb) => eb.or([eb.and([eb('queue.sent_at', 'is', null), eb('queue.created_at', '<', before)]), eb('queue.sent_at', '<', before)]));
      if (after !== undefined) q = q.where('queue.enrollment_id', '>', after);
      const rows = await q.orderBy('queue.enrollment_id').limit(limit).execute();
      return rows.map((r) => r.enrollment_id);
    },

    async pruneHistory(before) {
      const cutoff = before.getTime();
      return db.transaction().execute(async (trx) => {
        const finished = await trx
          .deleteFrom('queue')
          .where('status', '!=', 'queued')
          .where('updated_at', '<', cutoff)
          .executeTakeFirst();
        await trx
          .deleteFrom('commands')
          .where('created_at', '<', cutoff)
          .where(({ not, exists, selectFrom }) =>
            not(exists(selectFrom('queue').select('queue.seq').whereRef('queue.command_uuid', '=', 'commands.uuid'))),
          )
          .execute();
        const events = await trx.deleteFrom('events').where('at', '<', cutoff).executeTakeFirst();
        await trx.deleteFrom('outbox').where('done_at', '<', cutoff).execute();
        await trx.deleteFrom('push_log').where('at', '<', cutoff).execute();
        await trx.deleteFrom('challenges').where('expires_at', '<', cutoff).execute();
        return { commands: Number(finished.numDeletedRows), events: Number(events.numDeletedRows) };
      });
    },
  };
}
