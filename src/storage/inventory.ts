// Device inventory: the row per device channel, its history, and the schedule's bookkeeping.
// An upsert reads the row (locked on PostgreSQL), diffs the patch against it, and writes the row,
// one history row per changed field and the enrollment's own inventory columns in one transaction.
import { sql, type Kysely, type QueryCreator, type Selectable } from 'kysely';
import type { DeviceInventory, InventoryChange, InventoryPatch } from '../osupdate/types.js';
import type { Platform } from '../mdm/types.js';
import type { Database } from './schema.js';
import type { DueInventory, InventoryStore, InventoryUpsertOptions, InventoryUpsertResult } from './types-inventory.js';
import { inventoryPhase, type InventoryDb, type InventoryTables } from './inventory-schema.js';
import { chunks, inList, listParam, oneOf, toDate, type Ctx } from './context.js';
import { first, memoQuery } from './memo.js';
import { versionKey } from '../mdm/version.js';

type Row = Selectable<InventoryTables['device_inventory']>;
type Field = keyof InventoryPatch;

const TEXT = {
  platform: 'platform',
  osVersion: 'os_version',
  buildVersion: 'build_version',
  supplementalBuildVersion: 'supplemental_build_version',
  supplementalOsVersionExtra: 'supplemental_os_version_extra',
  productName: 'product_name',
  model: 'model',
  modelNumber: 'model_number',
  modelName: 'model_name',
  softwareUpdateDeviceId: 'software_update_device_id',
  boardId: 'board_id',
  serialNumber: 'serial_number',
  deviceName: 'device_name',
} as const satisfies Partial<Record<Field, keyof Row>>;

const FLAG = {
  isSupervised: 'is_supervised',
  isAppleSilicon: 'is_apple_silicon',
  isUserEnrollment: 'is_user_enrollment',
  enrolledViaDep: 'enrolled_via_dep',
  bootstrapTokenRequiredForSoftwareUpdate: 'bootstrap_token_required',
  bootstrapTokenEscrowed: 'bootstrap_token_escrowed',
} as const satisfies Partial<Record<Field, keyof Row>>;

/** Kept in the JSON column. */
const JSON_FIELDS = [
  'modelMarketingName', 'osMarketingName', 'availableDeviceCapacity', 'deviceCapacity', 'batteryLevel', 'osUpdateSettings',
  'lastUpdateAttempt', 'pendingUpdate', 'timeZone',
] as const;

/** Every patchable field, in the order changes are reported. */
const FIELDS: readonly Field[] = [...Object.keys(TEXT), ...Object.keys(FLAG), ...JSON_FIELDS] as Field[];

/** Fields that change at nearly every report: kept current, not in the history. */
const UNTRACKED: ReadonlySet<Field> = new Set(['batteryLevel', 'availableDeviceCapacity']);

/** The enrollment columns that mirror inventory fields (GET /v1/enrollments filters on them). */
const ENROLLMENT = {
  platform: 'platform',
  osVersion: 'os_version',
  buildVersion: 'build_version',
  model: 'model',
  modelName: 'model_name',
  productName: 'product_name',
  serialNumber: 'serial_number',
  deviceName: 'device_name',
} as const satisfies Partial<Record<Field, keyof Database['enrollments']>>;

/** The enrollment's sortable OS key (the device list's OS order): 9.x before 10.x. */
export const osKey = (version: string | null): string | null => (version === null || version === '' ? null : versionKey(version));

const flag = (v: number | null): boolean | null => (v === null ? null : v === 1);
const toFlag = (v: boolean | null | undefined): number | null => (v === null || v === undefined ? null : v ? 1 : 0);

