// Planning one device: which path (legacy commands or DDM), which version and build, or why it
// cannot update. The dry run answers with these plans; a running campaign plans each device again
// when its turn comes (the device may have moved meanwhile). Pure: facts in, plan out.
import type { Platform } from '../../mdm/types.js';
import type { CatalogView, OsFamily, Release } from '../types.js';
import { compareVersions, majorOf, newer } from '../version.js';
import type { CampaignSpec, Plan } from './types.js';

/** What planning needs to know about a device (from its enrollment and inventory). */
export interface DeviceFacts {
  deviceId: string;
  userEnrollment: boolean;
  platform: Platform | null;
  osVersion: string | null;
  buildVersion: string | null;
  model: string | null;
  softwareUpdateDeviceId: string | null;
  boardId: string | null;
  supervised: boolean | null;
  enrolledViaDep: boolean | null;
  appleSilicon: boolean | null;
  bootstrapTokenRequired: boolean | null;
  bootstrapTokenEscrowed: boolean;
  /** The device's IANA time zone from inventory (null: unknown, e.g. every Mac). */
  timeZone?: string | null;
  /** AvailableDeviceCapacity from inventory, GB (null: unknown). */
  freeGB?: number | null;
}

/** The platform rules of both paths, kept as data. */
export const RULES = {
  /** DDM software-update enforcement: macOS 14+ supervised; iOS/iPadOS 17+ supervised or device enrollment. */
  ddmFrom: { macOS: 14, iOS: 17, iPadOS: 17 } as Partial<Record<Platform, number>>,
  /** The legacy commands are gone from this major on (Apple lists them as removed after 26). */
  legacyUntil: 26,
  managed: ['macOS', 'iOS', 'iPadOS'] as Platform[],
  /**
   * Free space (GB) an OS update typically needs on the legacy path: the download and room to unpack
   * it (AvailableOSUpdates reports DownloadSize and InstallSize; about twice the download in all).
   * A device with less is refused by ScheduleOSUpdate with DownloadInsufficientSpace.
   */
  freeSpaceGB: { macOS: { minor: 8, major: 26 }, iOS: { minor: 4, major: 12 } } as Record<'macOS' | 'iOS', { minor: number; major: number }>,
};

export const familyOf = (p: Platform): OsFamily => (p === 'macOS' ? 'macOS' : p === 'visionOS' ? 'visionOS' : 'iOS');

function pick(releases: readonly Release[], spec: CampaignSpec, current: string): Release | null {
  const full = releases.filter((r) => r.extra === null);
  const policy = spec.target.policy;
  if (policy === 'latest' || policy === 'latest-major') return full[0] ?? null;
  const sameMajor = full.find((r) => majorOf(r.version) === majorOf(current)) ?? null;
  if (policy === 'latest-minor') return sameMajor;
  if (policy === 'minimum') {
    const floor = spec.target.version!;
    if (sameMajor && compareVersions(sameMajor.version, floor) >= 0) return sameMajor;
    return full.find((r) => compareVersions(r.version, floor) >= 0) ?? null;
  }
  return null;
}

function nearest(releases: readonly Release[], version: string): string {
  const sorted = [...new Set(releases.filter((r) => r.extra === null).map((r) => r.version))]
    .sort((a, b) => Math.abs(score(a) - score(version)) - Math.abs(score(b) - score(version)));
  return sorted.slice(0, 3).join(', ');
}
const score = (v: string): number => v.split('.').map(Number).reduce((acc, n, i) => acc + n * 100 ** (2 - i), 0);

