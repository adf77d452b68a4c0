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

function channel(
  id: string, type: Enrollment['type'], deviceId: string, udid: string | null, enrollmentId: string | null,
  userId: string | null, ids: Identifiers,
): Enrollment {
  return { id, type, deviceId, udid, enrollmentId, userId, userShortName: ids.userShortName ?? null, userLongName: ids.userLongName ?? null };
}

/** The normalized enrollment of a message; throws when it names no device. */
export function resolveEnrollment(ids: Identifiers, what = 'message'): Enrollment {
  const { udid, userId, enrollmentId } = ids;
  if (udid) {
    if (!userId) return channel(udid, 'Device', udid, udid, null, null, ids);
    if (userId.toUpperCase() === SHARED_IPAD_USER_ID) {
      if (!ids.userShortName) throw new ProtocolError(`${what}: Shared iPad user channel without UserShortName`);
      return channel(`${udid}:${ids.userShortName}`, 'SharediPad', udid, udid, null, userId, ids);
    }
    return channel(`${udid}:${userId}`, 'User', udid, udid, null, userId, ids);
  }
  if (enrollmentId) {
    const user = ids.enrollmentUserId;
    if (user) return channel(`${enrollmentId}:${user}`, 'UserEnrollment', enrollmentId, null, enrollmentId, user, ids);
    return channel(enrollmentId, 'UserEnrollmentDevice', enrollmentId, null, enrollmentId, null, ids);
  }
  throw new ProtocolError(`${what}: missing UDID or EnrollmentID`);
}
