// Campaign storage: campaigns and their per-device state machines (see types-campaigns.ts).
import type { Kysely, Selectable } from 'kysely';
import type { Ctx } from './context.js';
import { toDate } from './context.js';
import { first, memoQuery } from './memo.js';
import type { Database } from './schema.js';
import type {
  CampaignDevicePatch, CampaignDeviceRecord, CampaignRecord, CampaignState, CampaignStore, NewCampaignDevice, TagStore,
} from './types-campaigns.js';

export type CampaignTables = {
  campaigns: {
    id: string; name: string; state: string; spec: string; wave: number; wave_started_at: number | null;
    created_at: number; updated_at: number; ended_at: number | null;
  };
  campaign_devices: {
    campaign_id: string; device_id: string; wave: number; state: string; reason: string | null; path: string | null;
    target_version: string | null; target_build: string | null; os_version: string | null; build_version: string | null;
    step: string; active: number; campaign_running: number; next_at: number | null; version: number;
    created_at: number; updated_at: number; done_at: number | null;
  };
  device_tags: { device_id: string; tag: string; created_at: number };
};
type Db = Kysely<Database & CampaignTables>;
type DeviceRow = Selectable<CampaignTables['campaign_devices']>;

const RUNNING_STATES: ReadonlySet<string> = new Set(['running']);

function toCampaign(r: Selectable<CampaignTables['campaigns']>): CampaignRecord {
  return {
    id: r.id, name: r.name, state: r.state as CampaignState, spec: JSON.parse(r.spec), wave: r.wave,
    waveStartedAt: toDate(r.wave_started_at === null ? null : Number(r.wave_started_at)),
    createdAt: toDate(Number(r.created_at)), updatedAt: toDate(Number(r.updated_at)),
    endedAt: toDate(r.ended_at === null ? null : Number(r.ended_at)),
  };
}

function toDevice(r: DeviceRow): CampaignDeviceRecord {
  return {
    campaignId: r.campaign_id, deviceId: r.device_id, wave: r.wave, state: r.state, reason: r.reason,
    path: r.path as CampaignDeviceRecord['path'], targetVersion: r.target_version, targetBuild: r.target_build,
    osVersion: r.os_version, buildVersion: r.build_version, step: JSON.parse(r.step) as Record<string, unknown>,
    active: r.active === 1, nextAt: toDate(r.next_at === null ? null : Number(r.next_at)), version: r.version,
    createdAt: toDate(Number(r.created_at)), updatedAt: toDate(Number(r.updated_at)),
    doneAt: toDate(r.done_at === null ? null : Number(r.done_at)),
  };
}

const ms = (d: Date | null | undefined): number | null => (d ? d.getTime() : null);

function patchRow(p: CampaignDevicePatch): Partial<DeviceRow> {
  const row: Partial<DeviceRow> = {};
  if (p.state !== undefined) row.state = p.state;
  if (p.reason !== undefined) row.reason = p.reason;
  if (p.path !== undefined) row.path = p.path;
  if (p.targetVersion !== undefined) row.target_version = p.targetVersion;
  if (p.targetBuild !== undefined) row.target_build = p.targetBuild;
  if (p.osVersion !== undefined) row.os_version = p.osVersion;
  if (p.buildVersion !== undefined) row.build_version = p.buildVersion;
  if (p.step !== undefined) row.step = JSON.stringify(p.step);
  if (p.active !== undefined) row.active = p.active ? 1 : 0;
  if (p.nextAt !== undefined) row.next_at = ms(p.nextAt);
  if (p.doneAt !== undefined) row.done_at = ms(p.doneAt);
  return row;
}

// Asked on every command result (memo.ts: built once).
const activeOf = memoQuery((db: Db, deviceId: string) => db.selectFrom('campaign_devices').selectAll().where('device_id', '=', deviceId).where('active', '=', 1));

