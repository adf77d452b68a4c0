// What Updraft asks a device in its inventory DeviceInformation: the OS-update-relevant queries,
// narrowed to those the device's OS answers and, on User Enrollment, those it is allowed to
// (per Apple's schema, in queries.generated.ts).
import { compareVersions, schemaOs } from '../../commands/catalog.js';
import type { OsName } from '../../commands/types.js';
import type { Platform } from '../../mdm/types.js';
import { QUERY_AVAILABILITY } from './queries.generated.js';

export type QueryAvailability = Partial<Record<OsName, false | { introduced?: string; userEnrollment?: 'forbidden' }>>;

/** The queries of an inventory DeviceInformation, in the order they are sent. */
export const INVENTORY_QUERIES = [
  'OSVersion', 'BuildVersion', 'SupplementalBuildVersion', 'SupplementalOSVersionExtra',
  'ProductName', 'Model', 'ModelName', 'ModelNumber', 'SerialNumber', 'DeviceName',
  'SoftwareUpdateDeviceID', 'IsSupervised', 'IsAppleSilicon',
  'DeviceCapacity', 'AvailableDeviceCapacity', 'BatteryLevel', 'OSUpdateSettings',
  // Maintenance windows in device-local time (iOS/iPadOS 14+; the schema gives macOS no TimeZone).
  'TimeZone',
] as const;

export interface QueryTarget {
  platform: Platform | null;
  osVersion: string | null;
  userEnrollment: boolean;
}

/** Whether the schema says the target can answer `query` (unknown platform or version: assumed so). */
export function canAnswer(query: string, target: QueryTarget): boolean {
  const a = QUERY_AVAILABILITY[query];
  if (!a) return false;
  if (!target.platform) return !target.userEnrollment || !Object.values(a).some((o) => o && o.userEnrollment === 'forbidden');
  const o = a[schemaOs(target.platform)];
  if (o === false) return false;
  if (!o) return true;
  if (target.userEnrollment && o.userEnrollment === 'forbidden') return false;
  return !(o.introduced && target.osVersion && compareVersions(target.osVersion, o.introduced) < 0);
}

/** The inventory queries for this target. */
export function inventoryQueries(target: QueryTarget): string[] {
  return INVENTORY_QUERIES.filter((q) => canAnswer(q, target));
}
