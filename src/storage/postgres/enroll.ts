// PostgreSQL statements of an enrollment's first check-ins, as named prepared statements on the pool
// (see hot.ts): where the generic path runs several statements, one round trip each.
//   - a device's inventory questions (DeviceInformation, SecurityInfo): the look-up of those still
//     queued, the enqueue of each missing one and the inventory row's queried mark, as one statement;
//   - a DDM sync's or DeclarativeManagement request's reads: which enrollments exist, their effective
//     declaration items and their last sync state, as one statement;
//   - a DDM sync's writes: the new sync states saved, the older DeclarativeManagement commands still
//     waiting (never handed out) cancelled and the new one queued (as enqueue), one statement.
import type pg from 'pg';
import type { DdmItemRecord, DdmKind, DdmSyncState, Store } from '../types.js';
import { ENQUEUE, enqueueOutcomes, enqueueValues, type EnqueueRow } from './hot.js';

type Enroll = Required<Pick<Store, 'queueInventoryOnce' | 'ddmSyncInputs' | 'ddmSupersedeAndEnqueue'>>;

/**
 * The commands ($2 uuids, $3 request types, $4 plists, $5 priorities, $6 expiries, in queueing order)
 * of those request types the enrollment $1 has none queued of; $7 the time. Queue rows take their
 * seq in the given order. The inventory row is marked asked when a DeviceInformation was queued.
 */
const QUEUE_INVENTORY = `WITH e AS (SELECT id FROM enrollments WHERE id = $1::text),
  want AS (SELECT w.* FROM unnest($2::text[], $3::text[], $4::bytea[], $5::integer[], $6::bigint[]) WITH ORDINALITY AS w(uuid, request_type, raw, priority, expires_at, ord)
    WHERE NOT EXISTS (SELECT 1 FROM queue q JOIN commands c ON c.uuid = q.command_uuid
      WHERE q.enrollment_id = $1::text AND q.status = 'queued' AND c.request_type = w.request_type)),
  c AS (INSERT INTO commands (uuid, request_type, raw, created_at)
    SELECT uuid, request_type, raw, $7::bigint FROM want WHERE EXISTS (SELECT 1 FROM e) ORDER BY ord
    ON CONFLICT DO NOTHING RETURNING uuid, request_type),
  q AS (INSERT INTO queue (enrollment_id, command_uuid, priority, status, not_now_tally, expires_at, created_at, updated_at)
    SELECT $1::text, c.uuid, want.priority, 'queued', 0, want.expires_at, $7::bigint, $7::bigint FROM c JOIN want ON want.uuid = c.uuid ORDER BY want.ord),
  marked AS (UPDATE device_inventory SET queried_at = $7::bigint
    WHERE device_id = $1::text AND EXISTS (SELECT 1 FROM c WHERE request_type = 'DeviceInformation'))
  SELECT EXISTS (SELECT 1 FROM e) AS known, array(SELECT request_type FROM want ORDER BY ord) AS wanted, array(SELECT request_type FROM c) AS queued`;

/**
 * For the enrollments $1: a row per existing one (kind 'e'), per effective declaration item
 * ('i': each declaration of its assigned sets once, by enrollment, then identifier) and per sync state ('s').
 */
const SYNC_INPUTS = `SELECT 'e' AS k, id AS enrollment_id, NULL AS identifier, NULL AS type, NULL AS kind, NULL AS server_token, NULL AS declarations_token, NULL::bigint AS changed_at
    FROM enrollments WHERE id = ANY($1::text[])
  UNION ALL SELECT 's', enrollment_id, NULL, NULL, NULL, NULL, declarations_token, changed_at FROM ddm_sync WHERE enrollment_id = ANY($1::text[])
  UNION ALL (SELECT DISTINCT 'i', es.enrollment_id, d.identifier, d.type, d.kind, d.server_token, NULL::text, NULL::bigint
    FROM ddm_enrollment_sets es JOIN ddm_set_declarations sd ON sd.set_name = es.set_name JOIN ddm_declarations d ON d.identifier = sd.identifier
    WHERE es.enrollment_id = ANY($1::text[]))
  ORDER BY 1, 2, 3`;

