// Enrollment ID normalization (PROTOCOL.md §1.2): one id per channel, stable for the device's lifetime.
import type { PlistDict } from '../plist/index.js';
import { ProtocolError } from './errors.js';
import { optString } from './fields.js';
import type { Enrollment, Identifiers } from './types.js';

/** Shared iPad user channels all send this UserID; the user is told apart by UserShortName. */
export const SHARED_IPAD_USER_ID = 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF';

const IDENTIFIER_KEYS: ReadonlyArray<[keyof Identifiers, string]> = [
  ['udid', 'UDID'],
  ['enrollmentId', 'EnrollmentID'],
  ['enrollmentUserId', 'EnrollmentUserID'],
  ['userId', 'UserID'],
  ['userShortName', 'UserShortName'],
  ['userLongName', 'UserLongName'],
];

/** The identifying keys of a check-in or report dict. */
export function identifiersOf(d: PlistDict, what: string): Identifiers {
  const ids: Identifiers = {};
  for (const [field, key] of IDENTIFIER_KEYS) {
    const v = optString(d, key, what);
    if (v !== null) ids[field] = v;
  }
  return ids;
}

/** The normalized enrollment of a message; throws when it names no device. */
export function resolveEnrollment(ids: Identifiers, what = 'message'): Enrollment {
  const userLongName = ids.userLongName ?? null;
  if (ids.udid) {
    const base = { deviceId: ids.udid, udid: ids.udid, enrollmentId: null, userLongName };
    if (!ids.userId) {
      return { ...base, id: ids.udid, type: 'Device', userId: null, userShortName: ids.userShortName ?? null };
    }
    if (ids.userId.toUpperCase() === SHARED_IPAD_USER_ID) {
      if (!ids.userShortName) throw new ProtocolError(`${what}: Shared iPad user channel without UserShortName`);
      return { ...base, id: `${ids.udid}:${ids.userShortName}`, type: 'SharediPad', userId: ids.userId, userShortName: ids.userShortName };
    }
    return { ...base, id: `${ids.udid}:${ids.userId}`, type: 'User', userId: ids.userId, userShortName: ids.userShortName ?? null };
  }
  if (ids.enrollmentId) {
    const base = { deviceId: ids.enrollmentId, udid: null, enrollmentId: ids.enrollmentId, userId: null, userShortName: ids.userShortName ?? null, userLongName };
    if (ids.enrollmentUserId) {
      return { ...base, id: `${ids.enrollmentId}:${ids.enrollmentUserId}`, type: 'UserEnrollment', userId: ids.enrollmentUserId };
    }
    return { ...base, id: ids.enrollmentId, type: 'UserEnrollmentDevice' };
  }
  throw new ProtocolError(`${what}: missing UDID or EnrollmentID`);
}
