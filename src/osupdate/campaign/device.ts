// One device's turn in a campaign: an event (the timer, a command result, a DDM status report) moves
// its persisted state machine one step. The row changes first, under its version (another process
// that got there first wins, and this one re-reads); only then is the step's command queued, under a
// command UUID recorded in the row, so no device is sent a command twice and a crash between the two
// is repaired by the timer (the recorded command is queued if the queue never got it).
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { buildCommand, type PayloadInput } from '../../commands/index.js';
import { enqueueCommand, pushEnrollments, type EnqueueDeps } from '../../service/enqueue.js';
import type { Wakes } from '../../service/types.js';
import type { CampaignDevicePatch, CampaignDeviceRecord, CampaignRecord, Store } from '../../storage/types.js';
import type { CatalogView } from '../types.js';
import { majorOf, reached } from '../version.js';
import { ddmDeclarations, ddmNames, observeStatus, reportedOs, type DdmMemory } from './ddm-path.js';
import { legacyStep, type CommandToSend, type LegacyEvent, type LegacyMemory, type StepResult } from './legacy.js';
import { planDevice, type DeviceFacts } from './plan.js';
import { deviceFacts, type InventoryReader } from './selection.js';
import { isTerminal, type CampaignSpec } from './types.js';
import { deadlineInstant, describeInstant, fallbackZone, nextOpening, windowOpen, windowZone } from './window.js';

export type DeviceEvent =
  | { kind: 'tick' }
  | { kind: 'result'; uuid: string; requestType: string | null; status: 'Acknowledged' | 'Error' | 'CommandFormatError' | 'NotNow'; body: Record<string, unknown> }
  | { kind: 'status'; items: Array<{ name: string; value: unknown }> };

/** The DDM operations the engine uses (src/ddm's admin API); `wakes`: a device request's (EnqueueDeps.wakes). */
export interface DdmOps {
  applySet(name: string, declarations: unknown[], enrollmentIds: string[], at?: Date, wakes?: Wakes): Promise<unknown>;
  unassign(name: string, enrollmentIds: string[], at?: Date, wakes?: Wakes): Promise<unknown>;
  deleteSet(name: string, at?: Date): Promise<unknown>;
  deleteDeclaration(identifier: string, at?: Date): Promise<unknown>;
  /** Send DeclarativeManagement now, tokens changed or not (the device re-applies its declarations). */
  sync(enrollmentIds: string[], at?: Date, wakes?: Wakes): Promise<unknown>;
}

export interface EngineDeps extends EnqueueDeps {
  store: Store;
  ddm: DdmOps;
  catalog?: () => Promise<CatalogView | null>;
  inventory?: InventoryReader;
  now: () => Date;
  pollMs: number;
  logger?: Logger;
  /** Write campaign webhook events to the outbox. */
  webhooks?: boolean;
}

/** Per-tick context shared by the devices of one campaign (slots in flight). */
export interface TickContext {
  inFlight: number;
}

/**
 * What one timer pass shares across the devices it claimed: their facts, read in one go (so a start
 * does not read them one by one), and the DDM assignments it made, applied once per set after the
 * batch (a device whose set is never applied, after a crash say, is re-applied by its own timer after
 * four polls without a report).
 */
export interface TickBatch {
  facts: Map<string, DeviceFacts | null>;
  ddm: Map<string, { declarations: unknown[]; ids: string[]; at: Date }>;
}

export const newBatch = (): TickBatch => ({ facts: new Map(), ddm: new Map() });

export const WORKING = ['scanning', 'listing', 'prerequisite', 'scheduling', 'downloading', 'installing', 'verifying', 'enforcing'];
const ENGINE_COMMANDS = new Set(['ScheduleOSUpdateScan', 'AvailableOSUpdates', 'ScheduleOSUpdate', 'OSUpdateStatus', 'DeviceInformation']);
const hhmm = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export function errorOf(body: Record<string, unknown>): { code: number | null; domain: string | null; text: string } | null {
  const chain = Array.isArray(body.ErrorChain) ? (body.ErrorChain as Array<Record<string, unknown>>) : [];
  const e = chain[0];
  if (!e) return null;
  const code = typeof e.ErrorCode === 'number' ? e.ErrorCode : typeof e.ErrorCode === 'string' ? Number(e.ErrorCode) : null;
  const text = [e.USEnglishDescription, e.LocalizedDescription].find((x) => typeof x === 'string' && x !== '') as string | undefined;
  return { code: Number.isFinite(code) ? code : null, domain: typeof e.ErrorDomain === 'string' ? e.ErrorDomain : null, text: text ?? 'error' };
}

