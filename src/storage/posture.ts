// Stored OS update posture (device_posture) and the fleet recompute's lease (posture_jobs).
// The summary is one GROUP BY over device_posture (per platform and OS version), the totals summed
// from those groups; filters use the sortable os_key for version ranges.
import { sql, type Kysely } from 'kysely';
import type { Ctx } from './context.js';
import type { Dialect } from './schema.js';
import { chunks, inParts, oneOf } from './context.js';
import type { Platform } from '../mdm/types.js';
import type { PostureCounts, PostureJob, PostureRecord, PostureStore, PostureVersionCounts } from './types-posture.js';
import { versionBoundKey, versionKey } from '../mdm/version.js';

export interface DevicePostureTable {
  device_id: string;
  platform: string | null;
  model: string | null;
  os_version: string | null;
  os_key: string | null;
  build_version: string | null;
  latest_version: string | null;
  latest_build: string | null;
  latest_in_major_version: string | null;
  newest_major: string | null;
  on_latest: number;
  major_behind: number;
  releases_behind: number;
  days_behind: number;
  cve_count: number;
  exploited_count: number;
  update_allowed: number;
  major_upgrade_allowed: number;
  reason: string | null;
  detail: string;
  computed_at: number;
  catalog_stamp: string;
}

export interface PostureJobsTable {
  name: string;
  owner: string | null;
  lease_until: number;
  stamp: string | null;
  cursor: string | null;
  done: number;
  done_stamp: string | null;
  updated_at: number;
}

interface PostureDb {
  device_posture: DevicePostureTable;
  posture_jobs: PostureJobsTable;
  device_inventory: { device_id: string };
}

const COLUMNS = [
  'platform', 'model', 'os_version', 'os_key', 'build_version', 'latest_version', 'latest_build', 'latest_in_major_version',
  'newest_major', 'on_latest', 'major_behind', 'releases_behind', 'days_behind', 'cve_count', 'exploited_count',
  'update_allowed', 'major_upgrade_allowed', 'reason', 'detail', 'computed_at', 'catalog_stamp',
] as const;

export const postureRow = (r: PostureRecord): DevicePostureTable => ({
  device_id: r.deviceId,
  platform: r.platform,
  model: r.model,
  os_version: r.osVersion,
  os_key: r.osVersion === null ? null : versionKey(r.osVersion),
  build_version: r.buildVersion,
  latest_version: r.latestVersion,
  latest_build: r.latestBuild,
  latest_in_major_version: r.latestInMajorVersion,
  newest_major: r.newestMajor,
  on_latest: Number(r.onLatest),
  major_behind: Number(r.majorBehind),
  releases_behind: r.releasesBehind,
  days_behind: r.daysBehind,
  cve_count: r.cveCount,
  exploited_count: r.exploitedCount,
  update_allowed: Number(r.updateAllowed),
  major_upgrade_allowed: Number(r.majorUpgradeAllowed),
  reason: r.reason,
  detail: JSON.stringify(r.detail ?? null),
  computed_at: r.computedAt.getTime(),
  catalog_stamp: r.catalogStamp,
});

const record = (r: DevicePostureTable): PostureRecord => ({
  deviceId: r.device_id,
  platform: r.platform as Platform | null,
  model: r.model,
  osVersion: r.os_version,
  buildVersion: r.build_version,
  latestVersion: r.latest_version,
  latestBuild: r.latest_build,
  latestInMajorVersion: r.latest_in_major_version,
  newestMajor: r.newest_major,
  onLatest: Boolean(r.on_latest),
  majorBehind: Boolean(r.major_behind),
  releasesBehind: Number(r.releases_behind),
  daysBehind: Number(r.days_behind),
  cveCount: Number(r.cve_count),
  exploitedCount: Number(r.exploited_count),
  updateAllowed: Boolean(r.update_allowed),
  majorUpgradeAllowed: Boolean(r.major_upgrade_allowed),
  reason: r.reason,
  detail: JSON.parse(r.detail) as unknown,
  computedAt: new Date(Number(r.computed_at)),
  catalogStamp: r.catalog_stamp,
});

