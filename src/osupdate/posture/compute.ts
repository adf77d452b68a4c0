// A device's update posture from the catalogs and its inventory: pure, no I/O. The rules (see
// docs/osupdate.md "Posture"):
// - Hardware is matched by the catalog view on SoftwareUpdateDeviceID / board ID / model identifier
//   (never the marketing name); unknown hardware gets the reason "no catalog lists model X".
// - latest: the newest full release the hardware can install (the newest major it supports is the
//   ceiling); latest_in_major: the newest of the device's own major; of several builds of one version
//   the view's first (the main build before its forks).
// - releases_behind counts the releases of the device's own major newer than its version, plus a
//   BSI/RSR for its build it has not applied. Releases of newer majors are not counted (holding a
//   major is a choice; Apple patches the previous majors): that lag shows as major_behind,
//   latest ≠ latest_in_major and in the CVEs. days_behind runs from the posting of the first of those.
// - CVEs exposed: the union of the CVEs of every installable release newer than the device (up to
//   its latest), less those already fixed by a release of its own major at or below its version
//   (Apple fixes many CVEs in several majors at once). A BSI/RSR the device has applied counts as fixed.
// - A stale catalog, a missing one and counted releases past their gdmf ExpirationDate are named in
//   `reasons` rather than dropped.
import { createHash } from 'node:crypto';
import type { CatalogInfo, CatalogKind, CatalogView, DeviceInventory, DeviceKeys, OsFamily, Posture, Release, UpdateAttempt } from '../types.js';
import { SOFA_OF, updateBlockers } from './rules.js';
import { isVersion } from '../../mdm/version.js';
import { compareVersions, majorOf } from '../version.js';
import { familyOf } from '../catalog/view.js';

export interface CatalogAge {
  kind: CatalogKind;
  fetchedAt: Date;
  contentDate: Date | null;
  ageDays: number;
  stale: boolean;
  staleReason: string | null;
}

/** A catalog's age and staleness; the catalog service's own judgement (CatalogStatus ageDays, staleReason) when it gives one. */
export function catalogAge(info: CatalogInfo, now: Date): CatalogAge {
  const status = info as CatalogInfo & { ageDays?: number; staleReason?: string | null };
  const ageDays = status.ageDays ?? Math.max(0, Math.floor((now.getTime() - info.fetchedAt.getTime()) / DAY));
  return {
    kind: info.kind,
    fetchedAt: info.fetchedAt,
    contentDate: info.contentDate,
    ageDays,
    stale: info.stale,
    staleReason: info.stale ? (status.staleReason ?? `fetched ${day(info.fetchedAt)}, ${ageDays} days ago`) : null,
  };
}

/** Posture plus what the API shows beside the fixed fields. */
export interface PostureDetail extends Posture {
  family: OsFamily | null;
  /** The hardware supports a newer major than the one the device runs. */
  majorBehind: boolean;
  /** MDM can push an OS update (minor or major) to this device. */
  updateAllowed: boolean;
  /** Every note behind `reason` (which joins them with "; "). */
  reasons: string[];
  /** Counted releases already past their gdmf ExpirationDate, as "26.5 (25F71) expired 2026-08-30". */
  expiredReleases: string[];
  /** The BSI/RSR the device runs on top of its build ("(a)"), if any. */
  supplementalExtra: string | null;
  /** The catalogs the posture was computed from (those of the device's family). */
  catalogs: CatalogAge[];
  lastUpdateAttempt: UpdateAttempt | null;
}

/** What the catalogs say about one (hardware, version, build) combination, shared by every device with it. */
interface Track {
  latest: Release | null;
  latestInMajor: Release | null;
  newestMajor: string | null;
  onLatest: boolean;
  majorBehind: boolean;
  releasesBehind: number;
  firstMissedAt: Date | null;
  missingSecurity: string[];
  cves: string[];
  exploited: string[];
  expired: string[];
  notes: string[];
}

