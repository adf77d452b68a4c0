// ADE (DEP) storage: DEP names and the devices each lists (migration 011_dep); cached profiles are in dep-profiles.ts.
import type { Kysely } from 'kysely';
import type { Ctx } from './context.js';
import { chunks, oneOf } from './context.js';
import type { DepName, OAuth1Tokens, OpType, ProfileStatus } from '../dep/types.js';
import type { DepDeviceRecord, DepProfileStore, DepStore } from './types-dep.js';

export interface DepNamesTable {
  name: string;
  consumer_key: string | null;
  consumer_secret: string | null;
  access_token: string | null;
  access_secret: string | null;
  access_token_expiry: string | null;
  tokens_expire_at: number | null;
  tokens_updated_at: number | null;
  staging_cert_pem: string | null;
  staging_key_pem: string | null;
  cert_pem: string | null;
  key_pem: string | null;
  base_url: string | null;
  assigner_profile_uuid: string | null;
  session_token: string | null;
  cursor: string | null;
  cursor_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface DepDevicesTable {
  dep_name: string;
  serial_number: string;
  model: string | null;
  description: string | null;
  color: string | null;
  asset_tag: string | null;
  os: string | null;
  device_family: string | null;
  device_assigned_by: string | null;
  device_assigned_date: number | null;
  op_type: string | null;
  op_date: number | null;
  profile_uuid: string | null;
  profile_status: string | null;
  profile_assign_time: number | null;
  profile_push_time: number | null;
  updated_at: number;
}

interface DepDb {
  dep_names: DepNamesTable;
  dep_profiles: { dep_name: string };
  dep_devices: DepDevicesTable;
  enrollments: { id: string; serial_number: string | null };
}

const date = (ms: number | string | null): Date | null => (ms === null ? null : new Date(Number(ms)));
const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());

function nameRecord(r: DepNamesTable): DepName {
  const tokens: OAuth1Tokens | null =
    r.consumer_key !== null
      ? {
          consumer_key: r.consumer_key,
          consumer_secret: r.consumer_secret ?? '',
          access_token: r.access_token ?? '',
          access_secret: r.access_secret ?? '',
          access_token_expiry: r.access_token_expiry ?? '',
        }
      : null;
  return {
    name: r.name,
    tokens,
    tokensExpireAt: date(r.tokens_expire_at),
    tokensUpdatedAt: date(r.tokens_updated_at),
    stagingPki: r.staging_cert_pem && r.staging_key_pem ? { certPem: r.staging_cert_pem, keyPem: r.staging_key_pem } : null,
    currentPki: r.cert_pem && r.key_pem ? { certPem: r.cert_pem, keyPem: r.key_pem } : null,
    baseUrl: r.base_url,
    assignerProfileUuid: r.assigner_profile_uuid,
    sessionToken: r.session_token,
    cursor: r.cursor,
    cursorAt: date(r.cursor_at),
    createdAt: new Date(Number(r.created_at)),
    updatedAt: new Date(Number(r.updated_at)),
  };
}

function deviceRecord(r: DepDevicesTable): DepDeviceRecord {
  return {
    depName: r.dep_name,
    serialNumber: r.serial_number,
    model: r.model,
    description: r.description,
    color: r.color,
    assetTag: r.asset_tag,
    os: r.os,
    deviceFamily: r.device_family,
    deviceAssignedBy: r.device_assigned_by,
    deviceAssignedDate: date(r.device_assigned_date),
    opType: r.op_type as OpType | null,
    opDate: date(r.op_date),
    profileUuid: r.profile_uuid,
    profileStatus: r.profile_status as ProfileStatus | null,
    profileAssignTime: date(r.profile_assign_time),
    profilePushTime: date(r.profile_push_time),
    updatedAt: new Date(Number(r.updated_at)),
  };
}

