// Kysely table types of the inventory tables (migration 005_inventory); the inventory store sees the
// core tables and these through db.withTables<InventoryTables>().
import type { Generated, Kysely } from 'kysely';
import type { Database } from './schema.js';

// A type alias (not an interface): withTables wants an index-signature-compatible record.
export type InventoryTables = {
  device_inventory: {
    device_id: string;
    /** 0..65535: where in each inventory interval the device's scheduled query falls (from its id). */
    phase: number;
    platform: string | null;
    os_version: string | null;
    build_version: string | null;
    supplemental_build_version: string | null;
    supplemental_os_version_extra: string | null;
    product_name: string | null;
    model: string | null;
    model_number: string | null;
    model_name: string | null;
    software_update_device_id: string | null;
    board_id: string | null;
    serial_number: string | null;
    device_name: string | null;
    /** Flags: 0/1, null when unknown. */
    is_supervised: number | null;
    is_apple_silicon: number | null;
    is_user_enrollment: number | null;
    enrolled_via_dep: number | null;
    bootstrap_token_required: number | null;
    bootstrap_token_escrowed: number;
    /** JSON: the rest of DeviceInventory (capacities, battery, OSUpdateSettings, last update attempt, pending update). */
    data: string;
    information_at: number | null;
    security_at: number | null;
    queried_at: number | null;
    updated_at: number;
  };
  inventory_history: {
    id: Generated<number>;
    device_id: string;
    field: string;
    /** JSON text. */
    old_value: string | null;
    new_value: string | null;
    at: number;
  };
};

export type InventoryDb = Kysely<Database & InventoryTables>;

/** A device's phase: FNV-1a of its id, folded to 16 bits (spreads a fleet's queries over the interval). */
export function inventoryPhase(deviceId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < deviceId.length; i++) {
    h ^= deviceId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return ((h >>> 16) ^ h) & 0xffff;
}