function parseData(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function attemptOf(v: unknown): DeviceInventory['lastUpdateAttempt'] {
  if (typeof v !== 'object' || v === null) return null;
  const a = v as Record<string, unknown>;
  return { ...(a as unknown as NonNullable<DeviceInventory['lastUpdateAttempt']>), at: new Date(String(a.at)) };
}

export function toInventory(r: Row): DeviceInventory {
  const d = parseData(r.data);
  const num = (k: string) => (typeof d[k] === 'number' ? (d[k] as number) : null);
  const str = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : null);
  return {
    deviceId: r.device_id,
    platform: r.platform as Platform | null,
    osVersion: r.os_version,
    buildVersion: r.build_version,
    supplementalBuildVersion: r.supplemental_build_version,
    supplementalOsVersionExtra: r.supplemental_os_version_extra,
    productName: r.product_name,
    model: r.model,
    modelNumber: r.model_number,
    modelName: r.model_name,
    softwareUpdateDeviceId: r.software_update_device_id,
    boardId: r.board_id,
    serialNumber: r.serial_number,
    deviceName: r.device_name,
    modelMarketingName: str('modelMarketingName'),
    osMarketingName: str('osMarketingName'),
    isSupervised: flag(r.is_supervised),
    isAppleSilicon: flag(r.is_apple_silicon),
    isUserEnrollment: flag(r.is_user_enrollment),
    enrolledViaDep: flag(r.enrolled_via_dep),
    bootstrapTokenRequiredForSoftwareUpdate: flag(r.bootstrap_token_required),
    bootstrapTokenEscrowed: r.bootstrap_token_escrowed === 1,
    availableDeviceCapacity: num('availableDeviceCapacity'),
    deviceCapacity: num('deviceCapacity'),
    batteryLevel: num('batteryLevel'),
    osUpdateSettings: (d.osUpdateSettings as Record<string, unknown> | undefined) ?? null,
    lastUpdateAttempt: attemptOf(d.lastUpdateAttempt),
    pendingUpdate: (d.pendingUpdate as DeviceInventory['pendingUpdate'] | undefined) ?? null,
    timeZone: str('timeZone'),
    informationAt: toDate(r.information_at),
    queriedAt: toDate(r.queried_at),
    updatedAt: toDate(r.updated_at),
  };
}

/** JSON text with object keys sorted, so equal values compare equal however the device ordered them. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    typeof x === 'object' && x !== null && !Array.isArray(x)
      ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, (x as Record<string, unknown>)[k]]))
      : x,
  );
}

/** What a change is judged on: an update attempt's time alone is no change. */
function comparable(field: Field, v: unknown): string {
  if (field === 'lastUpdateAttempt' && v && typeof v === 'object') {
    const { at: _, ...rest } = v as Record<string, unknown>;
    return canonical(rest);
  }
  return canonical(v ?? null);
}

/** A patch applied to the row as read: the inventory after it, the changes for the history and the columns to write. */
function diff(row: Row, deviceId: string, patch: InventoryPatch, at: Date, opts: InventoryUpsertOptions) {
  const now = at.getTime();
  const before = toInventory(row);
  const after: DeviceInventory = { ...before };
  const changes: InventoryChange[] = [];
  for (const field of FIELDS) {
    const value = patch[field];
    if (value === undefined) continue;
    (after as unknown as Record<string, unknown>)[field] = value;
    if (comparable(field, before[field]) !== comparable(field, value) && !UNTRACKED.has(field)) {
      changes.push({ deviceId, field, oldValue: before[field], newValue: value, at });
    }
  }
  const set: Partial<Record<keyof Row, unknown>> = { updated_at: now };
  for (const [field, column] of Object.entries(TEXT) as Array<[keyof typeof TEXT, (typeof TEXT)[keyof typeof TEXT]]>) {
    if (patch[field] !== undefined) set[column] = after[field];
  }
  for (const [field, column] of Object.entries(FLAG) as Array<[keyof typeof FLAG, (typeof FLAG)[keyof typeof FLAG]]>) {
    if (patch[field] !== undefined) set[column] = toFlag(after[field]) ?? (column === 'bootstrap_token_escrowed' ? 0 : null);
  }
  if (JSON_FIELDS.some((f) => patch[f] !== undefined)) {
    set.data = JSON.stringify({ ...parseData(row.data), ...Object.fromEntries(JSON_FIELDS.filter((f) => patch[f] !== undefined).map((f) => [f, patch[f]])) });
  }
  if (opts.information) set.information_at = now;
  if (opts.security) set.security_at = now;
  return { after, changes, set };
}

/** The history rows of changes (values as JSON text). */
const historyRows = (changes: InventoryChange[]) =>
  changes.map((c) => ({ field: c.field, old_value: JSON.stringify(c.oldValue ?? null), new_value: JSON.stringify(c.newValue ?? null) }));

/**
 * A new device's row as applyInventory leaves it when `seed` inserts it (so PostgreSQL's Authenticate
 * can insert it final, history and all, in its one statement), and the history rows to record.
 */
export function seededInventory(deviceId: string, patch: InventoryPatch, at: Date) {
  const now = at.getTime();
  const fresh: Row = {
    device_id: deviceId, phase: inventoryPhase(deviceId), platform: null, os_version: null, build_version: null, supplemental_build_version: null,
    supplemental_os_version_extra: null, product_name: null, model: null, model_number: null, model_name: null, software_update_device_id: null,
    board_id: null, serial_number: null, device_name: null, is_supervised: null, is_apple_silicon: null, is_user_enrollment: null,
    enrolled_via_dep: null, bootstrap_token_required: null, bootstrap_token_escrowed: 0, data: '{}', information_at: null, security_at: null,
    queried_at: null, updated_at: now,
  };
  const { set, history } = inventoryUpdate(fresh, deviceId, patch, at);
  return { row: { ...fresh, ...set } as Row, history };
}