/**
 * ENQUEUE ($1 the enrollment ids … $7, see hot.ts) after the sync states $8 (ids), $9 (tokens), $10
 * (change times) are saved and the enrollments' waiting DeclarativeManagement commands cancelled.
 * The cancel cannot see the queue row inserted beside it (one snapshot), so it never cancels it.
 */
const SUPERSEDE_AND_ENQUEUE = `WITH saved AS (INSERT INTO ddm_sync (enrollment_id, declarations_token, changed_at)
    SELECT * FROM unnest($8::text[], $9::text[], $10::bigint[])
    ON CONFLICT (enrollment_id) DO UPDATE SET declarations_token = excluded.declarations_token, changed_at = excluded.changed_at),
  superseded AS (UPDATE queue SET status = 'cancelled', updated_at = $5::bigint
    WHERE enrollment_id = ANY($1::text[]) AND status = 'queued' AND sent_at IS NULL
      AND EXISTS (SELECT 1 FROM commands WHERE commands.uuid = queue.command_uuid AND commands.request_type = 'DeclarativeManagement')),
  ${ENQUEUE.slice('WITH '.length)}`;

interface InputRow {
  k: 'e' | 's' | 'i';
  enrollment_id: string;
  identifier: string | null;
  type: string | null;
  kind: string | null;
  server_token: string | null;
  declarations_token: string | null;
  changed_at: number | null;
}

export function postgresEnrollPath(pool: pg.Pool): Enroll {
  return {
    async queueInventoryOnce(deviceId, commands, at) {
      const values = [
        deviceId, commands.map((c) => c.uuid), commands.map((c) => c.requestType), commands.map((c) => c.raw),
        commands.map((c) => c.priority ?? 0), commands.map((c) => c.expiresAt?.getTime() ?? null), at.getTime(),
      ];
      const { rows } = await pool.query<{ known: boolean; wanted: string[]; queued: string[] }>({ name: 'updraft_queue_inventory', text: QUEUE_INVENTORY, values });
      const { known, wanted, queued } = rows[0]!;
      const done = new Set(queued);
      return wanted.map((requestType) =>
        !known ? { requestType, ok: false, error: 'unknown enrollment' }
        : done.has(requestType) ? { requestType, ok: true } : { requestType, ok: false, error: 'command UUID already exists' });
    },

    async ddmSyncInputs(enrollmentIds) {
      const ids = [...new Set(enrollmentIds)];
      const { rows } = await pool.query<InputRow>({ name: 'updraft_ddm_sync_inputs', text: SYNC_INPUTS, values: [ids] });
      const known = new Set<string>();
      const items = new Map<string, DdmItemRecord[]>();
      const states = new Map<string, DdmSyncState>();
      for (const r of rows) {
        if (r.k === 'e') known.add(r.enrollment_id);
        else if (r.k === 's') states.set(r.enrollment_id, { enrollmentId: r.enrollment_id, declarationsToken: r.declarations_token!, changedAt: new Date(r.changed_at!) });
        else {
          const list = items.get(r.enrollment_id) ?? [];
          list.push({ identifier: r.identifier!, type: r.type!, kind: r.kind as DdmKind, serverToken: r.server_token! });
          items.set(r.enrollment_id, list);
        }
      }
      return { known, items, states };
    },

    async ddmSupersedeAndEnqueue(command, enrollmentIds, save) {
      const ids = [...new Set(enrollmentIds)];
      const values = [...enqueueValues(command, ids), save.map((s) => s.enrollmentId), save.map((s) => s.declarationsToken), save.map((s) => s.changedAt.getTime())];
      const { rows } = await pool.query<EnqueueRow>({ name: 'updraft_ddm_supersede_enqueue', text: SUPERSEDE_AND_ENQUEUE, values });
      return enqueueOutcomes(ids, rows);
    },
  };
}
