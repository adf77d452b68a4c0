// SQLite hot paths on cached prepared statements (no query building, no promise hops inside):
// a whole command-channel report (result, event, outbox, lastSeenAt, next command) inside one
// BEGIN IMMEDIATE … COMMIT, addEvent for check-ins, and a push batch's log rows and events
// (recordPushes) in one BEGIN IMMEDIATE … COMMIT. The commit (appending every page it dirtied
// to the WAL) is most of what a report costs, so concurrent reports share one (group commit).
// While a Kysely transaction is open on the shared connection, these defer to the Kysely versions
// (which wait their turn) so a hot-path write never slips into someone else's transaction.
import type Database from 'better-sqlite3';
import type { CommandStore, EventInput, EventStore, NextCommand, PushLogInput, PushStore, ReportInput, ReportOutcome } from '../types.js';
import { finalStatus } from '../commands.js';
import { eventRow } from '../events.js';
import { pushLogRow } from '../push.js';
import { resultEvent, resultJson } from '../report.js';

type Hot = Pick<CommandStore, 'reportAndNext'> & Pick<EventStore, 'addEvent'> & Pick<PushStore, 'recordPushes'>;

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
  // The matched row's command RequestType comes back with the update (a primary-key lookup).
  const matchedType = 'RETURNING (SELECT request_type FROM commands c WHERE c.uuid = queue.command_uuid) AS request_type';
  const notNow = raw.prepare<unknown[], { request_type: string }>(
    `UPDATE queue SET not_now_tally = not_now_tally + 1, not_now_at = coalesce(not_now_at, ?), updated_at = ?
     WHERE enrollment_id = ? AND lower(command_uuid) = ? AND status = 'queued' ${matchedType}`,
  );
  const finish = raw.prepare<unknown[], { request_type: string }>(
    `UPDATE queue SET status = ?, result_raw = ?, result_json = ?, result_at = ?, updated_at = ?
     WHERE enrollment_id = ? AND lower(command_uuid) = ? AND status = 'queued' ${matchedType}`,
  );
  const addEvent = raw.prepare('INSERT INTO events (enrollment_id, kind, detail, at) VALUES (?, ?, ?, ?)');
  // The session's NotNow mark (see report.ts): Idle clears it, NotNow sets it, other results read it.
  const endSession = raw.prepare('DELETE FROM notnow_sessions WHERE enrollment_id = ?');
  const markSession = raw.prepare('INSERT INTO notnow_sessions (enrollment_id, at) VALUES (?, ?) ON CONFLICT (enrollment_id) DO NOTHING');
  const inSession = raw.prepare<[string], { one: number }>('SELECT 1 AS one FROM notnow_sessions WHERE enrollment_id = ?');
  const addOutbox = raw.prepare('INSERT INTO outbox (topic, body, attempts, next_attempt_at, created_at) VALUES (?, ?, 0, ?, ?)');
  const addPush = raw.prepare('INSERT INTO push_log (enrollment_id, outcome, http_status, apns_id, at) VALUES (?, ?, ?, ?, ?)');
  const recordPushes = raw.transaction((entries: PushLogInput[], events: EventInput[]) => {
    for (const e of entries) {
      const r = pushLogRow(e);
      addPush.run(r.enrollment_id, r.outcome, r.http_status, r.apns_id, r.at);
    }
    for (const e of events) {
      const r = eventRow(e);
      addEvent.run(r.enrollment_id, r.kind, r.detail, r.at);
    }
  });

  function report(input: ReportInput): ReportOutcome {
    const now = input.at.getTime();
    const id = input.enrollmentId;
    const r = input.result;
    let matched: boolean | null = null;
    let requestType: string | null = null;
    if (r) {
      const uuid = r.uuid.toLowerCase();
      const res =
        r.status === 'NotNow'
          ? notNow.get(now, now, id, uuid)
          : finish.get(finalStatus[r.status], r.raw, resultJson(r), now, now, id, uuid);
      matched = res !== undefined;
      requestType = res?.request_type ?? null;
      const ev = resultEvent(r, matched);
      addEvent.run(id, ev.kind, ev.detail, now);
    }
    for (const o of input.outbox ?? []) addOutbox.run(o.topic, o.body, now, now);
    if (input.touch) touch.run(now, id);
    expire.run(now, id, now);
    let session = false;
    if (!r) endSession.run(id);
    else if (r.status === 'NotNow') (markSession.run(id, now), (session = true));
    else session = inSession.get(id) !== undefined;
    const row = (input.skipNotNow || session ? nextSkipping : next).get(id);
    if (row) markSent.run(now, row.seq);
    const cmd: NextCommand | null = row ? { uuid: row.uuid, requestType: row.request_type, raw: row.raw } : null;
    return { matched, requestType, next: cmd };
  }
  // Group commit: the reports that reach the store in one turn of the event loop share one
  // BEGIN IMMEDIATE … COMMIT, each in its own savepoint (a failing report rolls back and rejects
  // alone). Concurrent devices write the same hot pages (the newest events, the finished-queue
  // index), so a shared commit appends them to the WAL once instead of once per report. Every
  // promise settles only after the COMMIT, so nothing is answered before it is durable.
  type Pending = { input: ReportInput; resolve: (o: ReportOutcome) => void; reject: (e: unknown) => void };
  type Settled = { ok: ReportOutcome } | { err: unknown };
  const one = raw.transaction(report); // nested in the batch: a SAVEPOINT
  const batch = raw.transaction((items: Pending[]): Settled[] =>
    // Alone in its commit, a report needs no savepoint: its failure rolls the whole transaction back.
    items.length === 1 ? [{ ok: report(items[0]!.input) }] : items.map((it) => {
      try {
        return { ok: one(it.input) };
      } catch (err) {
        // SQLite rolled the whole batch back by itself (a full disk, an I/O error): every report in
        // it failed with this error, none is committed alone.
        if (!raw.inTransaction) throw err;
        return { err };
      }
    }),
  );
  let pending: Pending[] = [];
  function flush(): void {
    const items = pending;
    pending = [];
    if (raw.inTransaction) {
      for (const it of items) fallback.reportAndNext(it.input).then(it.resolve, it.reject);
      return;
    }
    let settled: Settled[];
    try {
      settled = batch.immediate(items);
    } catch (err) {
      for (const it of items) it.reject(err);
      return;
    }
    items.forEach((it, i) => {
      const s = settled[i]!;
      if ('ok' in s) it.resolve(s.ok);
      else it.reject(s.err);
    });
  }

  return {
    reportAndNext(input) {
      return new Promise<ReportOutcome>((resolve, reject) => {
        if (pending.push({ input, resolve, reject }) === 1) setImmediate(flush);
      });
    },

    async addEvent(event) {
      if (raw.inTransaction) return fallback.addEvent(event);
      const detail = event.detail === undefined ? null : JSON.stringify(event.detail);
      addEvent.run(event.enrollmentId, event.kind, detail, event.at.getTime());
    },

    async recordPushes(entries, events = []) {
      if (entries.length === 0 && events.length === 0) return;
      if (raw.inTransaction) return fallback.recordPushes(entries, events);
      recordPushes.immediate(entries, events);
    },
  };
}