const job = (r: PostureJobsTable): PostureJob => ({
  name: r.name,
  owner: r.owner,
  leaseUntil: new Date(Number(r.lease_until)),
  stamp: r.stamp,
  cursor: r.cursor,
  done: Number(r.done),
  doneStamp: r.done_stamp,
  updatedAt: new Date(Number(r.updated_at)),
});

export const POSTURE_COLUMNS = ['device_id', ...COLUMNS] as const;
const ALL = POSTURE_COLUMNS;
const INTEGER = new Set<string>(['on_latest', 'major_behind', 'releases_behind', 'days_behind', 'cve_count', 'exploited_count', 'update_allowed', 'major_upgrade_allowed']);
/** The SET list of the upsert: every column from the row proposed. */
export const POSTURE_UPDATE = COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ');
const update = sql.raw(POSTURE_UPDATE);
const columnList = sql.raw(ALL.join(', '));

/**
 * One statement for many rows, with a fixed number of parameters: per-row VALUES would make both
 * drivers (and Kysely) handle tens of thousands of parameters. PostgreSQL unnests one typed array
 * per column; SQLite reads one JSON array of rows.
 */
function upsertStatement(dialect: Dialect, rows: DevicePostureTable[]) {
  if (dialect === 'postgres') {
    const arrays = ALL.map((c) => {
      const type = c === 'computed_at' ? 'bigint' : INTEGER.has(c) ? 'integer' : 'text';
      return sql`${rows.map((r) => r[c])}::${sql.raw(type)}[]`;
    });
    return sql`insert into device_posture (${columnList}) select * from unnest(${sql.join(arrays)})
      on conflict (device_id) do update set ${update}`;
  }
  const picks = sql.raw(ALL.map((c, i) => `value ->> ${i}`).join(', '));
  return sql`insert into device_posture (${columnList}) select ${picks} from json_each(${JSON.stringify(rows.map((r) => ALL.map((c) => r[c])))}) where true
    on conflict (device_id) do update set ${update}`;
}

const EMPTY: PostureCounts = { devices: 0, onLatest: 0, behind: 0, majorBehind: 0, exposedActivelyExploited: 0, unknown: 0, majorUpgradeAllowed: 0 };