/** What `patch` writes to a device's row as read (SQLite's Authenticate, sqlite/checkin.ts): the columns to set and the history rows. */
export function inventoryUpdate(row: Row, deviceId: string, patch: InventoryPatch, at: Date) {
  const { changes, set } = diff(row, deviceId, patch, at, {});
  return { set, history: historyRows(changes) };
}

/**
 * The upsert inside a caller's transaction (enrollments.authenticate seeds the row in its own).
 * `syncEnrollment: false` when the caller has just written the enrollment's columns itself; `seed`
 * when the row is most likely new (Authenticate).
 */
// Every inventory write starts with one of these (memo.ts: built once): seed the row, or read it
// (locked on PostgreSQL, where answers of one device may race; SQLite writes one at a time).
const seedRow = memoQuery((db: InventoryDb, deviceId: string, phase: number, now: number) =>
  db
    .insertInto('device_inventory')
    .values({ device_id: deviceId, phase, bootstrap_token_escrowed: 0, data: '{}', updated_at: now })
    .onConflict((oc) => oc.column('device_id').doNothing())
    .returningAll());
const inventoryOf = memoQuery((db: InventoryDb, deviceId: string) => db.selectFrom('device_inventory').selectAll().where('device_id', '=', deviceId));
const lockRow = {
  sqlite: inventoryOf,
  postgres: memoQuery((db: InventoryDb, deviceId: string) => db.selectFrom('device_inventory').selectAll().where('device_id', '=', deviceId).forUpdate()),
};

export async function applyInventory(
  trx: Kysely<Database>,
  dialect: Ctx['dialect'],
  deviceId: string,
  patch: InventoryPatch,
  at: Date,
  opts: InventoryUpsertOptions & { syncEnrollment?: boolean } = {},
): Promise<InventoryUpsertResult> {
  const db = trx.withTables<InventoryTables>();
  const now = at.getTime();
  const insert = async () => first(await seedRow(db, deviceId, inventoryPhase(deviceId), now));
  const lock = async () => first(await lockRow[dialect](db, deviceId));
  // An Authenticate seeds the row (each backend's own, sqlite/checkin.ts and postgres/checkin.ts): an
  // answer finds it (read and lock), or inserts it when it has none yet (then reads it if another did).
  let row = await lock();
  let created = false;
  if (!row) {
    row = await insert();
    created = row !== undefined;
  }
  row ??= await lock();
  if (!row) throw new Error(`device_inventory ${deviceId}: neither inserted nor found`);
  const { after, changes, set } = diff(row, deviceId, patch, at, opts);
  type Q = QueryCreator<Database & InventoryTables>;
  const update = (q: Q) => q.updateTable('device_inventory').set(set as Partial<Row>).where('device_id', '=', deviceId);
  const history = (q: Q) => q.insertInto('inventory_history').values(historyRows(changes).map((h) => ({ device_id: deviceId, ...h, at: now })));
  if (changes.length > 0 && dialect === 'postgres') {
    // One statement on PostgreSQL: the history rows are a WITH of the update (the casts: WITH only adds its name to the type).
    await update(db.with('history', (w) => history(w as unknown as Q).returning('id')) as unknown as Q).execute();
  } else {
    await update(db).execute();
    if (changes.length > 0) await history(db).execute();
  }
  const mirrored: Partial<Record<(typeof ENROLLMENT)[keyof typeof ENROLLMENT], string>> = {};
  for (const [field, column] of Object.entries(ENROLLMENT) as Array<[keyof typeof ENROLLMENT, (typeof ENROLLMENT)[keyof typeof ENROLLMENT]]>) {
    const v = after[field];
    if (typeof v === 'string' && v !== '' && changes.some((c) => c.field === field)) mirrored[column] = v;
  }
  if (opts.syncEnrollment !== false && Object.keys(mirrored).length > 0) {
    const key = mirrored.os_version === undefined ? {} : { os_key: osKey(mirrored.os_version) };
    await trx.updateTable('enrollments').set({ ...mirrored, ...key, updated_at: now }).where('id', '=', deviceId).execute();
  }
  after.updatedAt = at;
  if (opts.information) after.informationAt = at;
  return { inventory: after, changes, created };
}

/**
 * The due test of one device: its latest slot (the last moment at or before `at` that is its offset
 * into an interval) came at least half an interval after it last answered or was asked. So each
 * device is asked at its own slot, once per interval; after an answer outside the schedule (an
 * enrollment) the next slot at least half an interval on.
 */
