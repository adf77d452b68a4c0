// The device inventory store: one row per device channel (the OS update layer's DeviceInventory),
// every change of a field kept with its previous value and time, and the bookkeeping of the
// scheduled DeviceInformation queries (due devices, claimed once across server processes).
import type { DeviceInventory, InventoryChange, InventoryPatch } from '../osupdate/types.js';
import type { Platform } from '../mdm/types.js';
import type { NewCommand } from './types.js';

export type { DeviceInventory, InventoryChange, InventoryPatch };

export interface InventoryUpsertOptions {
  /** The patch is a DeviceInformation answer: informationAt becomes `at`. */
  information?: boolean;
  /** The patch is a SecurityInfo answer: securityAt becomes `at`. */
  security?: boolean;
}

export interface InventoryUpsertResult {
  inventory: DeviceInventory;
  /** The fields whose value changed (also written to the history), in field order. */
  changes: InventoryChange[];
  /** Whether the row did not exist before. */
  created: boolean;
}

/** A device whose scheduled DeviceInformation is due, with what choosing its queries needs. */
export interface DueInventory {
  deviceId: string;
  platform: Platform | null;
  osVersion: string | null;
  /** The channel is a User Enrollment (some queries are forbidden there). */
  userEnrollment: boolean;
  /** When the device last answered SecurityInfo (null: never). */
  securityAt: Date | null;
}

export interface InventoryStore {
  /**
   * Apply `patch` to the device's inventory in one transaction: the row is created if missing, every
   * field whose value changes gets a history row (battery level and free capacity excepted: they
   * change at every report), and the device channel's enrollment columns (OS version, build, model,
   * serial, …) are kept in step. Fields absent from the patch are left as they are.
   */
  upsertInventory(deviceId: string, patch: InventoryPatch, at: Date, opts?: InventoryUpsertOptions): Promise<InventoryUpsertResult>;
  getInventory(deviceId: string): Promise<DeviceInventory | null>;
  /** The inventories of those of `deviceIds` that have one, by id. */
  listInventory(deviceIds: readonly string[]): Promise<DeviceInventory[]>;
  /** A device's changes, newest first; `field` names a DeviceInventory field (camelCase). */
  inventoryHistory(deviceId: string, opts?: { field?: string; limit?: number }): Promise<InventoryChange[]>;
  /**
   * Enabled device channels whose scheduled DeviceInformation is due at `at`: neither answered nor
   * queried since the device's last slot (a per-device offset within `intervalMs`, from a hash of its
   * id). By id; with `after`, only ids greater than it (to page through a large fleet).
   */
  dueInventory(at: Date, intervalMs: number, limit: number, after?: string): Promise<DueInventory[]>;
  /**
   * Mark those of `deviceIds` still due as queried at `at`, with a conditional update, so that of
   * several processes only one claims a device per slot; returns the ids this caller claimed.
   */
  claimInventory(deviceIds: readonly string[], at: Date, intervalMs: number): Promise<string[]>;
  /** For each of `requestTypes`, those of `enrollmentIds` with a still-queued command of it (one query). */
  queuedCommandsOf(enrollmentIds: readonly string[], requestTypes: readonly string[]): Promise<Map<string, Set<string>>>;
  /**
   * In one transaction (one statement on PostgreSQL): queue each of `commands`, in order, for the
   * device unless it has a command of that request type queued already, and mark its inventory row
   * queried if a DeviceInformation was queued. One outcome per command not skipped as already queued.
   */
  queueInventoryOnce(deviceId: string, commands: readonly NewCommand[], at: Date): Promise<Array<{ requestType: string; ok: boolean; error?: string }>>;
}
