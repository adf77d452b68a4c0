// The inventory observer: keeps each device's inventory true from what the device reports.
//   DeviceInformation / SecurityInfo results    → the fields they answer
//   ScheduleOSUpdate / OSUpdateStatus results   → the last update attempt
//   DDM status reports (device.*, softwareupdate.*) → OS, model, software update state
//   first TokenUpdate (a new or re-enrolled device) → DeviceInformation + SecurityInfo queued
//   an OS version or build change seen outside DeviceInformation → DeviceInformation queued
//   SetBootstrapToken                            → whether a bootstrap token is escrowed
// Only device channels have an inventory; user channels' reports are left alone.
import { parseAnyPlist, type PlistDict } from '../../plist/index.js';
import type { Observer, ResultSeen } from '../../service/observers.js';
import type { Wakes } from '../../service/types.js';
import type { EnrollmentRecord } from '../../storage/types.js';
import type { InventoryChange, InventoryPatch } from '../types.js';
import { ddmAttempt, fromStatusItems } from './ddm.js';
import { fromDeviceInformation, fromSecurityInfo, isDict } from './parse.js';
import { queueDeviceInventory, type QueryDeps } from './query.js';
import { fromUpdateResult, isUpdateCommand } from './update-results.js';

/** Fields whose change means the device now runs another OS. */
const OS_FIELDS = new Set(['osVersion', 'buildVersion']);

export interface InventoryObserverOptions extends QueryDeps {
  /** Ask devices by itself at enrollment and after an OS change (default true; false: only answers count). */
  query?: boolean;
}

export function inventoryObserver(deps: InventoryObserverOptions): Observer {
  const { store } = deps;

  /** Queue DeviceInformation (and, for a new enrollment, SecurityInfo) for a device channel; its push goes to the request's `wakes`. */
  async function query(deviceId: string, at: Date, wakes: Wakes | undefined, security: boolean, known?: EnrollmentRecord): Promise<void> {
    if (deps.query === false) return;
    const e = known ?? (await store.getEnrollment(deviceId));
    if (!e || !e.enabled) return;
    const target = { platform: e.platform, osVersion: e.osVersion, userEnrollment: e.type === 'UserEnrollmentDevice' };
    await queueDeviceInventory({ ...deps, wakes }, { deviceId, target, security }, at);
  }

  /** An OS change the device reported other than through DeviceInformation: refresh the rest. */
  async function afterChange(deviceId: string, changes: InventoryChange[], at: Date, wakes: Wakes | undefined): Promise<void> {
    if (changes.some((c) => OS_FIELDS.has(c.field) && c.oldValue !== null && c.oldValue !== undefined)) await query(deviceId, at, wakes, false);
  }

  /** The Command dictionary a result answers, for what the result itself does not repeat. */
  async function sentCommand(e: ResultSeen): Promise<PlistDict | null> {
    const [c] = await store.getCommand(e.uuid, e.enrollmentId);
    if (!c) return null;
    try {
      const plist = parseAnyPlist(c.raw);
      return isDict(plist) && isDict(plist.Command) ? plist.Command : null;
    } catch {
      return null;
    }
  }

  return {
    async result(e) {
      if (e.enrollmentId !== e.deviceId || e.status === 'NotNow') return;
      if (e.requestType === 'DeviceInformation' && e.status === 'Acknowledged') {
        const known = (await store.getInventory(e.deviceId))?.platform ?? null;
        await store.upsertInventory(e.deviceId, fromDeviceInformation(e.dict.QueryResponses, known), e.at, { information: true });
      } else if (e.requestType === 'SecurityInfo') {
        // An error answer counts as answered too: the schedule asks SecurityInfo only of devices that never did.
        const patch = e.status === 'Acknowledged' ? fromSecurityInfo(e.dict.SecurityInfo) : {};
        await store.upsertInventory(e.deviceId, patch, e.at, { security: true });
      } else if (isUpdateCommand(e.requestType)) {
        const attempt = fromUpdateResult({
          requestType: e.requestType, status: e.status, dict: e.dict, errorChain: e.errorChain, command: await sentCommand(e), at: e.at,
        });
        if (attempt) await store.upsertInventory(e.deviceId, { lastUpdateAttempt: attempt }, e.at);
      }
    },

    async status(e) {
      if (e.enrollmentId !== e.deviceId) return;
      const before = await store.getInventory(e.deviceId);
      const { patch, update } = fromStatusItems(e.items, before?.platform ?? null);
      const full: InventoryPatch = update ? { ...patch, lastUpdateAttempt: ddmAttempt(before?.lastUpdateAttempt ?? null, update, e.at) } : patch;
      if (Object.keys(full).length === 0) return;
      const { changes } = await store.upsertInventory(e.deviceId, full, e.at);
      await afterChange(e.deviceId, changes, e.at, e.wakes);
    },

    async checkin(e) {
      if (e.enrollmentId !== e.deviceId) return;
      if (e.messageType === 'TokenUpdate' && e.tokenUpdateTally === 1) {
        await query(e.deviceId, e.at, e.wakes, true, e.enrollment);
      } else if (e.messageType === 'SetBootstrapToken' && e.bootstrapTokenEscrowed !== undefined) {
        await store.upsertInventory(e.deviceId, { bootstrapTokenEscrowed: e.bootstrapTokenEscrowed }, e.at);
      }
    },
  };
}
