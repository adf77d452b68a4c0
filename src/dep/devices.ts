// Apple's device records (fetch, sync, details) as the rows Updraft keeps (storage/types-dep.ts).
import type { DepDeviceInput } from '../storage/types-dep.js';
import type { DepDevice } from './types.js';

const time = (s: string | undefined): Date | null => {
  if (!s) return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : new Date(t);
};

/** The row for a device a DEP name's fetch or sync answered (absent fields become null). */
export function depDeviceInput(depName: string, d: DepDevice): DepDeviceInput {
  return {
    depName,
    serialNumber: d.serial_number,
    model: d.model ?? null,
    description: d.description ?? null,
    color: d.color ?? null,
    assetTag: d.asset_tag ?? null,
    os: d.os ?? null,
    deviceFamily: d.device_family ?? null,
    deviceAssignedBy: d.device_assigned_by ?? null,
    deviceAssignedDate: time(d.device_assigned_date),
    opType: d.op_type ?? null,
    opDate: time(d.op_date),
    profileUuid: d.profile_uuid ?? null,
    profileStatus: d.profile_status ?? null,
    profileAssignTime: time(d.profile_assign_time),
    profilePushTime: time(d.profile_push_time),
  };
}
