// The dashboard's fleet queries (types-fleet.ts): the device list is one statement over the device
// channels of `enrollments`, joined to their inventory and stored posture, filtered, sorted and paged
// in SQL, with its total counted by the same WHERE; the same text on SQLite and PostgreSQL.
import { sql, type RawBuilder } from 'kysely';
import type { Ctx } from './context.js';
import { toDate } from './context.js';
import type { EnrollmentType, Platform } from '../mdm/types.js';
import type { DeviceListQuery, DeviceListRow, DeviceSort, FleetStore } from './types-fleet.js';

const SORT_COLUMNS: Record<DeviceSort, string[]> = {
  name: ['e.device_name'],
  serial: ['e.serial_number'],
  model: ['e.model'],
  os: ['p.os_key', 'e.os_version'],
  seen: ['e.last_seen_at'],
  type: ['e.type'],
  behind: ['p.releases_behind', 'p.major_behind'],
};

const likeAny = (s: string): string => '%' + s.replace(/[\\%_]/g, (c) => '\\' + c) + '%';

interface Row {
  id: string; type: string; device_name: string | null; serial_number: string | null; model: string | null; model_name: string | null;
  platform: string | null; os_version: string | null; last_seen_at: number | string | null; enabled: number | string;
  is_supervised: number | string | null; on_latest: number | string | null; releases_behind: number | string | null;
  major_behind: number | string | null; exploited_count: number | string | null; latest_version: string | null; reason: string | null;
}

const flag = (v: number | string | null): boolean | null => (v === null ? null : Number(v) === 1);

function toRow(r: Row): DeviceListRow {
  return {
    id: r.id,
    type: r.type as EnrollmentType,
    deviceName: r.device_name,
    serialNumber: r.serial_number,
    model: r.model,
    modelName: r.model_name,
    platform: r.platform as Platform | null,
    osVersion: r.os_version,
    lastSeenAt: toDate(r.last_seen_at === null ? null : Number(r.last_seen_at)),
    enabled: Number(r.enabled) === 1,
    supervised: flag(r.is_supervised),
    posture: r.on_latest === null ? null : {
      onLatest: Number(r.on_latest) === 1,
      releasesBehind: Number(r.releases_behind),
      majorBehind: Number(r.major_behind) === 1,
      exploitedCount: Number(r.exploited_count),
      latestVersion: r.latest_version,
      reason: r.reason,
    },
  };
}

