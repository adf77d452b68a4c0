// SQLite versions of an enrollment's combined store steps (PostgreSQL's are single statements,
// postgres/enroll.ts): each is one better-sqlite3 transaction on cached prepared statements, so a
// first TokenUpdate's inventory questions (look-up, enqueues, queried mark) are one commit, as are a
// DDM sync's saved states, superseded commands and new command. A commit appends every page it
// dirtied to the WAL: fewer of them is most of what this saves.
//   - queueInventoryOnce: the request types already queued read, each missing command inserted and
//     queued, the inventory row marked queried if a DeviceInformation was queued;
//   - ddmSyncInputs: which enrollments exist, their effective items and sync states (one read snapshot);
//   - ddmSupersedeAndEnqueue: the states saved, the waiting unsent DeclarativeManagement commands
//     cancelled, then the new command queued (so the cancel never touches it).
// While a Kysely transaction holds the shared connection, these wait for the connection (as Kysely's
// own queries do) rather than slip their statements into that transaction.
import type Database from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { DdmItemRecord, DdmKind, DdmSyncState, EnqueueOutcome, NewCommand, Store } from '../types.js';
import type { Database as Schema } from '../schema.js';

type Enroll = Pick<Store, 'queueInventoryOnce' | 'ddmSyncInputs' | 'ddmSupersedeAndEnqueue'>;

const IN_LIST = 'IN (SELECT value FROM json_each(?))';

interface ItemRow {
  enrollment_id: string;
  identifier: string;
  type: string;
  kind: string;
  server_token: string;
}

/** Runs `work` now, or once the Kysely transaction holding the connection is over (sqlite/checkin.ts too). */
export async function whenFree<T>(raw: Database.Database, db: Kysely<Schema>, work: () => T): Promise<T> {
  if (!raw.inTransaction) return work();
  return db.connection().execute(async () => work());
}