export function campaignStore(ctx: Ctx): CampaignStore & TagStore {
  const db = ctx.db.withTables<CampaignTables>() as Db;

  return {
    async campaignCreate(c, devices) {
      const at = c.at.getTime();
      return db.transaction().execute(async (trx) => {
        await trx.insertInto('campaigns').values({
          id: c.id, name: c.name, state: 'running', spec: JSON.stringify(c.spec), wave: 0, wave_started_at: at,
          created_at: at, updated_at: at, ended_at: null,
        }).execute();
        const refused: Array<{ deviceId: string; campaignId: string }> = [];
        const wanted = devices.filter((d) => d.active).map((d) => d.deviceId);
        const holders = new Map<string, string>();
        for (let i = 0; i < wanted.length; i += 500) {
          const rows = await trx.selectFrom('campaign_devices').select(['device_id', 'campaign_id'])
            .where('active', '=', 1).where('device_id', 'in', wanted.slice(i, i + 500)).execute();
          for (const r of rows) holders.set(r.device_id, r.campaign_id);
        }
        const rows = devices.map((d) => {
          const holder = d.active ? holders.get(d.deviceId) : undefined;
          if (holder) refused.push({ deviceId: d.deviceId, campaignId: holder });
          return {
            campaign_id: c.id, device_id: d.deviceId, wave: d.wave,
            state: holder ? 'not_eligible' : d.state,
            reason: holder ? `already in active campaign ${holder}` : d.reason,
            path: d.path, target_version: d.targetVersion, target_build: d.targetBuild,
            os_version: d.osVersion, build_version: d.buildVersion, step: JSON.stringify(d.step),
            active: d.active && !holder ? 1 : 0, campaign_running: 1,
            next_at: holder ? null : ms(d.nextAt), version: 0, created_at: at, updated_at: at,
            done_at: holder || !d.active ? at : null,
          };
        });
        for (let i = 0; i < rows.length; i += 200) await trx.insertInto('campaign_devices').values(rows.slice(i, i + 200)).execute();
        return { refused };
      });
    },

    async campaignGet(id) {
      const r = await db.selectFrom('campaigns').selectAll().where('id', '=', id).executeTakeFirst();
      return r ? toCampaign(r) : null;
    },

    async campaignList(opts = {}) {
      let q = db.selectFrom('campaigns').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(opts.limit ?? 100);
      if (opts.state) q = q.where('state', '=', opts.state);
      return (await q.execute()).map(toCampaign);
    },

    async campaignUpdate(id, patch, at, from) {
      return db.transaction().execute(async (trx) => {
        let q = trx.updateTable('campaigns').set({
          ...(patch.state !== undefined ? { state: patch.state } : {}),
          ...(patch.wave !== undefined ? { wave: patch.wave } : {}),
          ...(patch.waveStartedAt !== undefined ? { wave_started_at: ms(patch.waveStartedAt) } : {}),
          ...(patch.endedAt !== undefined ? { ended_at: ms(patch.endedAt) } : {}),
          updated_at: at.getTime(),
        }).where('id', '=', id);
        if (from) q = q.where('state', 'in', from);
        const res = await q.executeTakeFirst();
        const changed = Number(res.numUpdatedRows) > 0;
        if (changed && patch.state !== undefined) {
          await trx.updateTable('campaign_devices').set({ campaign_running: RUNNING_STATES.has(patch.state) ? 1 : 0 })
            .where('campaign_id', '=', id).execute();
        }
        return changed;
      });
    },

    async campaignDevices(id, opts = {}) {
      let q = db.selectFrom('campaign_devices').selectAll().where('campaign_id', '=', id).orderBy('device_id').limit(opts.limit ?? 1000);
      if (opts.states?.length) q = q.where('state', 'in', opts.states);
      if (opts.after !== undefined) q = q.where('device_id', '>', opts.after);
      return (await q.execute()).map(toDevice);
    },

    async campaignCounts(id) {
      const rows = await db.selectFrom('campaign_devices')
        .select((eb) => ['wave', 'state', eb.fn.countAll<number | string>().as('n')])
        .where('campaign_id', '=', id).groupBy(['state', 'wave']).orderBy('wave').orderBy('state').execute(); // groups in index order (016)
      return rows.map((r) => ({ wave: r.wave, state: r.state, count: Number(r.n) }));
    },

    async campaignDeviceActive(deviceId) {
      const r = first(await activeOf(db, deviceId));
      return r ? toDevice(r) : null;
    },

    async campaignDeviceGet(campaignId, deviceId) {
      const r = await db.selectFrom('campaign_devices').selectAll()
        .where('campaign_id', '=', campaignId).where('device_id', '=', deviceId).executeTakeFirst();
      return r ? toDevice(r) : null;
    },

    async campaignDeviceUpdate(campaignId, deviceId, version, patch, at) {
      const r = await db.updateTable('campaign_devices')
        .set({ ...patchRow(patch), version: version + 1, updated_at: at.getTime() })
        .where('campaign_id', '=', campaignId).where('device_id', '=', deviceId).where('version', '=', version)
        .returningAll().executeTakeFirst();
      return r ? toDevice(r) : null;
    },

    async campaignClaimDue(at, leaseUntil, limit) {
      const picked = await db.selectFrom('campaign_devices').select(['campaign_id', 'device_id'])
        .where('active', '=', 1).where('campaign_running', '=', 1).where('next_at', '<=', at.getTime())
        .orderBy('next_at').limit(limit).execute();
      if (picked.length === 0) return [];
      const claimed: CampaignDeviceRecord[] = [];
      // The conditional update is the claim: of several processes picking the same row, one moves its
      // next_at and the others match nothing. One statement per row; claims are small batches.
      for (const p of picked) {
        const r = await db.updateTable('campaign_devices')
          .set((eb) => ({ next_at: leaseUntil.getTime(), version: eb(eb.ref('version'), '+', 1) }))
          .where('campaign_id', '=', p.campaign_id).where('device_id', '=', p.device_id)
          .where('active', '=', 1).where('next_at', '<=', at.getTime())
          .returningAll().executeTakeFirst();
        if (r) claimed.push(toDevice(r));
      }
      return claimed;
    },

    async campaignRelease(id, at) {
      const res = await db.updateTable('campaign_devices').set({ active: 0, next_at: null, updated_at: at.getTime() })
        .where('campaign_id', '=', id).where('active', '=', 1).executeTakeFirst();
      return Number(res.numUpdatedRows);
    },

    async setTags(deviceId, tags, at) {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('device_tags').where('device_id', '=', deviceId).execute();
        const unique = [...new Set(tags)];
        if (unique.length) await trx.insertInto('device_tags').values(unique.map((tag) => ({ device_id: deviceId, tag, created_at: at.getTime() }))).execute();
      });
    },

    async getTags(deviceId) {
      const rows = await db.selectFrom('device_tags').select('tag').where('device_id', '=', deviceId).orderBy('tag').execute();
      return rows.map((r) => r.tag);
    },

    async devicesTagged(tags) {
      if (tags.length === 0) return [];
      const rows = await db.selectFrom('device_tags').select('device_id').distinct().where('tag', 'in', tags).orderBy('device_id').execute();
      return rows.map((r) => r.device_id);
    },
  };
}
