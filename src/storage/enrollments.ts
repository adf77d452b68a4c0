// Enrollments: the Authenticate → TokenUpdate → CheckOut lifecycle, inventory and bootstrap token.
import { sql, type Kysely, type QueryCreator, type Selectable } from 'kysely';
import type {
  AuthenticateInput,
  ChannelInput,
  EnrollmentFilter,
  EnrollmentRecord,
  EnrollmentStore,
  EnrollmentType,
  Inventory,
  Platform,
} from './types.js';
import type { Database, EnrollmentsTable } from './schema.js';
import type { InventoryPatch } from '../osupdate/types.js';
import { likePrefix, oneOf, toDate, type Ctx } from './context.js';
import { osKey } from './inventory.js';
import { first, memoQuery } from './memo.js';

const inventoryColumns = {
  serialNumber: 'serial_number',
  model: 'model',
  modelName: 'model_name',
  productName: 'product_name',
  deviceName: 'device_name',
  osVersion: 'os_version',
  buildVersion: 'build_version',
  imei: 'imei',
  meid: 'meid',
  platform: 'platform',
} as const satisfies Record<keyof Inventory, keyof EnrollmentsTable>;

type InventoryRow = { -readonly [K in keyof typeof inventoryColumns as (typeof inventoryColumns)[K]]?: string | null } & { os_key?: string | null };

/** The inventory keys that are present (null included), as column values; the OS version with its sortable key. */
export function inventoryRow(inv: Inventory): InventoryRow {
  const row: InventoryRow = {};
  for (const [key, column] of Object.entries(inventoryColumns) as [keyof Inventory, keyof InventoryRow][]) {
    if (inv[key] !== undefined) row[column] = inv[key];
  }
  if (row.os_version !== undefined) row.os_key = osKey(row.os_version);
  return row;
}

export function toEnrollment(r: Selectable<EnrollmentsTable>): EnrollmentRecord {
  return {
    id: r.id,
    type: r.type as EnrollmentType,
    deviceId: r.device_id,
    udid: r.udid,
    userId: r.user_id,
    userShortName: r.user_short_name,
    userLongName: r.user_long_name,
    topic: r.topic,
    pushToken: r.push_token,
    pushMagic: r.push_magic,
    unlockToken: r.unlock_token,
    pushInvalidAt: toDate(r.push_invalid_at),
    enabled: r.enabled === 1,
    tokenUpdateTally: r.token_update_tally,
    awaitingConfiguration: r.awaiting_configuration === 1,
    certHash: r.cert_hash,
    lastSeenAt: toDate(r.last_seen_at),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
    serialNumber: r.serial_number,
    model: r.model,
    modelName: r.model_name,
    productName: r.product_name,
    deviceName: r.device_name,
    osVersion: r.os_version,
    buildVersion: r.build_version,
    imei: r.imei,
    meid: r.meid,
    platform: r.platform as Platform | null,
  };
}

/** The columns that name a channel, as Authenticate and TokenUpdate both carry them. */
export function channelRow(input: ChannelInput) {
  return {
    type: input.type,
    device_id: input.deviceId,
    udid: input.udid,
    user_id: input.userId ?? null,
    user_short_name: input.userShortName ?? null,
    user_long_name: input.userLongName ?? null,
    topic: input.topic,
  };
}