const DAY = 86_400_000;
const label = (r: Release): string => (r.extra ? `${r.version} ${r.extra}` : r.version);
const day = (d: Date): string => d.toISOString().slice(0, 10);

/** One release per version (and extra): the first in the view's order (newest first; of several builds, the one
 * for most devices, then the main build before its forks: 23G83 before 23G6083). */
function distinct(releases: readonly Release[]): Release[] {
  const seen = new Set<string>();
  return releases.filter((r) => {
    const k = label(r);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const missing = (deviceId: string, inv: DeviceInventory, now: Date, reasons: string[], family: OsFamily | null): PostureDetail => ({
  deviceId,
  platform: inv.platform,
  model: inv.model,
  osVersion: inv.osVersion,
  buildVersion: inv.buildVersion,
  latest: null,
  latestInMajor: null,
  newestMajor: null,
  onLatest: false,
  releasesBehind: 0,
  daysBehind: 0,
  missingSecurityReleases: [],
  cves: [],
  activelyExploited: [],
  majorUpgradeAllowed: false,
  reason: reasons.join('; '),
  computedAt: now,
  family,
  majorBehind: false,
  updateAllowed: false,
  reasons,
  expiredReleases: [],
  supplementalExtra: inv.supplementalOsVersionExtra,
  catalogs: [],
  lastUpdateAttempt: inv.lastUpdateAttempt,
});

export type PostureComputer = (inv: DeviceInventory) => PostureDetail;

/**
 * A posture function for one catalog view at one moment. It remembers what the catalogs say per
 * (hardware, version, build), so a fleet of a few hundred distinct combinations costs little more
 * than the per-device management rules.
 */
export function createPostureComputer(view: CatalogView, now: Date): PostureComputer {
  const installableByKeys = new Map<string, Release[] | null>();
  const tracks = new Map<string, Track>();
  const fixedByMajor = new Map<string, Set<string>>();
  const catalogNotes = new Map<OsFamily, { ages: CatalogAge[]; notes: string[] }>();

  function catalogsOf(family: OsFamily): { ages: CatalogAge[]; notes: string[] } {
    let c = catalogNotes.get(family);
    if (c) return c;
    const sofa = SOFA_OF[family];
    const kinds: CatalogKind[] = sofa ? ['gdmf', sofa] : ['gdmf'];
    const ages: CatalogAge[] = [];
    const notes: string[] = [];
    for (const kind of kinds) {
      const info = view.info.find((i) => i.kind === kind);
      if (!info) {
        notes.push(kind === 'gdmf' ? 'no gdmf catalog imported: what Apple offers for MDM now is unknown' : `no ${kind} catalog imported: CVEs of ${family} releases unknown`);
        continue;
      }
      const age = catalogAge(info, now);
      ages.push(age);
      if (age.stale) notes.push(`catalog ${kind} is stale (${age.staleReason}): newer releases may be missing`);
    }
    c = { ages, notes };
    catalogNotes.set(family, c);
    return c;
  }

  function installable(keys: DeviceKeys): Release[] | null {
    const k = `${keys.platform}|${keys.model}|${keys.softwareUpdateDeviceId}|${keys.boardId}`;
    if (installableByKeys.has(k)) return installableByKeys.get(k)!;
    const list = view.releasesFor(keys);
    const copy = list === null ? null : [...list];
    installableByKeys.set(k, copy);
    return copy;
  }

  /** CVEs fixed by the releases of `major` at or below `version` (the device already has those fixes). */
  function fixedUpTo(family: OsFamily, version: string): Set<string> {
    const k = `${family}|${version}`;
    let set = fixedByMajor.get(k);
    if (set) return set;
    const major = majorOf(version);
    set = new Set();
    for (const r of view.releases(family)) {
      if (r.extra !== null || majorOf(r.version) !== major || compareVersions(r.version, version) > 0) continue;
      for (const c of r.cves) set.add(c);
    }
    fixedByMajor.set(k, set);
    return set;
  }

  function track(family: OsFamily, releases: Release[], inv: DeviceInventory, version: string): Track {
    const build = inv.buildVersion ?? '';
    const applied = (r: Release) =>
      (inv.supplementalBuildVersion !== null && inv.supplementalBuildVersion === r.build) ||
      (inv.supplementalOsVersionExtra !== null && inv.supplementalOsVersionExtra === r.extra && r.prerequisiteBuild === build);
    const full = distinct(releases.filter((r) => r.extra === null));
    const bsi = distinct(releases.filter((r) => r.extra !== null));
    const latest = full[0] ?? null;
    const major = majorOf(version);
    const latestInMajor = full.find((r) => majorOf(r.version) === major) ?? null;
    const newestMajor = latest ? majorOf(latest.version) : null;
    const newer = (r: Release) => compareVersions(r.version, version) > 0;
    const pendingBsi = bsi.filter((r) => r.prerequisiteBuild === build && !applied(r));
    const missedInTrack = [...full.filter((r) => newer(r) && majorOf(r.version) === major), ...pendingBsi];
    // Every release newer than the device up to its latest: full releases of any major, BSIs on a
    // newer base, and the pending ones for its own build.
    const exposing = [...full.filter(newer), ...bsi.filter((r) => newer(r) || pendingBsi.includes(r))];
    const fixed = new Set(fixedUpTo(family, version));
    for (const r of bsi) if (r.prerequisiteBuild === build && applied(r)) for (const c of r.cves) fixed.add(c);
    const cves = new Set<string>();
    const exploited = new Set<string>();
    for (const r of exposing) {
      for (const c of r.cves) if (!fixed.has(c)) cves.add(c);
      for (const c of r.activelyExploited) if (!fixed.has(c)) exploited.add(c);
    }
    let firstMissedAt: Date | null = null;
    for (const r of missedInTrack) if (r.postedAt && (!firstMissedAt || r.postedAt < firstMissedAt)) firstMissedAt = r.postedAt;
    const expired: string[] = [];
    for (const r of distinct([...(latest ? [latest] : []), ...(latestInMajor ? [latestInMajor] : []), ...missedInTrack]))
      if (r.expiresAt && r.expiresAt.getTime() <= now.getTime()) expired.push(`${label(r)} (${r.build}) expired ${day(r.expiresAt)}`);
    const notes: string[] = [];
    const ahead = latest !== null && compareVersions(version, latest.version) > 0;
    if (ahead)
      notes.push(`runs ${version}, newer than every release the catalogs list for this hardware (a beta, or the catalogs are behind)`);
    if (latest && !latestInMajor && compareVersions(version, latest.version) < 0)
      notes.push(`no catalog release of ${family} ${major} for this hardware: measured against ${latest.version}`);
    const sofa = SOFA_OF[family];
    if (sofa && !ahead && view.info.some((i) => i.kind === sofa) && !view.releases(family).some((r) => majorOf(r.version) === major && r.sources.includes(sofa)))
      notes.push(`the catalogs carry no CVE data for ${family} ${major} (${sofa} does not cover it): CVE counts are a floor`);
    if (expired.length > 0) notes.push(`counted releases past their gdmf ExpirationDate (no longer offered for MDM enforcement): ${expired.join(', ')}`);
    return {
      latest,
      latestInMajor,
      newestMajor,
      onLatest: latest !== null && compareVersions(version, latest.version) >= 0 && pendingBsi.length === 0,
      majorBehind: newestMajor !== null && compareVersions(newestMajor, major) > 0,
      releasesBehind: missedInTrack.length,
      firstMissedAt,
      missingSecurity: missedInTrack.filter((r) => r.security || r.cves.length > 0).map(label),
      cves: [...cves].sort(),
      exploited: [...exploited].sort(),
      expired,
      notes,
    };
  }

  return (inv) => {
    const platform = inv.platform;
    if (platform === null) return missing(inv.deviceId, inv, now, ['platform not reported yet (no DeviceInformation)'], null);
    const family = familyOf(platform);
    const version = inv.osVersion;
    if (version === null || !isVersion(version))
      return missing(inv.deviceId, inv, now, [version === null ? 'OS version not reported yet' : `OS version ${JSON.stringify(version)} is not a version`], family);
    const catalogs = catalogsOf(family);
    const keys: DeviceKeys = { platform, model: inv.model, softwareUpdateDeviceId: inv.softwareUpdateDeviceId, boardId: inv.boardId };
    const releases = installable(keys);
    if (releases === null || releases.every((r) => r.extra !== null)) {
      const hw = inv.model ?? inv.softwareUpdateDeviceId ?? inv.boardId ?? 'unknown';
      const why =
        view.info.length === 0 ? 'no catalog imported' : releases === null ? `no catalog lists model ${hw}` : `no catalog release can be installed on model ${hw}`;
      return { ...missing(inv.deviceId, inv, now, [why, ...catalogs.notes], family), catalogs: catalogs.ages };
    }
    const tk = `${keys.platform}|${keys.model}|${keys.softwareUpdateDeviceId}|${keys.boardId}|${version}|${inv.buildVersion}|${inv.supplementalBuildVersion}|${inv.supplementalOsVersionExtra}`;
    let t = tracks.get(tk);
    if (!t) tracks.set(tk, (t = track(family, releases, inv, version)));
    const blockers = updateBlockers(platform, inv);
    const updateAllowed = blockers.length === 0;
    const reasons = [...t.notes, ...catalogs.notes, ...blockers];
    return {
      deviceId: inv.deviceId,
      platform,
      model: inv.model,
      osVersion: version,
      buildVersion: inv.buildVersion,
      latest: t.latest && { version: t.latest.version, build: t.latest.build },
      latestInMajor: t.latestInMajor && { version: t.latestInMajor.version, build: t.latestInMajor.build },
      newestMajor: t.newestMajor,
      onLatest: t.onLatest,
      releasesBehind: t.releasesBehind,
      daysBehind: t.firstMissedAt ? Math.max(0, Math.floor((now.getTime() - t.firstMissedAt.getTime()) / DAY)) : 0,
      missingSecurityReleases: t.missingSecurity,
      cves: t.cves,
      activelyExploited: t.exploited,
      majorUpgradeAllowed: updateAllowed && t.majorBehind,
      reason: reasons.length > 0 ? reasons.join('; ') : null,
      computedAt: now,
      family,
      majorBehind: t.majorBehind,
      updateAllowed,
      reasons,
      expiredReleases: t.expired,
      supplementalExtra: inv.supplementalOsVersionExtra,
      catalogs: catalogs.ages,
      lastUpdateAttempt: inv.lastUpdateAttempt,
    };
  };
}

/** The posture of one device (for many, make one computer with createPostureComputer and reuse it). */
export function computePosture(view: CatalogView, inv: DeviceInventory, now: Date): PostureDetail {
  return createPostureComputer(view, now)(inv);
}

/**
 * What a stored posture was computed from, as a short hash: each imported catalog's content (its
 * SHA-256 when the catalog service gives it, else its fetch time) and staleness, and the day
 * (days_behind and expirations move with it). The fleet is recomputed when it changes.
 */
export function catalogStamp(view: CatalogView, now: Date): string {
  const parts = [...view.info]
    .sort((a, b) => a.kind.localeCompare(b.kind))
    .map((i) => `${i.kind}@${(i as typeof i & { sha256?: string }).sha256 ?? i.fetchedAt.getTime()}${i.stale ? '!' : ''}`);
  return createHash('sha256').update(`${parts.join(',')}/${day(now)}`).digest('base64url').slice(0, 16);
}