export function postureStore(ctx: Ctx): PostureStore {
  const db = ctx.db as unknown as Kysely<PostureDb>;
  return {
    async upsertPostures(records) {
      if (records.length === 0) return;
      // The last record of a device wins (one statement cannot touch a row twice on PostgreSQL).
      const rows = [...new Map(records.map((r) => [r.deviceId, postureRow(r)])).values()];
      await inParts(db, chunks(rows, 5000), (d, part) => upsertStatement(ctx.dialect, part).execute(d));
    },

    async getPosture(deviceId) {
      const r = await db.selectFrom('device_posture').selectAll().where('device_id', '=', deviceId).executeTakeFirst();
      return r ? record(r) : null;
    },

    async getPostures(deviceIds) {
      const out: PostureRecord[] = [];
      for (const part of chunks(deviceIds, 1000)) {
        const rows = await db.selectFrom('device_posture').selectAll().where(oneOf(ctx.dialect, 'device_id', part)).execute();
        out.push(...rows.map(record));
      }
      const order = new Map(deviceIds.map((id, i) => [id, i]));
      return out.sort((a, b) => order.get(a.deviceId)! - order.get(b.deviceId)!);
    },

    async deletePosture(deviceId) {
      await db.deleteFrom('device_posture').where('device_id', '=', deviceId).execute();
    },

    async postureSummary(filter, stamp) {
      let q = db
        .selectFrom('device_posture')
        .select((eb) => [
          'platform',
          'os_key',
          'os_version',
          eb.fn.countAll().as('devices'),
          sql<number>`sum(on_latest)`.as('on_latest'),
          sql<number>`sum(case when releases_behind > 0 then 1 else 0 end)`.as('behind'),
          sql<number>`sum(major_behind)`.as('major_behind'),
          sql<number>`sum(case when exploited_count > 0 then 1 else 0 end)`.as('exposed'),
          sql<number>`sum(case when latest_version is null then 1 else 0 end)`.as('unknown'),
          sql<number>`sum(major_upgrade_allowed)`.as('major_upgrade_allowed'),
          sql<number>`sum(case when catalog_stamp <> ${stamp} then 1 else 0 end)`.as('outdated'),
          eb.fn.min('computed_at').as('oldest'),
        ])
        .groupBy(['platform', 'os_key', 'os_version']);
      if (filter.platform) q = q.where('platform', '=', filter.platform);
      if (filter.model) q = q.where('model', '=', filter.model);
      if (filter.osMin) q = q.where('os_key', '>=', versionBoundKey(filter.osMin, 'min'));
      if (filter.osMax) q = q.where('os_key', '<=', versionBoundKey(filter.osMax, 'max'));
      const groups = await q.execute();
      const byVersion: PostureVersionCounts[] = groups
        .map((g) => ({
          key: g.os_key ?? '',
          platform: g.platform as Platform | null,
          osVersion: g.os_version,
          devices: Number(g.devices),
          onLatest: Number(g.on_latest),
          behind: Number(g.behind),
          majorBehind: Number(g.major_behind),
          exposedActivelyExploited: Number(g.exposed),
          unknown: Number(g.unknown),
          majorUpgradeAllowed: Number(g.major_upgrade_allowed),
        }))
        .sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : (a.platform ?? '').localeCompare(b.platform ?? '')))
        .map(({ key: _key, ...counts }) => counts);
      const totals = { ...EMPTY };
      for (const g of byVersion) for (const k of Object.keys(EMPTY) as (keyof PostureCounts)[]) totals[k] += g[k];
      const oldest = groups.reduce<number | null>((m, g) => (g.oldest === null ? m : m === null ? Number(g.oldest) : Math.min(m, Number(g.oldest))), null);
      return {
        ...totals,
        byVersion,
        outdated: groups.reduce((n, g) => n + Number(g.outdated), 0),
        oldestComputedAt: oldest === null ? null : new Date(oldest),
      };
    },

    async inventoryDeviceIds(after, limit) {
      let q = db.selectFrom('device_inventory').select('device_id').orderBy('device_id').limit(limit);
      if (after !== null) q = q.where('device_id', '>', after);
      return (await q.execute()).map((r) => r.device_id);
    },

    async getPostureJob(name) {
      const r = await db.selectFrom('posture_jobs').selectAll().where('name', '=', name).executeTakeFirst();
      return r ? job(r) : null;
    },

    async claimPostureJob(name, owner, stamp, now, leaseUntil) {
      const t = now.getTime();
      await db
        .insertInto('posture_jobs')
        .values({ name, owner: null, lease_until: 0, stamp: null, cursor: null, done: 0, done_stamp: null, updated_at: t })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      // Right-hand sides see the row as it was, so a new stamp restarts cursor and count.
      const r = await db
        .updateTable('posture_jobs')
        .set({
          owner,
          lease_until: leaseUntil.getTime(),
          cursor: sql`case when stamp = ${stamp} then cursor else null end`,
          done: sql`case when stamp = ${stamp} then done else 0 end`,
          stamp,
          updated_at: t,
        })
        .where('name', '=', name)
        .where((eb) => eb.or([eb('owner', 'is', null), eb('owner', '=', owner), eb('lease_until', '<', t)]))
        .where((eb) => eb.or([eb('done_stamp', 'is', null), eb('done_stamp', '<>', stamp)]))
        .returningAll()
        .executeTakeFirst();
      return r ? job(r) : null;
    },

    async advancePostureJob(name, owner, cursor, done, now, leaseUntil) {
      const r = await db
        .updateTable('posture_jobs')
        .set({ cursor, done, lease_until: leaseUntil.getTime(), updated_at: now.getTime() })
        .where('name', '=', name)
        .where('owner', '=', owner)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    async finishPostureJob(name, owner, now) {
      const r = await db
        .updateTable('posture_jobs')
        .set({ done_stamp: sql`stamp`, owner: null, cursor: null, lease_until: 0, updated_at: now.getTime() })
        .where('name', '=', name)
        .where('owner', '=', owner)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
  };
}