export function sqliteEnrollPath(raw: Database.Database, db: Kysely<Schema>): Enroll {
  const knownOf = raw.prepare<[string], { id: string }>(`SELECT id FROM enrollments WHERE id ${IN_LIST}`);
  const queuedTypes = raw.prepare<[string, string], { request_type: string }>(
    `SELECT DISTINCT c.request_type FROM queue q JOIN commands c ON c.uuid = q.command_uuid
     WHERE q.enrollment_id = ? AND q.status = 'queued' AND c.request_type ${IN_LIST}`,
  );
  const insertCommand = raw.prepare('INSERT INTO commands (uuid, request_type, raw, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
  const queueOne = raw.prepare(
    `INSERT INTO queue (enrollment_id, command_uuid, priority, status, not_now_tally, expires_at, created_at, updated_at)
     VALUES (?, ?, ?, 'queued', 0, ?, ?, ?)`,
  );
  const markQueried = raw.prepare('UPDATE device_inventory SET queried_at = ? WHERE device_id = ?');
  const itemsOf = raw.prepare<[string], ItemRow>(
    `SELECT DISTINCT es.enrollment_id, d.identifier, d.type, d.kind, d.server_token
     FROM ddm_enrollment_sets es JOIN ddm_set_declarations sd ON sd.set_name = es.set_name JOIN ddm_declarations d ON d.identifier = sd.identifier
     WHERE es.enrollment_id ${IN_LIST} ORDER BY es.enrollment_id, d.identifier`,
  );
  const statesOf = raw.prepare<[string], { enrollment_id: string; declarations_token: string; changed_at: number }>(
    `SELECT enrollment_id, declarations_token, changed_at FROM ddm_sync WHERE enrollment_id ${IN_LIST}`,
  );
  const saveState = raw.prepare(
    `INSERT INTO ddm_sync (enrollment_id, declarations_token, changed_at) VALUES (?, ?, ?)
     ON CONFLICT (enrollment_id) DO UPDATE SET declarations_token = excluded.declarations_token, changed_at = excluded.changed_at`,
  );
  const supersede = raw.prepare(
    `UPDATE queue SET status = 'cancelled', updated_at = ?
     WHERE enrollment_id ${IN_LIST} AND status = 'queued' AND sent_at IS NULL
       AND EXISTS (SELECT 1 FROM commands WHERE commands.uuid = queue.command_uuid AND commands.request_type = 'DeclarativeManagement')`,
  );

  /** Inserts the command (false: its UUID exists) and queues it for `ids`, in their order. */
  function insertAndQueue(command: NewCommand, ids: readonly string[], at: number): boolean {
    if (insertCommand.run(command.uuid, command.requestType, command.raw, at).changes === 0) return false;
    const expiresAt = command.expiresAt ? command.expiresAt.getTime() : null;
    for (const id of ids) queueOne.run(id, command.uuid, command.priority ?? 0, expiresAt, at, at);
    return true;
  }

  /** The store's enqueue (commands.ts) inside the caller's transaction: one outcome per unique id. */
  function enqueue(command: NewCommand, ids: string[]): EnqueueOutcome[] {
    const found = new Set(knownOf.all(JSON.stringify(ids)).map((r) => r.id));
    const duplicate = found.size > 0 && !insertAndQueue(command, ids.filter((id) => found.has(id)), command.at.getTime());
    return ids.map((id): EnqueueOutcome =>
      !found.has(id) ? { id, ok: false, error: 'unknown enrollment' } : duplicate ? { id, ok: false, error: 'command UUID already exists' } : { id, ok: true });
  }

  const inventoryOnce = raw.transaction((deviceId: string, commands: readonly NewCommand[], at: number) => {
    const types = [...new Set(commands.map((c) => c.requestType))];
    const queued = new Set(queuedTypes.all(deviceId, JSON.stringify(types)).map((r) => r.request_type));
    const wanted = commands.filter((c) => !queued.has(c.requestType));
    if (wanted.length === 0) return [];
    if (knownOf.all(JSON.stringify([deviceId])).length === 0) return wanted.map((c) => ({ requestType: c.requestType, ok: false, error: 'unknown enrollment' }));
    const outcomes = wanted.map((c) =>
      insertAndQueue(c, [deviceId], at) ? { requestType: c.requestType, ok: true } : { requestType: c.requestType, ok: false, error: 'command UUID already exists' });
    if (outcomes.some((o) => o.ok && o.requestType === 'DeviceInformation')) markQueried.run(at, deviceId);
    return outcomes;
  });

  const syncInputs = raw.transaction((ids: string[]) => {
    const list = JSON.stringify(ids);
    const known = new Set(knownOf.all(list).map((r) => r.id));
    const items = new Map<string, DdmItemRecord[]>();
    for (const r of itemsOf.all(list)) {
      const entry = items.get(r.enrollment_id) ?? [];
      entry.push({ identifier: r.identifier, type: r.type, kind: r.kind as DdmKind, serverToken: r.server_token });
      items.set(r.enrollment_id, entry);
    }
    const states = new Map<string, DdmSyncState>();
    for (const r of statesOf.all(list)) {
      states.set(r.enrollment_id, { enrollmentId: r.enrollment_id, declarationsToken: r.declarations_token, changedAt: new Date(r.changed_at) });
    }
    return { known, items, states };
  });

  const supersedeAndEnqueue = raw.transaction((command: NewCommand, ids: string[], save: DdmSyncState[]) => {
    for (const s of save) saveState.run(s.enrollmentId, s.declarationsToken, s.changedAt.getTime());
    supersede.run(command.at.getTime(), JSON.stringify(ids));
    return enqueue(command, ids);
  });

  const free = <T>(work: () => T) => whenFree(raw, db, work);
  return {
    queueInventoryOnce: (deviceId, commands, at) => free(() => inventoryOnce.immediate(deviceId, commands, at.getTime())),
    ddmSyncInputs: (enrollmentIds) => free(() => syncInputs.deferred([...new Set(enrollmentIds)])),
    ddmSupersedeAndEnqueue: (command, enrollmentIds, save) => free(() => supersedeAndEnqueue.immediate(command, [...new Set(enrollmentIds)], save)),
  };
}
