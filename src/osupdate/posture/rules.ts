// Who may be updated through MDM, as data. Each platform lists the requirements an OS update (and a
// major upgrade) pushed by MDM needs; each requirement says how to read it from the inventory and
// why it matters. Sources: PROTOCOL.md §2 (ScheduleOSUpdate needs supervision; macOS answers
// MDMClientError 74 "Command requires DEP enrollment" without ADE), §3.3 (DDM enforcement needs
// supervision on macOS), §2.2 (RequiresBootstrapToken on Apple silicon), §9.6 (User Enrollment never
// receives OS update commands).
import type { Platform } from '../../mdm/types.js';
import type { DeviceInventory, OsFamily } from '../types.js';

/** The SOFA feed that carries CVEs for a family (gdmf carries none); null when none does. */
export const SOFA_OF: Record<OsFamily, 'sofa-macos' | 'sofa-ios' | null> = {
  macOS: 'sofa-macos',
  iOS: 'sofa-ios',
  visionOS: null,
};

type Inv = Pick<
  DeviceInventory,
  'isUserEnrollment' | 'isSupervised' | 'enrolledViaDep' | 'isAppleSilicon' | 'bootstrapTokenRequiredForSoftwareUpdate' | 'bootstrapTokenEscrowed'
>;

export interface Requirement {
  /** Whether the requirement applies to this device at all (default: always). */
  applies?(inv: Inv): boolean;
  /** true: met; false: not met; null: the device has not reported it yet (counts as not met). */
  met(inv: Inv): boolean | null;
  /** Why updates are refused when it is not met. */
  reason: string;
  /** Why, when the device has not reported what it takes. */
  unknown: string;
}

export const REQUIREMENTS = {
  notUserEnrollment: {
    met: (inv) => (inv.isUserEnrollment === null ? true : !inv.isUserEnrollment),
    reason: 'User Enrollment: OS updates are not managed through MDM',
    unknown: '',
  },
  ade: {
    met: (inv) => inv.enrolledViaDep,
    reason: 'not enrolled through ADE: macOS refuses MDM OS updates (MDMClientError 74)',
    unknown: 'ADE enrollment not reported yet (SecurityInfo ManagementStatus.EnrolledViaDEP)',
  },
  supervised: {
    met: (inv) => inv.isSupervised,
    reason: 'not supervised: MDM OS updates need a supervised device',
    unknown: 'supervision not reported yet (DeviceInformation IsSupervised)',
  },
  bootstrapToken: {
    applies: (inv) => inv.bootstrapTokenRequiredForSoftwareUpdate === true && inv.isAppleSilicon !== false,
    met: (inv) => inv.bootstrapTokenEscrowed,
    reason: 'Apple silicon Mac requires a bootstrap token for software updates and none is escrowed',
    unknown: '',
  },
} satisfies Record<string, Requirement>;

export type RequirementName = keyof typeof REQUIREMENTS;

/** What an MDM-driven OS update needs per platform; null: the platform's updates are not managed by MDM. */
export const UPDATE_REQUIREMENTS: Record<Platform, readonly RequirementName[] | null> = {
  macOS: ['notUserEnrollment', 'ade', 'supervised', 'bootstrapToken'],
  iOS: ['notUserEnrollment', 'supervised'],
  iPadOS: ['notUserEnrollment', 'supervised'],
  tvOS: ['notUserEnrollment', 'supervised'],
  visionOS: ['notUserEnrollment', 'supervised'],
  watchOS: null,
};

/** The reasons MDM cannot update this device (empty: it can). */
export function updateBlockers(platform: Platform, inv: Inv): string[] {
  const names = UPDATE_REQUIREMENTS[platform];
  if (names === null) return [`${platform} updates are not managed through MDM`];
  const out: string[] = [];
  for (const name of names) {
    const req: Requirement = REQUIREMENTS[name];
    if (req.applies && !req.applies(inv)) continue;
    const met = req.met(inv);
    if (met === true) continue;
    out.push(met === null && req.unknown ? req.unknown : req.reason);
    if (name === 'notUserEnrollment') break; // nothing else matters for a User Enrollment
  }
  return out;
}