function osFromResult(ev: DeviceEvent): { version: string | null; build: string | null } | null {
  if (ev.kind === 'status') return reportedOs(ev.items);
  if (ev.kind !== 'result' || ev.status !== 'Acknowledged') return null;
  const q = ev.body.QueryResponses as Record<string, unknown> | undefined;
  if (!q || typeof q !== 'object') return null;
  const version = typeof q.OSVersion === 'string' ? q.OSVersion : null;
  const build = typeof q.BuildVersion === 'string' ? q.BuildVersion : null;
  return version || build ? { version, build } : null;
}

/** The stepper over `deps`; with deps.wakes (a device request's), every push its steps ask for goes there. */
export function createDeviceStepper(deps: EngineDeps) {
  const { store } = deps;

  async function send(deviceId: string, uuid: string, c: CommandToSend): Promise<void> {
    const wire = buildCommand(c.requestType, c.payload as PayloadInput, { uuid });
    await enqueueCommand(deps, { uuid, requestType: c.requestType, xml: wire.xml, ids: [deviceId], at: deps.now() });
  }

  async function record(row: CampaignDeviceRecord, before: string, at: Date): Promise<void> {
    if (row.state === before) return;
    const detail = {
      campaign_id: row.campaignId, enrollment_id: row.deviceId, state: row.state, previous_state: before, reason: row.reason,
      path: row.path, target_version: row.targetVersion, target_build: row.targetBuild, os_version: row.osVersion, build_version: row.buildVersion,
    };
    await store.addEvent({ enrollmentId: row.deviceId, kind: 'campaign.device', detail, at });
    if (deps.webhooks) {
      const topic = 'updraft.campaign.device';
      await store.outboxAdd(topic, JSON.stringify({ topic, event_id: randomUUID(), created_at: at.toISOString(), campaign_event: detail }), at);
    }
  }

  /** Apply a patch under the row's version, then the side effects; false when another process changed the row first. */
  async function commit(
    row: CampaignDeviceRecord, patch: CampaignDevicePatch, effects: { command?: CommandToSend | null; push?: boolean; after?: () => Promise<void> },
  ): Promise<CampaignDeviceRecord | null> {
    const at = deps.now();
    const mem = { ...(patch.step ?? row.step) } as LegacyMemory;
    if (effects.command) mem.pending = { uuid: randomUUID().toUpperCase(), type: effects.command.requestType, sentAt: at.getTime() };
    const terminal = patch.state !== undefined && isTerminal(patch.state);
    // done, not_eligible and cancelled free the device; blocked and failed stay with the campaign until
    // it ends (a blocked device is looked at again when what blocked it changes).
    const holds = patch.state === 'blocked' || patch.state === 'failed';
    const full: CampaignDevicePatch = {
      ...patch, step: mem,
      ...(terminal ? { doneAt: at, active: holds && patch.active !== false, nextAt: patch.state === 'blocked' ? new Date(at.getTime() + 10 * deps.pollMs) : null } : {}),
    };
    const updated = await store.campaignDeviceUpdate(row.campaignId, row.deviceId, row.version, full, at);
    if (!updated) return null;
    try {
      if (effects.command && mem.pending) await send(row.deviceId, mem.pending.uuid, effects.command);
      else if (effects.push) await pushEnrollments(deps, [row.deviceId], at);
      if (effects.after) await effects.after();
      await record(updated, row.state, at);
    } catch (err) {
      // The row already says what should happen: the timer repairs a command that was not queued.
      deps.logger?.error({ err, device: row.deviceId, campaign: row.campaignId }, 'campaign step side effect failed');
    }
    return updated;
  }

  function stepContext(row: CampaignDeviceRecord, spec: CampaignSpec, platform: string | null) {
    const now = deps.now().getTime();
    const osVersion = row.osVersion ?? '0';
    return {
      spec, macos: platform === 'macOS', osVersion,
      target: row.targetVersion ? { version: row.targetVersion, build: row.targetBuild } : null,
      now, pollMs: deps.pollMs,
      // A device-local deadline is the device's wall time where it reported its zone (UTC otherwise).
      deadline: spec.deadline ? deadlineInstant(spec.deadline, spec.timeZone === 'device' ? (typeof row.step.zone === 'string' ? row.step.zone : 'UTC') : spec.timeZone).getTime() : null,
      forceRestartOk: platform === 'macOS' && Number(majorOf(osVersion)) >= 11,
    };
  }

  /**
   * The declarations of a (campaign, target, wave) set: as stored once the wave's first device got
   * them (so every device of the wave shares one enforcement time), else freshly made.
   */
  async function setDeclarations(names: ReturnType<typeof ddmNames>, make: () => unknown[]): Promise<unknown[]> {
    const stored = await Promise.all([names.enforcement, names.settings, names.activation].map((id) => store.ddmGetDeclaration(id)));
    if (!stored[0] || !stored[2]) return make();
    return stored.filter((d) => d !== null).map((d) => ({ Type: d!.type, Identifier: d!.identifier, Payload: d!.payload }));
  }

  /** Withdraw what the campaign gave a device that has finished (its DDM assignment). */
  async function withdraw(row: CampaignDeviceRecord): Promise<void> {
    const mem = row.step as DdmMemory;
    if (row.path === 'ddm' && mem.set) await deps.ddm.unassign(mem.set, [row.deviceId], deps.now(), deps.wakes);
  }

  async function start(row: CampaignDeviceRecord, campaign: CampaignRecord, tick: TickContext, batch?: TickBatch): Promise<CampaignDeviceRecord | null> {
    const spec = campaign.spec as CampaignSpec;
    const now = deps.now();
    const wait = (reason: string, nextAt: Date) => commit(row, { reason, nextAt }, {});
    if (row.wave > campaign.wave) return wait(`waiting for wave ${row.wave + 1} (wave ${campaign.wave + 1} is in progress)`, new Date(now.getTime() + deps.pollMs));
    // What is known of the device now (it may have moved since the campaign was created).
    const facts = await factsOf(row.deviceId, batch);
    if (!facts) return commit(row, { state: 'failed', reason: 'the enrollment is gone' }, {});
    let zoneNote = '';
    if (spec.window) {
      // A "device" window is read on the device's clock (its TimeZone from inventory), else the fallback, said in the reason.
      const { zone, note } = windowZone(spec.window, facts, fallbackZone(spec));
      zoneNote = note ? `; ${note}` : '';
      if (!windowOpen(spec.window, now, zone)) {
        const opens = nextOpening(spec.window, now, zone);
        const where = spec.window.timeZone === 'device' && !note ? `, device time ${zone}` : '';
        return wait(`outside the maintenance window (${spec.window.text}${where})${opens ? `; opens ${describeInstant(opens, zone)}` : ''}${zoneNote}`, opens ?? new Date(now.getTime() + 3600_000));
      }
    }
    if (spec.maxInFlight !== null && tick.inFlight >= spec.maxInFlight) {
      return wait(`waiting for a slot (at most ${spec.maxInFlight} devices in flight)`, new Date(now.getTime() + deps.pollMs));
    }
    const plan = planDevice(facts, spec, deps.catalog ? await deps.catalog() : null);
    const base = { osVersion: plan.osVersion, buildVersion: plan.buildVersion, targetVersion: plan.target?.version ?? row.targetVersion, targetBuild: plan.target?.build ?? row.targetBuild, path: plan.path };
    if (plan.state !== 'pending') return commit(row, { ...base, state: plan.state, reason: plan.reason, nextAt: plan.state === 'blocked' ? new Date(now.getTime() + 10 * deps.pollMs) : null }, {});
    tick.inFlight++;
    if (plan.path === 'ddm') {
      const target = plan.target!;
      const names = ddmNames(row.campaignId, target, row.wave);
      const batched = batch?.ddm.get(names.set);
      const declarations = batched?.declarations ?? await setDeclarations(names, () => ddmDeclarations(row.campaignId, spec, target, row.wave, now));
      const enforceAt = String(((declarations[0] as { Payload?: Record<string, unknown> }).Payload ?? {}).TargetLocalDateTime ?? '');
      const mem: DdmMemory = { ...row.step, set: names.set, assignedAt: now.getTime(), failures: 0, enforceAt };
      return commit(row, { ...base, state: 'enforcing', reason: `enforcement of ${target.version} declared (install by ${enforceAt}, device time); waiting for the device`, step: mem, nextAt: new Date(now.getTime() + 4 * deps.pollMs) }, {
        after: () => assign(names.set, declarations, row.deviceId, now, batch),
      });
    }
    const started = { ...(row.step as LegacyMemory), attempts: 0, zone: facts.timeZone ?? undefined };
    const r = legacyStep('pending', started, { kind: 'start' }, stepContext({ ...row, ...base, step: started } as CampaignDeviceRecord, spec, plan.platform));
    return commit(row, { ...base, ...patchOf(r), reason: `${r.reason}${zoneNote}` }, { command: r.command });
  }

  /** The device's facts: as the timer read them for its batch, else read now (null: the enrollment is gone). */
  async function factsOf(deviceId: string, batch?: TickBatch): Promise<DeviceFacts | null> {
    const known = batch?.facts.get(deviceId);
    if (known !== undefined) return known;
    const enrollment = await store.getEnrollment(deviceId);
    return enrollment ? (await deviceFacts(store, [enrollment], deps.inventory))[0]! : null;
  }

  /** Read the facts of the devices a timer pass is about to start or re-check, in one go. */
  async function prefetch(deviceIds: string[], batch: TickBatch): Promise<void> {
    if (deviceIds.length === 0) return;
    const found = await store.listEnrollments({ ids: deviceIds, limit: deviceIds.length });
    for (const id of deviceIds) batch.facts.set(id, null);
    for (const f of await deviceFacts(store, found, deps.inventory)) batch.facts.set(f.deviceId, f);
  }

  /** Assign a device to a campaign set: now, or with the rest of the timer pass's batch. */
  async function assign(set: string, declarations: unknown[], deviceId: string, at: Date, batch?: TickBatch): Promise<void> {
    if (!batch) return void await deps.ddm.applySet(set, declarations, [deviceId], at, deps.wakes);
    const entry = batch.ddm.get(set) ?? { declarations, ids: [], at };
    entry.ids.push(deviceId);
    batch.ddm.set(set, entry);
  }

  /** Apply the DDM sets a timer pass assigned devices to: one call (and one sync) per set. */
  async function flush(batch: TickBatch): Promise<void> {
    for (const [set, b] of batch.ddm) {
      try {
        await deps.ddm.applySet(set, b.declarations, b.ids, b.at);
      } catch (err) {
        // The devices stay enforcing with no report: their own timers apply the set again.
        deps.logger?.error({ err, set, devices: b.ids.length }, 'campaign DDM set not applied');
      }
    }
  }

  /** A blocked device starts again once what blocked it (ADE, supervision, bootstrap token, OS) has changed. */
  async function recheck(row: CampaignDeviceRecord, campaign: CampaignRecord, tick: TickContext, batch?: TickBatch): Promise<CampaignDeviceRecord | null> {
    const f = await factsOf(row.deviceId, batch);
    if (!f) return commit(row, { state: 'failed', reason: 'the enrollment is gone' }, {});
    const sig = JSON.stringify([f.osVersion, f.buildVersion, f.supervised, f.enrolledViaDep, f.bootstrapTokenEscrowed, typeof f.freeGB === 'number' ? Math.floor(f.freeGB) : null]);
    const later = new Date(deps.now().getTime() + 10 * deps.pollMs);
    if (row.step.blockedSig === undefined) return commit(row, { step: { ...row.step, blockedSig: sig }, nextAt: later }, {});
    if (row.step.blockedSig === sig) return commit(row, { nextAt: later }, {});
    return start({ ...row, state: 'pending', step: { ...row.step, blockedSig: undefined } }, campaign, tick, batch);
  }

  function patchOf(r: StepResult): CampaignDevicePatch {
    return { state: r.state, reason: r.reason, step: r.memory, nextAt: r.nextAt === null ? null : new Date(r.nextAt) };
  }

  /**
   * Move one device with one event. Returns the updated row, or null when nothing changed (the
   * event did not concern it, or another process moved it first: the caller may re-read and retry).
   */
  async function advance(row: CampaignDeviceRecord, campaign: CampaignRecord, ev: DeviceEvent, tick: TickContext = { inFlight: 0 }, batch?: TickBatch): Promise<CampaignDeviceRecord | null> {
    const spec = campaign.spec as CampaignSpec;
    const os = osFromResult(ev);
    const seen = os ? { osVersion: os.version ?? row.osVersion, buildVersion: os.build ?? row.buildVersion } : {};
    // Whatever the step, a device that reports the target OS is done.
    if (os && row.targetVersion && !isTerminal(row.state) && row.state !== 'pending' &&
        reached({ version: row.targetVersion, build: row.targetBuild }, { version: os.version ?? row.osVersion, build: os.build ?? row.buildVersion })) {
      const v = os.version ?? row.osVersion;
      const b = os.build ?? row.buildVersion;
      return commit(row, { ...seen, state: 'done', reason: `done: ${v}${b ? ` (${b})` : ''}`, active: false }, { after: () => withdraw(row) });
    }
    if (isTerminal(row.state)) {
      if (row.state === 'blocked' && ev.kind === 'tick' && campaign.state === 'running') return recheck(row, campaign, tick, batch);
      return null;
    }
    if (row.state === 'pending') return ev.kind === 'tick' && campaign.state === 'running' ? start(row, campaign, tick, batch) : null;
    const mem = row.step as LegacyMemory & DdmMemory;

    if (row.path === 'ddm') {
      if (ev.kind === 'status') {
        const names = ddmNames(row.campaignId, { version: row.targetVersion!, build: row.targetBuild }, row.wave);
        const o = observeStatus(ev.items, names.enforcement, mem, spec.retries);
        const m: DdmMemory = { ...mem, lastReportAt: deps.now().getTime() };
        if (o.refused) {
          const legacyOk = row.osVersion !== null && Number(majorOf(row.osVersion)) <= 26;
          const reason = `the device refused the enforcement declaration: ${o.refused}`;
          if (!legacyOk) return commit(row, { ...seen, state: 'failed', reason, step: m }, { after: () => withdraw(row) });
          await withdraw(row);
          return commit(row, { ...seen, state: 'pending', path: 'legacy', reason: `${reason}; switching to OS update commands`, step: {}, nextAt: deps.now() }, {});
        }
        // A failure the device has not yet retried: note when it was first seen (the timer asks again).
        if (m.installState === 'failed') m.failedAt = mem.installState === 'failed' && mem.failedAt !== undefined ? mem.failedAt : deps.now().getTime();
        else m.failedAt = undefined;
        if (!o.state) return os ? commit(row, { ...seen, step: m }, {}) : null;
        return commit(row, { ...seen, state: o.state, reason: o.reason, step: m, ...(o.state === 'failed' ? {} : {}) }, o.state === 'failed' ? { after: () => withdraw(row) } : {});
      }
      if (ev.kind === 'tick') {
        const now = deps.now();
        const next = new Date(now.getTime() + 4 * deps.pollMs);
        // A device that reported is left alone (it waits for its enforcement time, or installs);
        // one that never did since the assignment gets the set applied again and a sync.
        // A day past its enforcement time with nothing pending: the device does not offer the target.
        const enforceAt = mem.enforceAt ? Date.parse(`${mem.enforceAt}Z`) : NaN;
        if (Number.isFinite(enforceAt) && now.getTime() > enforceAt + 86400_000 && (mem.installState === undefined || mem.installState === 'none')) {
          return commit(row, { state: 'blocked', reason: `the device has nothing pending a day after the enforcement time: it does not offer ${row.targetVersion}` }, { after: () => withdraw(row) });
        }
        // A failed download or install the device leaves failed (an enforced update is not retried on
        // its own until the declarations are applied again): after four polls, ask it to sync, which
        // re-applies the enforcement and starts the update over. The device counts its failures; past
        // the campaign's retries the status report fails the device.
        if (mem.installState === 'failed' && mem.failedAt !== undefined && now.getTime() - mem.failedAt >= 4 * deps.pollMs) {
          const retried = (mem.retried ?? 0) + 1;
          if (retried > spec.retries + 1) {
            return commit(row, { state: 'failed', reason: `the device stayed failed after ${retried - 1} requests to try again (${mem.failures ?? 1} failures reported)` }, { after: () => withdraw(row) });
          }
          return commit(row, { reason: `the device reported a failed update (${mem.failures ?? 1} so far); asked it to try again (${retried})`, step: { ...mem, failedAt: now.getTime(), retried }, nextAt: next }, {
            after: async () => { await deps.ddm.sync([row.deviceId], now, deps.wakes); },
          });
        }
        if (mem.lastReportAt !== undefined || now.getTime() - (mem.assignedAt ?? 0) < 4 * deps.pollMs) return commit(row, { nextAt: next }, {});
        const target = { version: row.targetVersion!, build: row.targetBuild };
        const names = ddmNames(row.campaignId, target, row.wave);
        return commit(row, { reason: `no status from the device since the enforcement was declared (${hhmm(new Date(mem.assignedAt ?? now.getTime()))}); asked it to sync`, nextAt: new Date(now.getTime() + 12 * deps.pollMs) }, {
          after: async () => assign(names.set, batch?.ddm.get(names.set)?.declarations ?? await setDeclarations(names, () => ddmDeclarations(row.campaignId, spec, target, row.wave, now)), row.deviceId, now, batch),
        });
      }
      return os ? commit(row, seen, {}) : null;
    }

    // Legacy path.
    let lev: LegacyEvent;
    if (ev.kind === 'tick') {
      if (campaign.state !== 'running') return null;
      if (mem.deferred) {
        const c = mem.deferred as CommandToSend;
        return commit(row, { step: { ...mem, deferred: undefined }, reason: row.reason, nextAt: new Date(deps.now().getTime() + deps.pollMs) }, { command: c });
      }
      if (mem.pending && deps.now().getTime() - mem.pending.sentAt >= deps.pollMs) {
        // Repair: a command recorded but never queued (a crash between the two) is queued now.
        const queued = await store.getCommand(mem.pending.uuid, row.deviceId);
        if (queued.length === 0) {
          return commit(row, { step: { ...mem, pending: undefined }, nextAt: new Date(deps.now().getTime() + deps.pollMs) }, { command: { requestType: mem.pending.type, payload: (mem.pendingPayload as Record<string, unknown>) ?? {} } });
        }
        if (queued[0]!.status !== 'queued') {
          // Answered while no engine was listening (a crash between the answer and its step): take the answer now.
          const q = queued[0]!;
          return advance(row, campaign, { kind: 'result', uuid: q.uuid, requestType: q.requestType, status: resultStatus(q.status), body: (q.resultJson as Record<string, unknown>) ?? {} }, tick);
        }
      }
      lev = { kind: 'tick' };
    } else if (ev.kind === 'result') {
      if (!mem.pending || mem.pending.uuid.toLowerCase() !== ev.uuid.toLowerCase()) return os ? commit(row, seen, {}) : null; // late or foreign: recorded, never moves the device back
      lev = { kind: 'result', requestType: ev.requestType ?? mem.pending.type, status: ev.status, body: ev.body, error: errorOf(ev.body) };
    } else {
      return os ? commit(row, seen, {}) : null;
    }
    return runLegacy(row, campaign, lev, seen);
  }

  async function runLegacy(row: CampaignDeviceRecord, campaign: CampaignRecord, lev: LegacyEvent, seen: CampaignDevicePatch) {
    const spec = campaign.spec as CampaignSpec;
    const enrollment = await store.getEnrollment(row.deviceId);
    const r = legacyStep(row.state, row.step as LegacyMemory, lev, stepContext({ ...row, ...seen } as CampaignDeviceRecord, spec, enrollment?.platform ?? null));
    const mem = r.memory as LegacyMemory;
    const patch: CampaignDevicePatch = { ...seen, ...patchOf(r) };
    // A target the device's own list chose (a policy no catalog could resolve) is known from now on.
    if (!row.targetVersion && typeof mem.productVersion === 'string') {
      patch.targetVersion = mem.productVersion;
      patch.targetBuild = typeof mem.productBuild === 'string' ? mem.productBuild : null;
    }
    let command = r.command;
    if (command) mem.pendingPayload = command.payload;
    if (command && campaign.state !== 'running') {
      mem.deferred = command;
      patch.reason = `paused (next: ${command.requestType})`;
      command = null;
    }
    return commit(row, patch, { command, push: r.push, after: isTerminal(r.state) ? () => withdraw(row) : undefined });
  }

  return { advance, withdraw, prefetch, flush, ENGINE_COMMANDS };
}

function resultStatus(s: string): 'Acknowledged' | 'Error' | 'CommandFormatError' | 'NotNow' {
  return s === 'acknowledged' ? 'Acknowledged' : s === 'format_error' ? 'CommandFormatError' : 'Error';
}
