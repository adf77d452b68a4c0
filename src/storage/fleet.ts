// The dashboard's fleet queries (types-fleet.ts): the device list is one statement over the device
// channels of `enrollments`, joined to their inventory and stored posture, filtered, sorted and paged
// in SQL, with its total counted by the same WHERE (up to a cap); one text on SQLite and PostgreSQL
// but for the device-channel test, the prefix search and SQLite's choice of plan (each explained below).
import { sql, type RawBuilder } from 'kysely';
import type { Ctx } from './context.js';
import { toDate } from './context.js';
import type { EnrollmentType, Platform } from '../mdm/types.js';
import { COUNT_CAP, type DeviceListQuery, type DeviceListRow, type DeviceSort, type FleetStore } from './types-fleet.js';

/** Sorts by a column of the device's enrollment (each with its index, 012 and 016); 'behind' is by posture. */
type OwnSort = Exclude<DeviceSort, 'behind'>;
const SORT_COLUMNS: Record<OwnSort, string> = {
  name: 'e.device_name',
  serial: 'e.serial_number',
  model: 'e.model',
  os: 'e.os_key',
  seen: 'e.last_seen_at',
  type: 'e.type',
};

const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => '\\' + c);
/** Past every character a prefix may be followed by (U+10FFFF): the upper bound of a prefix range. */
const LAST_CHAR = String.fromCodePoint(0x10ffff);
/** The columns search matches the start of, each with its lower() index (migration 016). */
const SEARCH_COLUMNS = ['device_name', 'serial_number', 'model', 'id'] as const;
/** Up to this many matches SQLite reads them all and sorts them; past it, it walks the sort index. */
const SPARSE = 2000;

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
  // A device channel (not a user channel), as the partial indexes of migrations 012 and 016 say it:
  // on PostgreSQL a generated boolean column the planner has statistics for (see 016).
  const deviceChannel = dialect === 'postgres' ? sql`e.device_channel` : sql`e.id = e.device_id`;
  /** An inner join whose left table SQLite must read first (its CROSS JOIN); PostgreSQL plans it by its statistics. */
  const outerFirst = dialect === 'sqlite' ? sql`cross join` : sql`join`;
  /**
   * A case-insensitive prefix match on lower(column), which migration 016 indexes (on every
   * channel: SQLite's OR of index ranges cannot use partial indexes): LIKE 'abc%' on PostgreSQL (a text_pattern_ops index), a range on SQLite (whose LIKE
   * cannot use an expression index). Each database lowers both sides with its own lower().
   */
  function startsWith(column: string, s: string): RawBuilder<unknown> {
    const col = sql`lower(${sql.ref(`e.${column}`)})`;
    return dialect === 'postgres'
      ? sql`${col} like lower(${escapeLike(s) + '%'}) escape '\\'`
      : sql`(${col} >= lower(${s}) and ${col} < lower(${s}) || ${LAST_CHAR})`;
  }

  function where(q: DeviceListQuery): RawBuilder<unknown> {
    const c: RawBuilder<unknown>[] = [deviceChannel];
    const s = q.search?.trim();
    if (s) c.push(sql`(${sql.join(SEARCH_COLUMNS.map((col) => startsWith(col, s)), sql` or `)})`);
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
      // As the fleet page counts it: no posture, or one computed without a catalog entry for the device.
      case 'unknown': c.push(sql`(p.device_id is null or p.latest_version is null)`); break;
    }
    if (q.behindMin !== undefined) c.push(sql`p.releases_behind >= ${q.behindMin}`);
    if (q.behindMax !== undefined) c.push(sql`p.releases_behind <= ${q.behindMax}`);
    return sql.join(c, sql` and `);
  }

  const unfiltered = (q: DeviceListQuery): boolean =>
    !q.search?.trim() && [q.platform, q.osVersion, q.model, q.type, q.supervised, q.seenBefore, q.posture, q.behindMin, q.behindMax].every((v) => v === undefined || v === '');

  /** Whether a filter has an index that finds its matches (search, last check-in, exploited, releases behind). */
  const indexedFilter = (q: DeviceListQuery): boolean =>
    Boolean(q.search?.trim()) || q.seenBefore !== undefined || q.posture === 'exploited' || q.posture === 'behind' || q.behindMin !== undefined || q.behindMax !== undefined;

  /** Whether the filters need a posture row (an inner join: the planner may then start from a posture index). */
  const filtersPosture = (q: DeviceListQuery): boolean =>
    (q.posture !== undefined && q.posture !== 'unknown') || q.behindMin !== undefined || q.behindMax !== undefined;

  /**
   * The joins a statement needs: `rows` reads every column; the page's choice reads what its filters
   * and order need, the count only what its filters need. `scan`: SQLite must walk the devices in
   * their sort index and look each posture up (CROSS JOIN fixes that order), not start from a posture index.
   */
  function joins(q: DeviceListQuery, use: 'rows' | 'page' | 'count', scan = false): RawBuilder<unknown> {
    const posture = use === 'rows' || filtersPosture(q) || q.posture === 'unknown';
    const inventory = use === 'rows' || q.supervised !== undefined;
    const inner = use !== 'rows' && filtersPosture(q);
    return sql.join([
      sql``,
      ...(inventory ? [sql`left join device_inventory i on i.device_id = e.id`] : []),
      ...(posture ? [inner ? sql`${scan ? outerFirst : sql`join`} device_posture p on p.device_id = e.id` : sql`left join device_posture p on p.device_id = e.id`] : []),
    ], sql` `);
  }

  async function countOf(q: DeviceListQuery, w: RawBuilder<unknown>): Promise<number> {
    // The whole fleet is counted exactly (one partial index); a filtered list up to the cap.
    const r = unfiltered(q)
      ? await sql<{ n: number | string }>`select count(*) as n from enrollments e where ${w}`.execute(db)
      : await sql<{ n: number | string }>`select count(*) as n from (select 1 as one from enrollments e ${joins(q, 'count')} where ${w} limit ${COUNT_CAP + 1}) c`.execute(db);
    return Number(r.rows[0]?.n ?? 0);
  }

  const ids = (r: { rows: Array<{ id: string }> }): string[] => r.rows.map((x) => x.id);

  /** A page (k ids from offset) in an order of the device's own columns; n: SQLite's count, which picks the plan. */
  async function ownOrderPage(q: DeviceListQuery, sort: OwnSort, k: number, offset: number, n: number | null): Promise<string[]> {
    // How SQLite finds a filtered page (it keeps no statistics to choose by; PostgreSQL has them):
    // few matches that a filter's index finds, read them by it and sort them (`+column` keeps the
    // sort index from being walked); otherwise walk the sort index and stop at the page's end (`scan`).
    const filtered = n !== null && !unfiltered(q);
    const sortFew = filtered && n <= SPARSE && indexedFilter(q);
    const scan = filtered && !sortFew;
    // Missing values first going up, last going down: the order the (NULLS FIRST) indexes hold.
    const dir = sql.raw(q.desc ? 'desc' : 'asc');
    const nulls = sql.raw(q.desc ? 'nulls last' : 'nulls first');
    const order = sql.join([sql`${sql.raw(sortFew ? `+${SORT_COLUMNS[sort]}` : SORT_COLUMNS[sort])} ${dir} ${nulls}`, sql`e.id ${dir}`], sql`, `);
    return ids(await sql<{ id: string }>`select e.id from enrollments e ${joins(q, 'page', scan)} where ${where(q)} order by ${order} limit ${k} offset ${offset}`.execute(db));
  }

  /**
   * A page by posture (releases behind, then whether a newer major is open): devices with a posture
   * in the order of their posture index, then (either direction) those without one, by id.
   */
  async function behindPage(q: DeviceListQuery, k: number, offset: number): Promise<string[]> {
    const dir = sql.raw(q.desc ? 'desc' : 'asc');
    const inventory = q.supervised !== undefined ? sql`left join device_inventory i on i.device_id = e.id` : sql``;
    const withPosture = sql`from device_posture p ${outerFirst} enrollments e on e.id = p.device_id ${inventory} where ${where(q)}`;
    const first = ids(await sql<{ id: string }>`select e.id ${withPosture}
      order by p.releases_behind ${dir}, p.major_behind ${dir}, p.device_id ${dir} limit ${k} offset ${offset}`.execute(db));
    if (first.length === k || filtersPosture(q)) return first;
    // Past the devices with a posture: how many there are, when this page starts after them.
    const before = first.length > 0 ? offset + first.length
      : Number((await sql<{ n: number | string }>`select count(*) as n ${withPosture}`.execute(db)).rows[0]?.n ?? 0);
    const rest = await sql<{ id: string }>`select e.id from enrollments e ${inventory} where ${where({ ...q, posture: undefined })}
      and not exists (select 1 from device_posture p where p.device_id = e.id)
      order by e.id ${dir} limit ${k - first.length} offset ${Math.max(0, offset + first.length - before)}`.execute(db);
    return [...first, ...ids(rest)];
  }

  /** The list's columns for these devices, in this order. */
  async function rowsOf(list: string[]): Promise<Row[]> {
    if (list.length === 0) return [];
    const r = await sql<Row>`select e.id, e.type, e.device_name, e.serial_number, e.model, e.model_name, e.platform, e.os_version, e.last_seen_at,
        e.enabled, i.is_supervised, p.on_latest, p.releases_behind, p.major_behind, p.exploited_count, p.latest_version, p.reason
      from enrollments e ${joins({}, 'rows')} where e.id in (${sql.join(list)})`.execute(db);
    const at = new Map(list.map((id, i) => [id, i]));
    return r.rows.sort((a, b) => at.get(a.id)! - at.get(b.id)!);
  }

  return {
    async deviceList(q) {
      const limit = Math.min(Math.max(q.limit ?? 50, 1), 500);
      const offset = Math.max(q.offset ?? 0, 0);
      const sort = q.sort ?? 'name';
      // One more than asked: whether a next page exists. The page's ids are chosen with only the
      // joins its filters and order need, then its rows are read whole.
      const page = async (n: number | null) => rowsOf(sort === 'behind' ? await behindPage(q, limit + 1, offset) : await ownOrderPage(q, sort, limit + 1, offset, n));
      // SQLite counts first (the count picks the page's plan); PostgreSQL counts beside the page.
      const [n, rows] = dialect === 'sqlite'
        ? await (async () => { const n = await countOf(q, where(q)); return [n, await page(n)] as const; })()
        : await Promise.all([countOf(q, where(q)), page(null)]);
      const capped = !unfiltered(q) && n > COUNT_CAP;
      return { rows: rows.slice(0, limit).map(toRow), total: capped ? COUNT_CAP : n, capped, more: rows.length > limit };
    },

    async fleetOverview(now, notSeenDays) {
      // Each figure is one count over an index range (012's partial index on last_seen_at).
      const devices = sql`from enrollments e where ${deviceChannel}`;
      const n = async (q: RawBuilder<unknown>): Promise<number> => Number((await sql<{ n: number | string }>`select count(*) as n ${q}`.execute(db)).rows[0]?.n ?? 0);
      const [total, never, seen, behind] = await Promise.all([
        n(devices),
        n(sql`${devices} and e.last_seen_at is null`),
        Promise.all(notSeenDays.map((d) => n(sql`${devices} and e.last_seen_at < ${now.getTime() - d * 86_400_000}`))),
        sql<{ r: number | string; n: number | string }>`select releases_behind as r, count(*) as n from device_posture
          where releases_behind > 0 group by releases_behind order by releases_behind`.execute(db),
      ]);
      return {
        devices: total,
        behindBy: behind.rows.map((r) => ({ releases: Number(r.r), devices: Number(r.n) })),
        notSeen: notSeenDays.map((days, i) => ({ days, devices: seen[i]! + never })),
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