export function fleetStore({ db, dialect }: Ctx): FleetStore {
  const like = dialect === 'postgres' ? sql.raw('ilike') : sql.raw('like');

  function where(q: DeviceListQuery): RawBuilder<unknown> {
    const c: RawBuilder<unknown>[] = [sql`e.id = e.device_id`];
    const s = q.search?.trim();
    if (s) {
      const pat = likeAny(s);
      c.push(sql`(e.device_name ${like} ${pat} escape '\\' or e.serial_number ${like} ${pat} escape '\\' or e.model ${like} ${pat} escape '\\' or e.id ${like} ${pat} escape '\\')`);
    }
    if (q.platform) c.push(sql`e.platform = ${q.platform}`);
    if (q.osVersion) c.push(sql`e.os_version = ${q.osVersion}`);
    if (q.model) c.push(sql`e.model = ${q.model}`);
    if (q.type) c.push(sql`e.type = ${q.type}`);
    if (q.supervised !== undefined) c.push(q.supervised ? sql`i.is_supervised = 1` : sql`(i.is_supervised = 0 or i.is_supervised is null)`);
    if (q.seenBefore) c.push(sql`(e.last_seen_at < ${q.seenBefore.getTime()} or e.last_seen_at is null)`);
    switch (q.posture) {
      case 'latest': c.push(sql`p.on_latest = 1`); break;
      case 'behind': c.push(sql`p.releases_behind > 0`); break;
      case 'major_behind': c.push(sql`p.major_behind = 1`); break;
      case 'exploited': c.push(sql`p.exploited_count > 0`); break;
      case 'unknown': c.push(sql`p.device_id is null`); break;
    }
    if (q.behindMin !== undefined) c.push(sql`p.releases_behind >= ${q.behindMin}`);
    if (q.behindMax !== undefined) c.push(sql`p.releases_behind <= ${q.behindMax}`);
    return sql.join(c, sql` and `);
  }

  /** Whether the filters need a posture row (an inner join: the planner may then start from a posture index). */
  const filtersPosture = (q: DeviceListQuery): boolean =>
    (q.posture !== undefined && q.posture !== 'unknown') || q.behindMin !== undefined || q.behindMax !== undefined;

  /**
   * The joins a statement needs: `rows` reads every column; the page's choice reads what its filters
   * and order need (`sorted`), the count only what its filters need.
   */
  function joins(q: DeviceListQuery, use: 'rows' | 'page' | 'count'): RawBuilder<unknown> {
    const posture = use === 'rows' || filtersPosture(q) || q.posture === 'unknown' || (use === 'page' && (q.sort === 'os' || q.sort === 'behind'));
    const inventory = use === 'rows' || q.supervised !== undefined;
    return sql.join([
      sql``,
      ...(inventory ? [sql`left join device_inventory i on i.device_id = e.id`] : []),
      ...(posture ? [use !== 'rows' && filtersPosture(q) ? sql`join device_posture p on p.device_id = e.id` : sql`left join device_posture p on p.device_id = e.id`] : []),
    ], sql` `);
  }

  return {
    async deviceList(q) {
      const limit = Math.min(Math.max(q.limit ?? 50, 1), 500);
      const offset = Math.max(q.offset ?? 0, 0);
      // Missing values first going up, last going down: the order the (NULLS FIRST) indexes hold.
      const dir = sql.raw(q.desc ? 'desc' : 'asc');
      const nulls = sql.raw(q.desc ? 'nulls last' : 'nulls first');
      const order = sql.join(
        [...SORT_COLUMNS[q.sort ?? 'name'].map((col) => sql`${sql.raw(col)} ${dir} ${nulls}`), sql`e.id ${dir}`],
        sql`, `,
      );
      const w = where(q);
      // The page is chosen with only the joins its filters and order need, then its 50 rows are read whole.
      const [rows, count] = await Promise.all([
        sql<Row>`with page as (select e.id from enrollments e ${joins(q, 'page')} where ${w} order by ${order} limit ${limit} offset ${offset})
          select e.id, e.type, e.device_name, e.serial_number, e.model, e.model_name, e.platform, e.os_version, e.last_seen_at,
            e.enabled, i.is_supervised, p.on_latest, p.releases_behind, p.major_behind, p.exploited_count, p.latest_version, p.reason
          from page join enrollments e on e.id = page.id ${joins(q, 'rows')} order by ${order}`.execute(db),
        sql<{ n: number | string }>`select count(*) as n from enrollments e ${joins(q, 'count')} where ${w}`.execute(db),
      ]);
      return { rows: rows.rows.map(toRow), total: Number(count.rows[0]?.n ?? 0) };
    },

    async fleetOverview(now, notSeenDays) {
      const seen = notSeenDays.map((d, i) => sql`sum(case when e.last_seen_at is null or e.last_seen_at < ${now.getTime() - d * 86_400_000} then 1 else 0 end) as ${sql.ref(`s${i}`)}`);
      const [totals, behind] = await Promise.all([
        sql<Record<string, number | string | null>>`select count(*) as n${seen.length ? sql`, ${sql.join(seen, sql`, `)}` : sql``} from enrollments e where e.id = e.device_id`.execute(db),
        sql<{ r: number | string; n: number | string }>`select releases_behind as r, count(*) as n from device_posture
          where releases_behind > 0 group by releases_behind order by releases_behind`.execute(db),
      ]);
      const t = totals.rows[0] ?? {};
      return {
        devices: Number(t.n ?? 0),
        behindBy: behind.rows.map((r) => ({ releases: Number(r.r), devices: Number(r.n) })),
        notSeen: notSeenDays.map((days, i) => ({ days, devices: Number(t[`s${i}`] ?? 0) })),
      };
    },

    async campaignDoneSeries(campaignId, bucketMs) {
      const size = Math.max(1, Math.floor(bucketMs));
      const rows = await sql<{ b: number | string; n: number | string }>`select (done_at - (done_at % ${size})) as b, count(*) as n from campaign_devices
        where campaign_id = ${campaignId} and state = 'done' and done_at is not null group by 1 order by 1`.execute(db);
      return rows.rows.map((r) => ({ at: new Date(Number(r.b)), done: Number(r.n) }));
    },
  };
}
