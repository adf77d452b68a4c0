// What the API and CLI read of the inventory: a device's inventory and its history, by any of the
// device's enrollment ids (a user channel's id shows its device's inventory).
import type { DeviceInventory, InventoryChange } from '../types.js';
import type { Store } from '../../storage/types.js';

/** The fields of DeviceInventory a report sets (and the history records). */
export const INVENTORY_FIELDS = [
  'platform', 'osVersion', 'buildVersion', 'supplementalBuildVersion', 'supplementalOsVersionExtra', 'osMarketingName',
  'productName', 'model', 'modelNumber', 'modelName', 'modelMarketingName', 'softwareUpdateDeviceId', 'boardId',
  'serialNumber', 'deviceName', 'isSupervised', 'isAppleSilicon', 'isUserEnrollment', 'enrolledViaDep',
  'bootstrapTokenRequiredForSoftwareUpdate', 'bootstrapTokenEscrowed', 'availableDeviceCapacity', 'deviceCapacity',
  'batteryLevel', 'osUpdateSettings', 'lastUpdateAttempt', 'pendingUpdate', 'timeZone',
] as const satisfies ReadonlyArray<keyof DeviceInventory>;

/** A refusal with the HTTP status to answer and the offending field. */
export class InventoryError extends Error {
  override readonly name = 'InventoryError';
  constructor(
    readonly statusCode: 400 | 404,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A field name as the API spells it (snake_case) or as the code does (camelCase) → the code's, or null. */
export function inventoryField(name: string): (typeof INVENTORY_FIELDS)[number] | null {
  return INVENTORY_FIELDS.find((f) => f === name || snake(f) === name) ?? null;
}

export function createInventoryView(store: Pick<Store, 'getEnrollment' | 'getInventory' | 'inventoryHistory'>) {
  async function deviceOf(id: string): Promise<string> {
    const e = await store.getEnrollment(id);
    if (!e) throw new InventoryError(404, `unknown device: ${id}`, 'id');
    return e.deviceId;
  }
  return {
    async inventory(id: string): Promise<DeviceInventory> {
      const deviceId = await deviceOf(id);
      const inv = await store.getInventory(deviceId);
      if (!inv) throw new InventoryError(404, `no inventory for ${deviceId} yet (it has not reported one)`, 'id');
      return inv;
    },
    async history(id: string, opts: { field?: string; limit?: number } = {}): Promise<{ deviceId: string; changes: InventoryChange[] }> {
      let field: string | undefined;
      if (opts.field !== undefined) {
        field = inventoryField(opts.field) ?? undefined;
        if (!field) throw new InventoryError(400, `unknown inventory field ${JSON.stringify(opts.field)} (one of ${INVENTORY_FIELDS.map(snake).join(', ')})`, 'field');
      }
      const deviceId = await deviceOf(id);
      return { deviceId, changes: await store.inventoryHistory(deviceId, { field, limit: opts.limit }) };
    },
  };
}

export type InventoryView = ReturnType<typeof createInventoryView>;
