// Enrollments: the Authenticate → TokenUpdate → CheckOut lifecycle, inventory and bootstrap token.
import { sql, type Kysely, type QueryCreator, type Selectable } from 'kysely';
import type {
  AuthenticateInput,
  TokenUpdateInput,
  EnrollmentFilter,
  EnrollmentRecord,
  EnrollmentStore,
  EnrollmentType,
  Inventory,
  Platform,
} from './types.js';
import type { Database, EnrollmentsTable } from './schema.js';
import { likePrefix, oneOf, toDate, type Ctx } from './context.js';
import { applyInventory, osKey, seededInventory } from './inventory.js';
import type { InventoryDb } from './inventory-schema.js';
import { first, memoQuery } from './memo.js';
import { eventRow } from './events.js';

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
function inventoryRow(inv: Inventory): InventoryRow {
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
function channelRow(input: AuthenticateInput | TokenUpdateInput) {
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

// TokenUpdate: the upsert is one shape whatever the message carries. UnlockToken and the certificate
// come only on some TokenUpdates: an absent one (null) keeps what is stored (coalesce).
type TokenUpdateArgs = [id: string, type: string, deviceId: string, udid: string | null, userId: string | null, userShortName: string | null,
  userLongName: string | null, topic: string, pushToken: string, pushMagic: string, awaiting: number, unlockToken: Buffer | null,
  certHash: string | null, lastSeen: number, updated: number, created: number];
const tokenUpsert = (db: QueryCreator<Database>, ...[id, type, deviceId, udid, userId, userShortName, userLongName, topic, pushToken, pushMagic, awaiting,
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
const tokenUpdated = memoQuery((db: Kysely<Database>, ...args: TokenUpdateArgs) => tokenUpsert(db, ...args));
// PostgreSQL: the check-in's event in the same statement, its detail the tally the upsert left then
// the rest of the detail's JSON (`rest`: from its first key's comma on, or its closing brace).
const tokenUpdatedLogged = memoQuery((db: Kysely<Database>, kind: string, rest: string, at: number, ...args: TokenUpdateArgs) =>
  db
    .with('up', (w) => tokenUpsert(w as unknown as QueryCreator<Database>, ...args))
    .with('ev', () => sql`(insert into events (enrollment_id, kind, detail, at)
      select id, ${kind}, '{"tokenUpdateTally":' || token_update_tally || ${rest}, ${at} from up)`)
    .selectFrom('up')
    .selectAll());
// SQLite: the event after the upsert (in one transaction).
const eventAdded = memoQuery((db: Kysely<Database>, id: string, kind: string, detail: string, at: number) =>
  db.insertInto('events').values({ enrollment_id: id, kind, detail, at }));

export function enrollmentStore({ db, dialect }: Ctx): EnrollmentStore {
  return {
    async authenticate(input: AuthenticateInput) {
      const at = input.at.getTime();
      const identity = channelRow(input);
      const inventory = inventoryRow(input.inventory);
      const reset = { enabled: 0, token_update_tally: 0, awaiting_configuration: 0, last_seen_at: at, updated_at: at };
      const upsert = (q: QueryCreator<Database>) =>
        q
          .insertInto('enrollments')
          .values({ id: input.id, ...identity, ...inventory, ...reset, cert_hash: input.certHash ?? null, created_at: at })
          .onConflict((oc) =>
            oc.column('id').doUpdateSet({
              ...identity,
              ...inventory,
              ...reset,
              ...(input.certHash ? { cert_hash: input.certHash, bind_pending: 0 } : {}),
            }),
          );
      // A re-enrollment starts fresh: the channel (and, for a device channel, its user channels)
      // is disabled until TokenUpdate and nothing queued before it will be sent.
      const device = input.id === input.deviceId;
      const channels = (q: QueryCreator<Database>) =>
        device
          ? q.selectFrom('enrollments').select('id').where('device_id', '=', input.id)
          : q.selectFrom('enrollments').select('id').where('id', '=', input.id);
      const others = (q: QueryCreator<Database>) =>
        q.updateTable('enrollments').set({ enabled: 0, token_update_tally: 0, updated_at: at }).where('device_id', '=', input.id).where('id', '!=', input.id);
      const cancel = (q: QueryCreator<Database>) =>
        q.updateTable('queue').set({ status: 'cancelled', updated_at: at }).where('enrollment_id', 'in', channels(q)).where('status', '=', 'queued');
      // A device channel's Authenticate seeds (or refreshes) its inventory row, history included.
      // What belongs to the enrollment (supervision, ADE) is unknown again until the device says.
      const reported = Object.fromEntries(Object.entries(input.inventory).filter(([, v]) => v !== undefined && v !== null && v !== ''));
      const patch = { ...reported, isUserEnrollment: input.type === 'UserEnrollmentDevice', isSupervised: null, enrolledViaDep: null };
      if (dialect === 'postgres') {
        // One statement and no transaction (they touch different rows, and no queue row can wait on a
        // new channel), the inventory row of a new device included: inserted as the seed and its update
        // would leave it, with its history rows. A device that has one already has it refreshed after,
        // as other inventory answers are (read, locked, updated). The casts: WITH only adds names to the type.
        type Q = QueryCreator<Database>;
        let q = db.with('cancelled', (w) => cancel(w as unknown as Q).returning('seq'));
        if (input.event) q = q.with('ev', (w) => (w as unknown as Q).insertInto('events').values(eventRow(input.event!))) as unknown as typeof q;
        if (device) q = q.with('others', (w) => others(w as unknown as Q).returning('id')) as unknown as typeof q;
        const seed = device ? seededInventory(input.id, patch, input.at) : null;
        if (seed) {
          const h = seed.history;
          q = q
            .with('seeded', (w) => (w as unknown as InventoryDb).insertInto('device_inventory').values(seed.row).onConflict((oc) => oc.column('device_id').doNothing()).returning('device_id'))
            .with('history', () => sql`(insert into inventory_history (device_id, field, old_value, new_value, at)
              select ${input.id}, h.f, h.o, h.n, ${at} from unnest(${h.map((x) => x.field)}::text[], ${h.map((x) => x.old_value)}::text[], ${h.map((x) => x.new_value)}::text[]) as h(f, o, n)
              where exists (select 1 from seeded))`) as unknown as typeof q;
        }
        const query = upsert(q as unknown as Q);
        if (!seed) return void (await query.execute());
        const done = await query.returning(sql<boolean>`exists (select 1 from seeded)`.as('seeded')).executeTakeFirst();
        if (!done?.seeded) await db.transaction().execute((trx) => applyInventory(trx, dialect, input.id, patch, input.at, { syncEnrollment: false }));
        return;
      }
      await db.transaction().execute(async (trx) => {
        await upsert(trx).execute();
        if (device) await others(trx).execute();
        await cancel(trx).execute();
        if (device) await applyInventory(trx, dialect, input.id, patch, input.at, { syncEnrollment: false, seed: true });
        if (input.event) await trx.insertInto('events').values(eventRow(input.event)).execute();
      });
    },

    async tokenUpdate(input) {
      const at = input.at.getTime();
      const c = channelRow(input);
      const args: TokenUpdateArgs = [input.id, c.type, c.device_id, c.udid, c.user_id, c.user_short_name, c.user_long_name, c.topic,
        input.pushToken, input.pushMagic, input.awaitingConfiguration ? 1 : 0, input.unlockToken ?? null, input.certHash || null, at, at, at];
      const ev = input.event;
      let row;
      if (ev && dialect === 'postgres') {
        const json = JSON.stringify(ev.detail);
        row = (await tokenUpdatedLogged(db, ev.kind, json === '{}' ? '}' : `,${json.slice(1)}`, at, ...args)).rows[0]!;
      } else if (ev) {
        // SQLite: the event after the upsert, in its transaction (one commit).
        row = await db.transaction().execute(async (trx) => {
          const r = (await tokenUpdated(trx, ...args)).rows[0]!;
          await eventAdded(trx, input.id, ev.kind, JSON.stringify({ tokenUpdateTally: r.token_update_tally, ...ev.detail }), at);
          return r;
        });
      } else {
        row = (await tokenUpdated(db, ...args)).rows[0]!;
      }
      return { ...toEnrollment(row), adeActive: Number(row.ade_active ?? 0) === 1 };
    },

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
