// Keeps stored postures in step with the inventory: a store whose upsertInventory, once the
// inventory row is written, recomputes the device's posture when a field posture reads changed
// (battery, free space, names and the query bookkeeping do not count). The inventory observer is
// given this store; a failure here is logged and never fails the inventory write.
import type { Logger } from 'pino';
import type { InventoryStore } from '../../storage/types-inventory.js';
import type { DeviceInventory } from '../types.js';
import type { PostureService } from './service.js';

/** The inventory fields a posture depends on. */
export const POSTURE_FIELDS: ReadonlySet<keyof DeviceInventory> = new Set<keyof DeviceInventory>([
  'platform', 'osVersion', 'buildVersion', 'supplementalBuildVersion', 'supplementalOsVersionExtra', 'model', 'softwareUpdateDeviceId',
  'boardId', 'isSupervised', 'isAppleSilicon', 'isUserEnrollment', 'enrolledViaDep', 'bootstrapTokenRequiredForSoftwareUpdate',
  'bootstrapTokenEscrowed', 'lastUpdateAttempt',
]);

export function recomputePostureOnChange<S extends Pick<InventoryStore, 'upsertInventory'>>(store: S, posture: PostureService, logger?: Logger): S {
  return {
    ...store,
    async upsertInventory(deviceId, patch, at, opts) {
      const result = await store.upsertInventory(deviceId, patch, at, opts);
      if (result.created || result.changes.some((c) => POSTURE_FIELDS.has(c.field as keyof DeviceInventory))) {
        try {
          await posture.recomputeInventories([result.inventory]);
        } catch (err) {
          logger?.error({ err, deviceId }, 'posture: recompute after an inventory change failed (the fleet recompute catches up)');
        }
      }
      return result;
    },
  };
}
