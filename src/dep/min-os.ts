// Minimum OS at ADE enrollment (iOS 17 / macOS 14 on): a device whose MachineInfo shows an OS older
// than the admin's minimum for its platform is answered 403 with Apple's ErrorCodeSoftwareUpdateRequired
// body (mdm/errors/softwareupdate.required.yaml), so it updates in Setup Assistant and enrolls after.
// The version and build it is sent to come from the catalogs' matching release. Pure.
import type { CatalogView, Release } from '../osupdate/types.js';
import { familyOf } from '../osupdate/catalog/view.js';
import { compareVersions, majorOf } from '../osupdate/version.js';
import type { MachineInfo } from './machineinfo.js';

export const SOFTWARE_UPDATE_REQUIRED = 'com.apple.softwareupdate.required';

export interface SoftwareUpdateRequired {
  code: typeof SOFTWARE_UPDATE_REQUIRED;
  description: string;
  message: string;
  details: { OSVersion: string; BuildVersion?: string };
}

/** The release a device below `minimum` is sent to: the newest of the minimum's major that meets it, else the oldest that does. */
export function releaseMeeting(releases: readonly Release[], minimum: string): Release | null {
  const full = releases.filter((r) => r.extra === null && compareVersions(r.version, minimum) >= 0);
  const sameMajor = full.filter((r) => majorOf(r.version) === majorOf(minimum)).sort((a, b) => compareVersions(b.version, a.version));
  if (sameMajor[0]) return sameMajor[0];
  return [...full].sort((a, b) => compareVersions(a.version, b.version))[0] ?? null;
}

/**
 * The 403 body when the device must update first; null when it meets the minimum, when no minimum is
 * set for its platform, or when it cannot be asked (no OS_VERSION or MDM_CAN_REQUEST_SOFTWARE_UPDATE:
 * before iOS 17 / macOS 14 the flow does not exist, and the device enrolls as it is).
 */
export function requiredUpdate(mi: MachineInfo, minimum: string | undefined, view: CatalogView | null): SoftwareUpdateRequired | null {
  if (!minimum || !mi.platform || !mi.osVersion || !mi.canRequestSoftwareUpdate) return null;
  if (compareVersions(mi.osVersion, minimum) >= 0) return null;
  const keys = { platform: mi.platform, model: mi.product, softwareUpdateDeviceId: mi.softwareUpdateDeviceId, boardId: null };
  const releases = view?.releasesFor(keys) ?? view?.releases(familyOf(mi.platform)) ?? [];
  const r = releaseMeeting(releases, minimum);
  const version = r?.version ?? minimum;
  return {
    code: SOFTWARE_UPDATE_REQUIRED,
    description: `${mi.platform} ${mi.osVersion} is older than the minimum ${minimum} for enrollment; update to ${version}`,
    message: `This device must be updated to ${mi.platform} ${version} before it can enroll.`,
    details: { OSVersion: version, ...(r?.build ? { BuildVersion: r.build } : {}) },
  };
}