/** What a device channel's Authenticate writes to its inventory: what it reported; what belongs to the enrollment (supervision, ADE) is unknown again until the device says. */
export function authenticatedInventory(input: AuthenticateInput): InventoryPatch {
  const reported = Object.fromEntries(Object.entries(input.inventory).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  return { ...reported, isUserEnrollment: input.type === 'UserEnrollmentDevice', isSupervised: null, enrolledViaDep: null };
}

// TokenUpdate's upsert (both backends: postgres/checkin.ts, and sqlite/checkin.ts on the raw connection),
// one shape whatever the message carries. UnlockToken and the certificate
// come only on some TokenUpdates: an absent one (null) keeps what is stored (coalesce).
export type TokenUpdateArgs = [id: string, type: string, deviceId: string, udid: string | null, userId: string | null, userShortName: string | null,
  userLongName: string | null, topic: string, pushToken: string, pushMagic: string, awaiting: number, unlockToken: Buffer | null,
  certHash: string | null, lastSeen: number, updated: number, created: number];
export const tokenUpsert = (db: QueryCreator<Database>, ...[id, type, deviceId, udid, userId, userShortName, userLongName, topic, pushToken, pushMagic, awaiting,
  unlockToken, certHash, lastSeen, updated, created]: TokenUpdateArgs) =>
    db
      .insertInto('enrollments')
      .values({
        id, type, device_id: deviceId, udid, user_id: userId, user_short_name: userShortName, user_long_name: userLongName, topic,
        push_token: pushToken, push_magic: pushMagic, awaiting_configuration: awaiting, push_invalid_at: null, enabled: 1,
        unlock_token: unlockToken, cert_hash: certHash, token_update_tally: 1, last_seen_at: lastSeen, updated_at: updated, created_at: created,
      })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          type: eb.ref('excluded.type'), device_id: eb.ref('excluded.device_id'), udid: eb.ref('excluded.udid'), user_id: eb.ref('excluded.user_id'),
          user_short_name: eb.ref('excluded.user_short_name'), user_long_name: eb.ref('excluded.user_long_name'), topic: eb.ref('excluded.topic'),
          push_token: eb.ref('excluded.push_token'), push_magic: eb.ref('excluded.push_magic'), awaiting_configuration: eb.ref('excluded.awaiting_configuration'),
          push_invalid_at: null, enabled: 1, last_seen_at: eb.ref('excluded.last_seen_at'), updated_at: eb.ref('excluded.updated_at'),
          unlock_token: eb.fn.coalesce('excluded.unlock_token', 'enrollments.unlock_token'),
          cert_hash: eb.fn.coalesce('excluded.cert_hash', 'enrollments.cert_hash'),
          token_update_tally: eb(eb.ref('enrollments.token_update_tally'), '+', 1),
        })),
      )
      .returningAll()
      .returning(sql<number | null>`(select active from ade_enrollments where ade_enrollments.udid = enrollments.udid)`.as('ade_active'));

// The queries every device's requests run (certificate binding, enrollment lookups), built once.
const byId = memoQuery((db: Kysely<Database>, id: string) => db.selectFrom('enrollments').selectAll().where('id', '=', id));
const certHashSet = memoQuery((db: Kysely<Database>, certHash: string, at: number, id: string, bound: string) =>
  db
    .updateTable('enrollments')
    .set({ cert_hash: certHash, bind_pending: 0, updated_at: at })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('cert_hash', 'is', null), eb('cert_hash', '!=', bound), eb('bind_pending', '!=', 0)])));
const bindPendingOf = memoQuery((db: Kysely<Database>, id: string) => db.selectFrom('enrollments').select('bind_pending').where('id', '=', id));
const idsByCertHash = memoQuery((db: Kysely<Database>, certHash: string) =>
  db.selectFrom('enrollments').select('id').where('cert_hash', '=', certHash).orderBy('id'));
// The device's binding and the certificate's owners in one statement (the identity check's look-ups).
const bindingOf = memoQuery((db: Kysely<Database>, id: string, certHash: string) =>
  db.selectFrom('enrollments').select(['id', 'cert_hash']).where((eb) => eb.or([eb('id', '=', id), eb('cert_hash', '=', certHash)])).orderBy('id'));

