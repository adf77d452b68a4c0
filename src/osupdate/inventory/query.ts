// Queueing the inventory's own DeviceInformation (and SecurityInfo) commands: at most one of each
// outstanding per device, only what the device's OS and enrollment can answer, one command per
// group of devices that get the same queries, then one push for all of them.
import type { Logger } from 'pino';
import { buildCommand, commandSpec, unsupportedReason, type WireCommand } from '../../commands/index.js';
import { enqueueCommand, pushEnrollments, type EnqueueDeps } from '../../service/enqueue.js';
import { inventoryQueries, type QueryTarget } from './queries.js';

/** Inventory queries are background work: queued below everything else (admin and campaign commands go first). */
export const INVENTORY_PRIORITY = -1;

export interface QueryDeps extends EnqueueDeps {
  logger?: Logger;
}

export interface InventoryQuery {
  deviceId: string;
  target: QueryTarget;
  /** Ask SecurityInfo too (enrollment via ADE, bootstrap token needs). */
  security: boolean;
}

/** Whether Apple's schema lets the device channel run the command (unknown platform: assumed so). */
function runs(requestType: string, target: QueryTarget): boolean {
  const spec = commandSpec(requestType);
  if (!spec) return false;
  if (!target.platform) return true;
  return unsupportedReason(spec, {
    platform: target.platform, osVersion: target.osVersion ?? undefined, channel: 'device', userEnrollment: target.userEnrollment,
  }) === null;
}

async function queueGroups(deps: QueryDeps, groups: Map<string, { command: () => WireCommand; ids: string[] }>, at: Date): Promise<string[]> {
  const queued: string[] = [];
  for (const { command, ids } of groups.values()) {
    const wire = command();
    const out = await enqueueCommand(deps, {
      uuid: wire.uuid, requestType: wire.requestType, xml: wire.xml, ids, push: false, at, priority: INVENTORY_PRIORITY,
    });
    for (const r of out.results) {
      if (r.enqueueError) deps.logger?.warn({ enrollmentId: r.id, error: r.enqueueError }, `inventory ${wire.requestType} not queued`);
      else queued.push(r.id);
    }
  }
  return queued;
}

/**
 * One device's inventory queries queued outside the schedule (an enrollment, an OS change), its
 * inventory row marked asked if a DeviceInformation was queued, the device pushed (by the device
 * request it came with: deps.wakes). Returns whether a DeviceInformation was queued. The look-up, the
 * enqueues and the mark are one statement on PostgreSQL, one transaction on SQLite (store.queueInventoryOnce).
 */
export async function queueDeviceInventory(deps: QueryDeps, device: InventoryQuery, at: Date): Promise<boolean> {
  const { store } = deps;
  const types = ['DeviceInformation', ...(device.security ? ['SecurityInfo'] : [])].filter((t) => runs(t, device.target));
  if (types.length === 0) return false;
  const commands = types.map((t) => buildCommand(t, t === 'DeviceInformation' ? { Queries: inventoryQueries(device.target) } : {}));
  const outcomes = await store.queueInventoryOnce(device.deviceId, commands.map((w) => ({ uuid: w.uuid, requestType: w.requestType, raw: w.xml, priority: INVENTORY_PRIORITY, expiresAt: null, at })), at);
  for (const o of outcomes) {
    if (!o.ok) deps.logger?.warn({ enrollmentId: device.deviceId, error: o.error }, `inventory ${o.requestType} not queued`);
  }
  const queued = outcomes.filter((o) => o.ok);
  if (queued.length > 0) await pushEnrollments(deps, [device.deviceId], at);
  return queued.some((o) => o.requestType === 'DeviceInformation');
}

/**
 * Queue the inventory queries of `devices` and push the devices that got one. Returns the devices a
 * DeviceInformation was queued for (those with one already outstanding are left alone).
 */
export async function queueInventoryQueries(deps: QueryDeps, devices: readonly InventoryQuery[], at: Date): Promise<string[]> {
  if (devices.length === 0) return [];
  const ids = devices.map((d) => d.deviceId);
  const pending = await deps.store.queuedCommandsOf(ids, devices.some((d) => d.security) ? ['DeviceInformation', 'SecurityInfo'] : ['DeviceInformation']);
  const infoPending = pending.get('DeviceInformation')!;
  const securityPending = pending.get('SecurityInfo') ?? new Set<string>();
  const info = new Map<string, { command: () => WireCommand; ids: string[] }>();
  const security = new Map<string, { command: () => WireCommand; ids: string[] }>();
  for (const d of devices) {
    if (!infoPending.has(d.deviceId) && runs('DeviceInformation', d.target)) {
      const queries = inventoryQueries(d.target);
      const key = queries.join(',');
      const group = info.get(key) ?? { command: () => buildCommand('DeviceInformation', { Queries: queries }), ids: [] };
      group.ids.push(d.deviceId);
      info.set(key, group);
    }
    if (d.security && !securityPending.has(d.deviceId) && runs('SecurityInfo', d.target)) {
      const group = security.get('') ?? { command: () => buildCommand('SecurityInfo', {}), ids: [] };
      group.ids.push(d.deviceId);
      security.set('', group);
    }
  }
  const queued = await queueGroups(deps, info, at);
  const secured = await queueGroups(deps, security, at);
  const woken = [...new Set([...queued, ...secured])];
  if (woken.length > 0 && deps.pusher.configured) {
    try {
      await pushEnrollments(deps, woken, at);
    } catch (err) {
      deps.logger?.warn({ err, devices: woken.length }, 'inventory queries queued, push failed (the re-push worker retries)');
    }
  }
  return queued;
}