function dueWhere(at: Date, intervalMs: number) {
  const now = at.getTime();
  const interval = Math.max(2, Math.round(intervalMs));
  const half = Math.floor(interval / 2);
  const bound = sql<number>`(cast(${now - half} as bigint) - ((cast(${now} as bigint) - phase * cast(${interval} as bigint) / 65536) % cast(${interval} as bigint)))`;
  return sql<boolean>`coalesce(information_at, 0) < ${bound} and coalesce(queried_at, 0) < ${bound}`;
}

// queueInventoryOnce is each backend's own (postgres/enroll.ts, sqlite/enroll.ts).
export function inventoryStore({ db: base, dialect }: Ctx): Omit<InventoryStore, 'queueInventoryOnce'> {
  const db: InventoryDb = base.withTables<InventoryTables>();
  // Asked at each device's first TokenUpdate (memo.ts: built once).
  const queuedOf = memoQuery((d: InventoryDb, ids: string | string[], types: string | string[]) =>
    d
      .selectFrom('queue')
      .innerJoin('commands', 'commands.uuid', 'queue.command_uuid')
      .select(['queue.enrollment_id', 'commands.request_type'])
      .distinct()
      .where(inList(dialect, 'queue.enrollment_id', ids))
      .where('queue.status', '=', 'queued')
      .where(inList(dialect, 'commands.request_type', types)));
  return {
    upsertInventory: (deviceId, patch, at, opts) => base.transaction().execute((trx) => applyInventory(trx, dialect, deviceId, patch, at, opts)),

    async getInventory(deviceId) {
      const row = first(await inventoryOf(db, deviceId));
      return row ? toInventory(row) : null;
    },

    async listInventory(deviceIds) {
      const out: DeviceInventory[] = [];
      for (const ids of chunks([...new Set(deviceIds)])) {
        const rows = await db.selectFrom('device_inventory').selectAll().where(oneOf(dialect, 'device_id', ids)).execute();
        out.push(...rows.map(toInventory));
      }
      return out.sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
    },

    async inventoryHistory(deviceId, opts = {}) {
      let q = db.selectFrom('inventory_history').selectAll().where('device_id', '=', deviceId);
      if (opts.field) q = q.where('field', '=', opts.field);
      const rows = await q.orderBy('at', 'desc').orderBy('id', 'desc').limit(Math.min(Math.max(opts.limit ?? 100, 1), 1000)).execute();
      const value = (t: string | null): unknown => (t === null ? null : JSON.parse(t));
      return rows.map((r) => ({ deviceId: r.device_id, field: r.field, oldValue: value(r.old_value), newValue: value(r.new_value), at: new Date(Number(r.at)) }));
    },

    async dueInventory(at, intervalMs, limit, after) {
      let q = db
        .selectFrom('device_inventory as i')
        .innerJoin('enrollments as e', 'e.id', 'i.device_id')
        .select(['i.device_id', 'i.platform', 'i.os_version', 'e.type', 'i.security_at'])
        .where('e.enabled', '=', 1)
        .where(dueWhere(at, intervalMs));
      if (after !== undefined) q = q.where('i.device_id', '>', after);
      const rows = await q.orderBy('i.device_id').limit(Math.max(1, limit)).execute();
      return rows.map((r): DueInventory => ({
        deviceId: r.device_id,
        platform: r.platform as Platform | null,
        osVersion: r.os_version,
        userEnrollment: r.type === 'UserEnrollmentDevice',
        securityAt: toDate(r.security_at === null ? null : Number(r.security_at)),
      }));
    },

    async claimInventory(deviceIds, at, intervalMs) {
      const claimed: string[] = [];
      for (const ids of chunks([...new Set(deviceIds)])) {
        const rows = await db
          .updateTable('device_inventory')
          .set({ queried_at: at.getTime() })
          .where(oneOf(dialect, 'device_id', ids))
          .where(dueWhere(at, intervalMs))
          .returning('device_id')
          .execute();
        claimed.push(...rows.map((r) => r.device_id));
      }
      return claimed.sort();
    },

    async queuedCommandsOf(enrollmentIds, requestTypes) {
      const found = new Map(requestTypes.map((t) => [t, new Set<string>()]));
      if (requestTypes.length === 0) return found;
      for (const ids of chunks([...new Set(enrollmentIds)])) {
        const { rows } = await queuedOf(db, listParam(dialect, ids), listParam(dialect, requestTypes));
        for (const r of rows) found.get(r.request_type)?.add(r.enrollment_id);
      }
      return found;
    },
  };
}
