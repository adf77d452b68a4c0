// The campaign engine: creates campaigns (or answers their dry run), and moves them with a timer and
// the events devices send. All state is in the store; any number of server processes may run it on
// one database (device rows are claimed and changed under versions, campaign changes are conditional).
import { randomBytes, randomUUID } from 'node:crypto';
import type { CampaignDeviceRecord, CampaignRecord, CampaignState } from '../../storage/types.js';
import type { ResultStatus } from '../../storage/types.js';
import type { Wakes } from '../../service/types.js';
import { ddmNames, SETTINGS_TYPE } from './ddm-path.js';
import { checkDeclaration } from '../../ddm/catalog.js';
import { CommandValidationError } from '../../commands/errors.js';
import { createDeviceStepper, newBatch, WORKING, type DeviceEvent, type EngineDeps, type TickContext } from './device.js';
import { planDevice } from './plan.js';
import { assignWaves, deviceFacts, selectDevices, unknownIds } from './selection.js';
import { CampaignInputError, parseCampaignRequest } from './spec.js';
import { isTerminal, type CampaignSpec, type Plan } from './types.js';
import { deadlineInstant, fallbackZone, windowZone } from './window.js';

export { CampaignInputError };
export type { EngineDeps };

export class CampaignStateError extends Error {
  override readonly name = 'CampaignStateError';
  constructor(readonly statusCode: 404 | 409, message: string) {
    super(message);
  }
}

export interface DryRun {
  name: string;
  devices: Array<Plan & { wave: number }>;
  counts: Record<string, number>;
  unknown_ids: string[];
}

export interface Created {
  campaign: CampaignRecord;
  refused: Array<{ deviceId: string; campaignId: string }>;
  unknownIds: string[];
}

const CLAIM_BATCH = 200;

