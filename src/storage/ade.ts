// ADE enrollments (migration 013_ade): see types-ade.ts.
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Ctx } from './context.js';
import { oneOf, toDate } from './context.js';
import { first, memoQuery } from './memo.js';
import type { Database } from './schema.js';
import type { AdeEnrollmentRecord, AdeStore, Platform } from './types.js';

export interface AdeEnrollmentsTable {
  udid: string;
  serial: string;
  dep_name: string | null;
  profile_uuid: string | null;
  product: string | null;
  platform: string | null;
  os_version: string | null;
  build_version: string | null;
  language: string | null;
  machine_info: string;
  supervised: number;
  removable: number;
  await_configuration: number;
  served_at: number;
  enrolled_at: number | null;
  active: number;
  configured_at: number | null;
}

type Db = Kysely<Database & { ade_enrollments: AdeEnrollmentsTable }>;

export function toRecord(r: Selectable<AdeEnrollmentsTable>): AdeEnrollmentRecord {
  let machineInfo: Record<string, unknown> = {};
  try {
    machineInfo = JSON.parse(r.machine_info) as Record<string, unknown>;
  } catch {
    // kept as written; an unreadable copy reads as empty
  }
  return {
    udid: r.udid,
    serial: r.serial,
    depName: r.dep_name,
    profileUuid: r.profile_uuid,
    product: r.product,
    platform: r.platform as Platform | null,
    osVersion: r.os_version,
    buildVersion: r.build_version,
    language: r.language,
    machineInfo,
    supervised: r.supervised === 1,
    removable: r.removable === 1,
    awaitConfiguration: r.await_configuration === 1,
    servedAt: new Date(Number(r.served_at)),
    enrolledAt: toDate(r.enrolled_at === null ? null : Number(r.enrolled_at)),
    active: r.active === 1,
    configuredAt: toDate(r.configured_at === null ? null : Number(r.configured_at)),
  };
}

// Looked up at every device's first TokenUpdate (memo.ts: built once).
const byUdid = memoQuery((db: Db, udid: string) => db.selectFrom('ade_enrollments').selectAll().where('udid', '=', udid));

// Run at every device channel's Authenticate (PostgreSQL's, postgres/checkin.ts; SQLite's runs the
// same statement on the raw connection, sqlite/checkin.ts): one statement decides. Served recently,
// and after the last Authenticate, binds it (active); anything else leaves it inactive. Every SET
// expression reads the row as it was. (memo.ts binds each argument once: the window's start is given once per use.)
const fresh = (since: number) => sql<boolean>`served_at >= ${since} and (enrolled_at is null or enrolled_at < served_at)`;
export const bindServedQuery = (db: Db, udid: string, at: number, since1: number, since2: number, since3: number) =>
  db
    .updateTable('ade_enrollments')
    .set({
      enrolled_at: sql<number>`case when ${fresh(since1)} then ${at} else enrolled_at end`,
      active: sql<number>`case when ${fresh(since2)} then 1 else 0 end`,
      configured_at: sql<number | null>`case when ${fresh(since3)} then null else configured_at end`,
    })
    .where('udid', '=', udid)
    .returningAll();
const bindServed = memoQuery(bindServedQuery);

/** The ADE record `udid`'s Authenticate at `at` binds (AuthenticateInput.adeBindWindowMs), or null. */
export async function bindAdeEnrollment(db: Kysely<Database>, udid: string, at: Date, windowMs: number): Promise<AdeEnrollmentRecord | null> {
  const t = at.getTime();
  const since = t - windowMs;
  const row = first(await bindServed(db as unknown as Db, udid, t, since, since, since));
  return row && row.active === 1 ? toRecord(row) : null;
}

export function adeStore(ctx: Ctx): AdeStore {
  const db = ctx.db as unknown as Db;
  const get = async (udid: string) => {
    const row = first(await byUdid(db, udid));
    return row ? toRecord(row) : null;
  };
  return {
    async recordAdeServed(s) {
      const values = {
        serial: s.serial,
        dep_name: s.depName,
        profile_uuid: s.profileUuid,
        product: s.product,
        platform: s.platform,
        os_version: s.osVersion,
        build_version: s.buildVersion,
        language: s.language,
        machine_info: JSON.stringify(s.machineInfo),
        supervised: s.supervised ? 1 : 0,
        removable: s.removable ? 1 : 0,
        await_configuration: s.awaitConfiguration ? 1 : 0,
        served_at: s.at.getTime(),
      };
      await db
        .insertInto('ade_enrollments')
        .values({ udid: s.udid, ...values, enrolled_at: null, active: 0, configured_at: null })
        .onConflict((oc) => oc.column('udid').doUpdateSet(values))
        .execute();
    },

    getAdeEnrollment: get,

    async activeAdeEnrollments(udids) {
      const out = new Map<string, AdeEnrollmentRecord>();
      for (let i = 0; i < udids.length; i += 500) {
        const rows = await db
          .selectFrom('ade_enrollments')
          .selectAll()
          .where(oneOf(ctx.dialect, 'udid', udids.slice(i, i + 500)))
          .where('active', '=', 1)
          .execute();
        for (const r of rows) out.set(r.udid, toRecord(r));
      }
      return out;
    },

    async listAdeEnrollments(opts = {}) {
      let q = db.selectFrom('ade_enrollments').selectAll();
      if (opts.after !== undefined) q = q.where('udid', '>', opts.after);
      const rows = await q.orderBy('udid').limit(Math.min(Math.max(opts.limit ?? 100, 1), 1000)).execute();
      return rows.map(toRecord);
    },

    async claimAdeConfiguration(udid, at) {
      const r = await db
        .updateTable('ade_enrollments')
        .set({ configured_at: at.getTime() })
        .where('udid', '=', udid)
        .where('active', '=', 1)
        .where('configured_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
  };
}