export function planDevice(d: DeviceFacts, spec: CampaignSpec, view: CatalogView | null): Plan {
  const base = {
    deviceId: d.deviceId, osVersion: d.osVersion, buildVersion: d.buildVersion, platform: d.platform, model: d.model,
    path: null, target: null, deviceDecides: false, major: false,
  } as const;
  const no = (state: Plan['state'], reason: string, extra: Partial<Plan> = {}): Plan => ({ ...base, state, reason, ...extra });
  if (d.userEnrollment) return no('not_eligible', 'User Enrollment: OS updates are not managed on personal devices');
  if (!d.platform || !RULES.managed.includes(d.platform)) return no('not_eligible', `${d.platform ?? 'unknown platform'}: campaigns update macOS, iOS and iPadOS`);
  if (!d.osVersion) return no('not_eligible', 'no OS version known yet (the device has not answered DeviceInformation)');

  // The target: from the catalogs where they know the hardware, else the device's own list decides.
  const family = familyOf(d.platform);
  const releases = view?.releasesFor({ platform: d.platform, model: d.model, softwareUpdateDeviceId: d.softwareUpdateDeviceId, boardId: d.boardId }) ?? null;
  const t = spec.target;
  let target: { version: string; build: string | null } | null = null;
  let deviceDecides = false;
  if (t.policy === 'minimum' && compareVersions(d.osVersion, t.version!) >= 0) {
    return no('done', `already at or above ${t.version} (on ${d.osVersion})`);
  }
  if (t.version && t.policy !== 'minimum') {
    const wanted = t.version;
    const isBuild = !/^\d+(\.\d+)*$/.test(wanted);
    const match = (r: Release) => (isBuild ? r.build === wanted : r.version === wanted && (!t.build || r.build === t.build));
    const known = view?.releases(family).find(match) ?? null;
    if (releases && known) {
      const fits = releases.find(match);
      if (!fits) return no('not_eligible', `${wanted} is not offered for ${d.model ?? d.softwareUpdateDeviceId}; nearest valid: ${nearest(releases, known.version) || 'none'}`);
      target = { version: fits.version, build: fits.build || null };
    } else if (known && !releases) {
      target = { version: known.version, build: t.build ?? (known.build || null) };
    } else {
      // No catalog lists this release (old ones, like 10.14): the device's AvailableOSUpdates decides.
      target = isBuild ? { version: wanted, build: wanted } : { version: wanted, build: t.build ?? null };
      deviceDecides = true;
    }
  } else if (releases) {
    const r = pick(releases, spec, d.osVersion);
    if (!r) return no('not_eligible', `no release for ${d.model ?? 'this model'} meets the ${t.policy} target`);
    target = { version: r.version, build: r.build || null };
  } else {
    deviceDecides = true;
  }

  if (target && !deviceDecides && !newer(target, { version: d.osVersion, build: d.buildVersion })) {
    return no('done', `already on ${d.osVersion}${d.buildVersion ? ` (${d.buildVersion})` : ''}`);
  }
  // A build-named target (a 2018 installer, 18A391) says nothing of its major: the device will tell (error 74).
  const major = target !== null && /^\d+(\.\d+)*$/.test(target.version) &&
    compareVersions(target.version, d.osVersion) > 0 && majorOf(target.version) !== majorOf(d.osVersion);
  const plan = { ...base, target, deviceDecides, major };
  return choosePath(d, plan);
}

function choosePath(d: DeviceFacts, plan: Omit<Plan, 'state' | 'reason' | 'path'>): Plan {
  const mac = d.platform === 'macOS';
  const osMajor = Number(majorOf(d.osVersion!));
  const from = RULES.ddmFrom[d.platform!];
  const ddmOk = from !== undefined && osMajor >= from && (mac ? d.supervised !== false : true) && plan.target !== null && !plan.deviceDecides;
  const label = plan.target ? `${plan.target.version}${plan.target.build && plan.target.build !== plan.target.version ? ` (${plan.target.build})` : ''}` : 'the newest offered update';
  if (mac && d.appleSilicon && d.bootstrapTokenRequired && !d.bootstrapTokenEscrowed) {
    return { ...plan, state: 'blocked', path: ddmOk ? 'ddm' : 'legacy', reason: 'Apple silicon Mac needs an escrowed bootstrap token for software updates and none is escrowed' };
  }
  if (ddmOk) return { ...plan, state: 'pending', path: 'ddm', reason: `will enforce ${label} through DDM` };
  if (osMajor > RULES.legacyUntil) {
    const why = plan.target === null || plan.deviceDecides ? 'no catalog names a version to enforce' : mac ? 'it is not supervised' : 'it cannot take DDM enforcement';
    return { ...plan, state: 'not_eligible', path: null, reason: `OS ${osMajor} has no legacy update commands and DDM cannot be used: ${why}` };
  }
  if (!mac && d.supervised === false) return { ...plan, state: 'not_eligible', path: null, reason: `unsupervised ${d.platform} device: OS updates through MDM need supervision` };
  if (mac && d.supervised === false) return { ...plan, state: 'blocked', path: 'legacy', reason: 'Mac is not supervised: OS update commands need ADE enrollment (error 74)' };
  if (mac && plan.major && d.enrolledViaDep === false) {
    return { ...plan, state: 'blocked', path: 'legacy', reason: 'needs ADE enrollment for a major upgrade (error 74)' };
  }
  const need = RULES.freeSpaceGB[mac ? 'macOS' : 'iOS'][plan.major ? 'major' : 'minor'];
  if (plan.target && typeof d.freeGB === 'number' && d.freeGB < need) {
    return { ...plan, state: 'blocked', path: 'legacy', reason: `not enough free space for ${label}: ${d.freeGB.toFixed(1)} GB free, an update of this kind needs about ${need} GB` };
  }
  return { ...plan, state: 'pending', path: 'legacy', reason: `will install ${label} with OS update commands` };
}