// Authenticate and TokenUpdate are each backend's own (postgres/checkin.ts, sqlite/checkin.ts).
export function enrollmentStore({ db, dialect }: Ctx): Omit<EnrollmentStore, 'authenticate' | 'tokenUpdate'> {
  return {
    async checkOut(id, at) {
      // A device channel's id is the device_id of all its channels; a user channel's id is nobody's.
      await db
        .updateTable('enrollments')
        .set({ enabled: 0, updated_at: at.getTime() })
        .where((eb) => eb.or([eb('id', '=', id), eb('device_id', '=', id)]))
        .execute();
    },

    async getEnrollment(id) {
      const row = first(await byId(db, id));
      return row ? toEnrollment(row) : null;
    },

    async listEnrollments(filter: EnrollmentFilter) {
      const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
      if (filter.ids?.length === 0 || filter.serialNumbers?.length === 0) return [];
      let q = db.selectFrom('enrollments').selectAll();
      if (filter.platform) q = q.where('platform', '=', filter.platform);
      if (filter.type) q = q.where('type', '=', filter.type);
      if (filter.enabled !== undefined) q = q.where('enabled', '=', filter.enabled ? 1 : 0);
      if (filter.seenSince) q = q.where('last_seen_at', '>=', filter.seenSince.getTime());
      if (filter.seenBefore) q = q.where('last_seen_at', '<', filter.seenBefore.getTime());
      const os = filter.osVersion;
      if (os !== undefined) {
        q = os.endsWith('.')
          ? q.where((eb) =>
              eb.or([
                eb('os_version', '=', os.slice(0, -1)),
                sql<boolean>`${sql.ref('os_version')} like ${likePrefix(os)} escape '\\'`,
              ]),
            )
          : q.where('os_version', '=', os);
      }
      if (filter.ids) q = q.where(oneOf(dialect, 'id', filter.ids));
      if (filter.serialNumbers) q = q.where(oneOf(dialect, 'serial_number', filter.serialNumbers));
      if (filter.after !== undefined) q = q.where('id', '>', filter.after);
      const rows = await q
        .orderBy('id')
        .limit(limit)
        .offset(Math.max(filter.offset ?? 0, 0))
        .execute();
      return rows.map(toEnrollment);
    },

    async updateInventory(id, inventory, at) {
      await db
        .updateTable('enrollments')
        .set({ ...inventoryRow(inventory), updated_at: at.getTime() })
        .where('id', '=', id)
        .execute();
    },

    async touch(id, at) {
      await db.updateTable('enrollments').set({ last_seen_at: at.getTime() }).where('id', '=', id).execute();
    },

    async setCertHash(id, certHash, at) {
      // Nothing to write when it is bound already (Authenticate stores the hash itself): an enrollment
      // row version costs an entry in each of its many indexes.
      await certHashSet(db, certHash, at.getTime(), id, certHash);
    },

    async markBindPending(deviceId, at) {
      await db
        .updateTable('enrollments')
        .set({ bind_pending: 1, updated_at: at.getTime() })
        .where('id', '=', deviceId)
        .where('cert_hash', 'is', null)
        .execute();
    },

    async bindPending(deviceId) {
      const row = first(await bindPendingOf(db, deviceId));
      return Number(row?.bind_pending ?? 0) === 1;
    },

    async enrollmentIdsByCertHash(certHash) {
      return (await idsByCertHash(db, certHash)).rows.map((r) => r.id);
    },

    async certBinding(deviceId, certHash) {
      const { rows } = await bindingOf(db, deviceId, certHash);
      return { bound: rows.find((r) => r.id === deviceId)?.cert_hash ?? null, owners: rows.filter((r) => r.cert_hash === certHash).map((r) => r.id) };
    },

    async setBootstrapToken(deviceId, token, at) {
      await db
        .updateTable('enrollments')
        .set({ bootstrap_token: token && token.length > 0 ? token : null, updated_at: at.getTime() })
        .where('id', '=', deviceId)
        .execute();
    },

    async getBootstrapToken(deviceId) {
      const row = await db
        .selectFrom('enrollments')
        .select('bootstrap_token')
        .where('id', '=', deviceId)
        .executeTakeFirst();
      return row?.bootstrap_token ?? null;
    },
  };
}
