// The inventory API: a device's inventory as the OS update layer keeps it, and the history of its
// changes (what OS it ran when), both in snake_case.
import { Type } from '../schema.js';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.js';
import type { DeviceInventory, InventoryChange } from '../../osupdate/types.js';
import { createInventoryView } from '../../osupdate/inventory/view.js';
import { apiScope } from './scope.js';

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A value as the API shows it: Updraft's own objects (update attempt, pending update) in snake_case and
 * times as RFC 3339; what the device reported verbatim (OSUpdateSettings) keeps Apple's key names. */
function valueJson(field: string, v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (field === 'osUpdateSettings' || v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [snake(k), valueJson(k, x)]));
}

export function inventoryJson(inv: DeviceInventory): Record<string, unknown> {
  return Object.fromEntries(Object.entries(inv).map(([k, v]) => [snake(k), valueJson(k, v)]));
}

export function changeJson(c: InventoryChange): Record<string, unknown> {
  return { field: snake(c.field), old_value: valueJson(c.field, c.oldValue), new_value: valueJson(c.field, c.newValue), at: c.at.toISOString() };
}

const Id = Type.Object({ id: Type.String({ minLength: 1, description: 'The device channel id (UDID or EnrollmentID), or one of its user channels' }) });
const HistoryQuery = Type.Object({
  field: Type.Optional(Type.String({ minLength: 1, description: 'Only this field, e.g. os_version' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

export function registerInventory(app: FastifyInstance, deps: AppDeps): void {
  const view = createInventoryView(deps.store);
  apiScope(app, deps, (api) => {
    api.get(
      '/v1/devices/:id/inventory',
      { schema: { summary: 'A device\'s inventory (OS, build, model, software update ID, supervision, bootstrap token, last update attempt)', tags: ['Updraft'], params: Id } },
      async (req) => inventoryJson(await view.inventory(req.params.id)),
    );
    api.get(
      '/v1/devices/:id/inventory/history',
      { schema: { summary: 'Changes of a device\'s inventory, newest first', tags: ['Updraft'], params: Id, querystring: HistoryQuery } },
      async (req) => {
        const { deviceId, changes } = await view.history(req.params.id, { field: req.query.field, limit: req.query.limit });
        return { device_id: deviceId, changes: changes.map(changeJson) };
      },
    );
  });
}