export function createCampaignEngine(deps: EngineDeps) {
  const { store } = deps;
  const stepper = createDeviceStepper(deps);
  const campaigns = new Map<string, { at: number; c: CampaignRecord }>();

  /** A campaign record, cached for a moment (state changes are re-read within a second). */
  async function campaignOf(id: string): Promise<CampaignRecord | null> {
    const now = Date.now();
    const hit = campaigns.get(id);
    if (hit && now - hit.at < 1000) return hit.c;
    const c = await store.campaignGet(id);
    if (c) campaigns.set(id, { at: now, c });
    return c;
  }

  /** Plans and waves; waves are ranked by the campaign's name, so a dry run shows the waves the campaign will use. */
  async function plans(spec: CampaignSpec, name: string) {
    const devices = await selectDevices(store, spec.select);
    const facts = await deviceFacts(store, devices, deps.inventory);
    const view = deps.catalog ? await deps.catalog() : null;
    const planned = facts.map((f) => {
      const p = planDevice(f, spec, view);
      return spec.window ? { ...p, window: windowZone(spec.window, f, fallbackZone(spec)) } : p;
    });
    const waves = assignWaves(name, planned, spec.waves);
    return { planned, waves, unknown: unknownIds(spec.select, devices) };
  }

  async function create(body: unknown): Promise<{ dryRun: DryRun } | { created: Created }> {
    const now = deps.now();
    const req = parseCampaignRequest(body, now);
    if (req.spec.ddmSettings) {
      try {
        checkDeclaration({ Type: SETTINGS_TYPE, Identifier: 'campaign.settings', Payload: req.spec.ddmSettings });
      } catch (err) {
        if (err instanceof CommandValidationError) throw new CampaignInputError(`ddm_settings${err.field ? `.${err.field.replace(/^Payload\.?/, '')}` : ''}`.replace(/\.$/, ''), err.reason);
        throw err;
      }
    }
    const id = randomBytes(6).toString('hex');
    const { planned, waves, unknown } = await plans(req.spec, req.name);
    if (planned.length === 0) {
      throw new CampaignInputError('select', `selects no enrolled device${unknown.length ? ` (unknown: ${unknown.slice(0, 5).join(', ')})` : ''}`);
    }
    if (req.dryRun) {
      const devices = planned.map((p) => ({ ...p, wave: waves.get(p.deviceId) ?? 0 }));
      const counts: Record<string, number> = {};
      for (const d of devices) counts[d.state] = (counts[d.state] ?? 0) + 1;
      return { dryRun: { name: req.name, devices, counts, unknown_ids: unknown } };
    }
    const rows = planned.map((p) => ({
      deviceId: p.deviceId, wave: waves.get(p.deviceId) ?? 0, state: p.state, reason: p.reason, path: p.path,
      targetVersion: p.target?.version ?? null, targetBuild: p.target?.build ?? null, osVersion: p.osVersion, buildVersion: p.buildVersion,
      step: { planned: p.state }, active: p.state === 'pending' || p.state === 'blocked',
      nextAt: p.state === 'pending' ? now : p.state === 'blocked' ? new Date(now.getTime() + 10 * deps.pollMs) : null,
    }));
    const { refused } = await store.campaignCreate({ id, name: req.name, spec: req.spec, at: now }, rows);
    const campaign = (await store.campaignGet(id))!;
    await campaignEvent(campaign, null);
    return { created: { campaign, refused, unknownIds: unknown } };
  }

  async function campaignEvent(c: CampaignRecord, before: CampaignState | null): Promise<void> {
    const at = deps.now();
    const detail = { campaign_id: c.id, name: c.name, state: c.state, previous_state: before, wave: c.wave + 1 };
    await store.addEvent({ enrollmentId: null, kind: 'campaign.state', detail, at });
    if (deps.webhooks) {
      const topic = 'updraft.campaign';
      await store.outboxAdd(topic, JSON.stringify({ topic, event_id: randomUUID(), created_at: at.toISOString(), campaign_event: detail }), at);
    }
  }

  async function setState(id: string, to: CampaignState, from: CampaignState[]): Promise<CampaignRecord> {
    const c = await store.campaignGet(id);
    if (!c) throw new CampaignStateError(404, `unknown campaign ${id}`);
    if (c.state === to) return c;
    const at = deps.now();
    const ok = await store.campaignUpdate(id, { state: to, ...(to === 'cancelled' ? { endedAt: at } : {}) }, at, from);
    if (!ok) throw new CampaignStateError(409, `campaign ${id} is ${c.state}: cannot ${to === 'paused' ? 'pause' : to === 'running' ? 'resume' : 'cancel'} it`);
    campaigns.delete(id);
    const updated = (await store.campaignGet(id))!;
    await campaignEvent(updated, c.state);
    return updated;
  }

  /** Withdraw the DDM sets a campaign made (their declarations with them). */
  async function withdrawSets(id: string): Promise<void> {
    const sets = new Map<string, ReturnType<typeof ddmNames>>();
    for (let after: string | undefined; ;) {
      const rows = await store.campaignDevices(id, { limit: 1000, after });
      for (const r of rows) {
        if (r.path !== 'ddm' || !r.targetVersion) continue;
        const n = ddmNames(id, { version: r.targetVersion, build: r.targetBuild }, r.wave);
        sets.set(n.set, n);
      }
      if (rows.length < 1000) break;
      after = rows.at(-1)!.deviceId;
    }
    for (const n of sets.values()) {
      await deps.ddm.deleteSet(n.set, deps.now()).catch(() => undefined);
      for (const decl of [n.activation, n.enforcement, n.settings]) await deps.ddm.deleteDeclaration(decl, deps.now()).catch(() => undefined);
    }
  }

  async function cancel(id: string): Promise<CampaignRecord> {
    const c = await setState(id, 'cancelled', ['running', 'paused']);
    const at = deps.now();
    for (let after: string | undefined; ;) {
      const rows = await store.campaignDevices(id, { limit: 500, after });
      for (const first of rows) {
        // A device another process (or this one's timer) moves meanwhile is read again, so none is left working.
        for (let attempt = 0, r: CampaignDeviceRecord | null = first; r && r.active && attempt < 5; attempt++) {
          const pending = (r.step as { pending?: { uuid: string } }).pending;
          if (pending) await store.cancelCommand(r.deviceId, pending.uuid, at);
          if (isTerminal(r.state)) break;
          if (await store.campaignDeviceUpdate(id, r.deviceId, r.version, { state: 'cancelled', reason: 'campaign cancelled', nextAt: null, doneAt: at, active: false }, at)) break;
          r = await store.campaignDeviceGet(id, r.deviceId);
        }
      }
      if (rows.length < 500) break;
      after = rows.at(-1)!.deviceId;
    }
    await store.campaignRelease(id, at);
    await withdrawSets(id);
    return c;
  }

  /** Promote waves and finish campaigns whose devices have all settled. */
  async function tickCampaign(c: CampaignRecord): Promise<TickContext> {
    const spec = c.spec as CampaignSpec;
    const counts = await store.campaignCounts(c.id);
    const ctx: TickContext = { inFlight: counts.filter((x) => WORKING.includes(x.state)).reduce((n, x) => n + x.count, 0) };
    const working = counts.some((x) => !isTerminal(x.state));
    const blocked = counts.some((x) => x.state === 'blocked');
    const now = deps.now();
    const deadline = spec.deadline ? deadlineInstant(spec.deadline, spec.timeZone === 'device' ? 'UTC' : spec.timeZone).getTime() : null;
    if (!working && (!blocked || deadline === null || now.getTime() >= deadline)) {
      if (await store.campaignUpdate(c.id, { state: 'done', endedAt: now }, now, ['running'])) {
        campaigns.delete(c.id);
        await store.campaignRelease(c.id, now);
        await withdrawSets(c.id);
        await campaignEvent({ ...c, state: 'done' }, 'running');
      }
      return ctx;
    }
    const lastWave = spec.waves.length - 1;
    if (c.wave < lastWave) {
      const released = counts.filter((x) => x.wave <= c.wave);
      const total = released.filter((x) => x.state !== 'not_eligible' && x.state !== 'cancelled').reduce((n, x) => n + x.count, 0);
      const done = released.filter((x) => x.state === 'done').reduce((n, x) => n + x.count, 0);
      const soaked = !c.waveStartedAt || now.getTime() - c.waveStartedAt.getTime() >= spec.promotion.soakSeconds * 1000;
      const nearDeadline = deadline !== null && now.getTime() >= deadline - 86400_000;
      if (nearDeadline || (soaked && (total === 0 || done / total >= spec.promotion.successRate))) {
        const wave = nearDeadline ? lastWave : c.wave + 1;
        if (await store.campaignUpdate(c.id, { wave, waveStartedAt: now }, now, ['running'])) {
          campaigns.delete(c.id);
          await campaignEvent({ ...c, wave }, c.state);
        }
      }
    }
    return ctx;
  }

  let ticking = false;
  /** One pass of the timer: campaign-level decisions, then every due device. Returns how many devices moved. */
  async function tick(): Promise<number> {
    if (ticking) return 0;
    ticking = true;
    try {
      const contexts = new Map<string, TickContext>();
      for (const c of await store.campaignList({ state: 'running', limit: 1000 })) contexts.set(c.id, await tickCampaign(c));
      let moved = 0;
      for (;;) {
        const now = deps.now();
        const due = await store.campaignClaimDue(now, new Date(now.getTime() + 4 * deps.pollMs + 60_000), CLAIM_BATCH);
        // The devices about to start (or be re-checked) have their facts read in one go, and the DDM
        // sets they are assigned to are applied once per set after the batch.
        const batch = newBatch();
        const starting: string[] = [];
        for (const row of due) {
          const c = await campaignOf(row.campaignId);
          if (c && (row.state === 'pending' || row.state === 'blocked') && row.wave <= c.wave) starting.push(row.deviceId);
        }
        await stepper.prefetch(starting, batch);
        for (const row of due) {
          const c = await campaignOf(row.campaignId);
          if (!c) continue;
          const ctx = contexts.get(c.id) ?? { inFlight: 0 };
          contexts.set(c.id, ctx);
          try {
            if (await stepper.advance(row, c, { kind: 'tick' }, ctx, batch)) moved++;
          } catch (err) {
            deps.logger?.error({ err, campaign: row.campaignId, device: row.deviceId }, 'campaign device step failed');
          }
        }
        await stepper.flush(batch);
        if (due.length < CLAIM_BATCH) break;
      }
      return moved;
    } finally {
      ticking = false;
    }
  }

  /**
   * An event from a device: moved under its row's version, re-read and retried if another process
   * moved it first. `wakes`: the device request's, which takes the step's pushes (service/wake.ts).
   */
  async function onDeviceEvent(deviceId: string, ev: DeviceEvent, wakes?: Wakes): Promise<void> {
    let steps = stepper;
    for (let attempt = 0; attempt < 3; attempt++) {
      const row = await store.campaignDeviceActive(deviceId);
      if (!row) return;
      const c = await campaignOf(row.campaignId);
      if (!c || (c.state !== 'running' && c.state !== 'paused')) return;
      if (wakes && steps === stepper) steps = createDeviceStepper({ ...deps, wakes });
      const moved = await steps.advance(row, c, ev);
      if (moved) return;
      const again = await store.campaignDeviceGet(row.campaignId, deviceId);
      if (!again || again.version === row.version) return; // nothing to do for this event
    }
  }

  return {
    create,
    tick,
    cancel,
    pause: (id: string) => setState(id, 'paused', ['running']),
    resume: async (id: string) => {
      const c = await setState(id, 'running', ['paused']);
      return c;
    },
    /** Observer: a command result from a device. */
    async result(e: { deviceId: string; uuid: string; requestType: string | null; status: ResultStatus; body: Record<string, unknown> }, wakes?: Wakes): Promise<void> {
      if (e.requestType !== null && !stepper.ENGINE_COMMANDS.has(e.requestType)) return;
      await onDeviceEvent(e.deviceId, { kind: 'result', uuid: e.uuid, requestType: e.requestType, status: e.status, body: e.body }, wakes);
    },
    /** Observer: DDM status items a device reported. */
    async status(e: { deviceId: string; items: Array<{ name: string; value: unknown }> }, wakes?: Wakes): Promise<void> {
      if (!e.items.some((i) => i.name.startsWith('softwareupdate.') || i.name.startsWith('device.operating-system.') || i.name === 'management.declarations')) return;
      await onDeviceEvent(e.deviceId, { kind: 'status', items: e.items }, wakes);
    },
  };
}

export type CampaignEngine = ReturnType<typeof createCampaignEngine>;
export type { CampaignDeviceRecord };