export function depStore(ctx: Ctx): Omit<DepStore, keyof DepProfileStore> {
  const db = ctx.db as unknown as Kysely<DepDb>;

  /** Inserts the name if new, then applies `set` (always stamping updated_at). */
  async function upsertName(name: string, at: Date, set: Partial<DepNamesTable>): Promise<void> {
    const row = { ...set, updated_at: at.getTime() };
    await db
      .insertInto('dep_names')
      .values({ name, created_at: at.getTime(), ...row })
      .onConflict((oc) => oc.column('name').doUpdateSet(row))
      .execute();
  }

  return {
    async listDepNames() {
      const rows = await db.selectFrom('dep_names').selectAll().orderBy('name').execute();
      return rows.map(nameRecord);
    },

    async getDepName(name) {
      const row = await db.selectFrom('dep_names').selectAll().where('name', '=', name).executeTakeFirst();
      return row ? nameRecord(row) : null;
    },

    async saveDepStagingPki(name, pki, at) {
      await upsertName(name, at, { staging_cert_pem: pki.certPem, staging_key_pem: pki.keyPem });
    },

    async saveDepTokens(name, tokens, at, opts = {}) {
      const expires = Date.parse(tokens.access_token_expiry);
      const set: Partial<DepNamesTable> = {
        consumer_key: tokens.consumer_key,
        consumer_secret: tokens.consumer_secret,
        access_token: tokens.access_token,
        access_secret: tokens.access_secret,
        access_token_expiry: tokens.access_token_expiry,
        tokens_expire_at: Number.isNaN(expires) ? null : expires,
        tokens_updated_at: at.getTime(),
        // New tokens: the old session belongs to the old ones.
        session_token: null,
      };
      if (!opts.promoteStaging) return upsertName(name, at, set);
      await db.transaction().execute(async (trx) => {
        const staged = await trx.selectFrom('dep_names').select(['staging_cert_pem', 'staging_key_pem']).where('name', '=', name).executeTakeFirst();
        if (!staged?.staging_cert_pem || !staged.staging_key_pem) throw new Error(`DEP name ${name} has no staging token key pair`);
        await trx
          .updateTable('dep_names')
          .set({ ...set, cert_pem: staged.staging_cert_pem, key_pem: staged.staging_key_pem, staging_cert_pem: null, staging_key_pem: null, updated_at: at.getTime() })
          .where('name', '=', name)
          .execute();
      });
    },

    async saveDepConfig(name, baseUrl, at) {
      await upsertName(name, at, { base_url: baseUrl, session_token: null });
    },

    async saveDepAssignerProfile(name, profileUuid, at) {
      await upsertName(name, at, { assigner_profile_uuid: profileUuid });
    },

    async saveDepSession(name, sessionToken, at) {
      await upsertName(name, at, { session_token: sessionToken });
    },

    async saveDepCursor(name, cursor, at) {
      await upsertName(name, at, { cursor, cursor_at: cursor === null ? null : at.getTime() });
    },

    async deleteDepName(name) {
      return db.transaction().execute(async (trx) => {
        await trx.deleteFrom('dep_devices').where('dep_name', '=', name).execute();
        await trx.deleteFrom('dep_profiles').where('dep_name', '=', name).execute();
        const r = await trx.deleteFrom('dep_names').where('name', '=', name).executeTakeFirst();
        return Number(r.numDeletedRows) > 0;
      });
    },

    async upsertDepDevices(devices, at) {
      if (devices.length === 0) return;
      const rows: DepDevicesTable[] = devices.map((d) => ({
        dep_name: d.depName,
        serial_number: d.serialNumber,
        model: d.model,
        description: d.description,
        color: d.color,
        asset_tag: d.assetTag,
        os: d.os,
        device_family: d.deviceFamily,
        device_assigned_by: d.deviceAssignedBy,
        device_assigned_date: ms(d.deviceAssignedDate),
        op_type: d.opType,
        op_date: ms(d.opDate),
        profile_uuid: d.profileUuid,
        profile_status: d.profileStatus,
        profile_assign_time: ms(d.profileAssignTime),
        profile_push_time: ms(d.profilePushTime),
        updated_at: at.getTime(),
      }));
      // A serial listed twice in one batch (sync may repeat a device): the last one wins.
      const last = new Map(rows.map((r) => [`${r.dep_name}\u0000${r.serial_number}`, r]));
      await db.transaction().execute(async (trx) => {
        for (const part of chunks([...last.values()], 100)) {
          await trx
            .insertInto('dep_devices')
            .values(part)
            .onConflict((oc) =>
              oc.columns(['dep_name', 'serial_number']).doUpdateSet((eb) => ({
                model: eb.ref('excluded.model'),
                description: eb.ref('excluded.description'),
                color: eb.ref('excluded.color'),
                asset_tag: eb.ref('excluded.asset_tag'),
                os: eb.ref('excluded.os'),
                device_family: eb.ref('excluded.device_family'),
                device_assigned_by: eb.ref('excluded.device_assigned_by'),
                device_assigned_date: eb.ref('excluded.device_assigned_date'),
                op_type: eb.ref('excluded.op_type'),
                op_date: eb.ref('excluded.op_date'),
                profile_uuid: eb.ref('excluded.profile_uuid'),
                profile_status: eb.ref('excluded.profile_status'),
                profile_assign_time: eb.ref('excluded.profile_assign_time'),
                profile_push_time: eb.ref('excluded.profile_push_time'),
                updated_at: eb.ref('excluded.updated_at'),
              })),
            )
            .execute();
        }
      });
    },

    async listDepDevices(filter = {}) {
      let q = db.selectFrom('dep_devices as d').selectAll('d');
      if (filter.depName !== undefined) q = q.where('d.dep_name', '=', filter.depName);
      if (filter.serials !== undefined) q = q.where(oneOf(ctx.dialect, 'd.serial_number', filter.serials));
      if (filter.opType !== undefined) q = q.where('d.op_type', '=', filter.opType);
      if (filter.profileStatus !== undefined) q = q.where('d.profile_status', '=', filter.profileStatus);
      if (filter.excludeDeleted) q = q.where((eb) => eb.or([eb('d.op_type', 'is', null), eb('d.op_type', '!=', 'deleted')]));
      if (filter.enrolled !== undefined) {
        q = q.where((eb) => {
          const enrolled = eb.exists(eb.selectFrom('enrollments as e').select('e.id').whereRef('e.serial_number', '=', 'd.serial_number'));
          return filter.enrolled ? enrolled : eb.not(enrolled);
        });
      }
      const rows = await q
        .orderBy('d.dep_name')
        .orderBy('d.serial_number')
        .limit(Math.min(filter.limit ?? 100, 1000))
        .offset(filter.offset ?? 0)
        .execute();
      return rows.map(deviceRecord);
    },

    async getDepDevice(serialNumber, depName) {
      let q = db.selectFrom('dep_devices').selectAll().where('serial_number', '=', serialNumber);
      if (depName !== undefined) q = q.where('dep_name', '=', depName);
      const row = await q.orderBy('updated_at', 'desc').limit(1).executeTakeFirst();
      return row ? deviceRecord(row) : null;
    },

    async setDepDeviceProfile(depName, serials, p) {
      for (const part of chunks(serials)) {
        await db
          .updateTable('dep_devices')
          .set({
            profile_uuid: p.profileUuid,
            profile_status: p.profileStatus,
            profile_assign_time: p.profileUuid === null ? null : p.at.getTime(),
            updated_at: p.at.getTime(),
          })
          .where('dep_name', '=', depName)
          .where(oneOf(ctx.dialect, 'serial_number', part))
          .execute();
      }
    },
  };
}
