// OS update posture: GET /v1/devices/{id}/os (one device, computed now from the catalogs and its
// inventory) and GET /v1/os/summary (the fleet, counted from the stored postures; filters platform,
// model, os_min, os_max). The fields of the contract are fixed; the rest is added beside them.
import { Type } from '../schema.js';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.js';
import type { CatalogAge, PostureDetail } from '../../osupdate/posture/compute.js';
import type { PostureSummary } from '../../osupdate/posture/service.js';
import type { PostureVersionCounts } from '../../storage/types-posture.js';
import { isVersion, versionBoundKey } from '../../mdm/version.js';
import { effectiveAdeSettings } from '../../dep/ade-settings.js';
import { adeMinimumJson, adeMinimumOf } from '../../dep/min-os-view.js';
import { ApiError, apiScope } from './scope.js';

const TAGS = ['OS updates'];
const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function catalogJson(c: CatalogAge): Record<string, unknown> {
  return { kind: c.kind, fetched_at: iso(c.fetchedAt), content_date: iso(c.contentDate), age_days: c.ageDays, stale: c.stale, stale_reason: c.staleReason };
}

/** A device's posture as GET /v1/devices/{id}/os answers it. */
export function postureJson(p: PostureDetail): Record<string, unknown> {
  const a = p.lastUpdateAttempt;
  return {
    device_id: p.deviceId,
    platform: p.platform,
    model: p.model,
    os_version: p.osVersion,
    build_version: p.buildVersion,
    supplemental_extra: p.supplementalExtra,
    latest: p.latest,
    latest_in_major: p.latestInMajor,
    newest_major: p.newestMajor,
    on_latest: p.onLatest,
    major_behind: p.majorBehind,
    releases_behind: p.releasesBehind,
    days_behind: p.daysBehind,
    missing_security_releases: p.missingSecurityReleases,
    cves: p.cves,
    cve_count: p.cves.length,
    actively_exploited: p.activelyExploited,
    update_allowed: p.updateAllowed,
    major_upgrade_allowed: p.majorUpgradeAllowed,
    ...(p.reason !== null ? { reason: p.reason } : {}),
    reasons: p.reasons,
    expired_releases: p.expiredReleases,
    catalogs: p.catalogs.map(catalogJson),
    last_update_attempt: a && {
      at: iso(a.at),
      source: a.source,
      status: a.status,
      product_key: a.productKey,
      version: a.version,
      error: a.error,
    },
    computed_at: iso(p.computedAt),
  };
}

function countsJson(c: Omit<PostureVersionCounts, 'platform' | 'osVersion'>): Record<string, number> {
  return {
    devices: c.devices,
    on_latest: c.onLatest,
    behind: c.behind,
    major_behind: c.majorBehind,
    exposed_actively_exploited: c.exposedActivelyExploited,
    unknown: c.unknown,
    major_upgrade_allowed: c.majorUpgradeAllowed,
  };
}

/** The fleet summary as GET /v1/os/summary answers it. */
export function summaryJson(s: PostureSummary, filter: Record<string, string | undefined>): Record<string, unknown> {
  const { byVersion, outdated, oldestComputedAt, ...totals } = s.summary;
  return {
    ...countsJson(totals),
    by_version: byVersion.map((v) => ({ platform: v.platform, os_version: v.osVersion, ...countsJson(v) })),
    filter: Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)),
    catalogs: s.catalogs.map(catalogJson),
    outdated,
    oldest_computed_at: iso(oldestComputedAt),
  };
}

const Platform = Type.Enum(['macOS', 'iOS', 'iPadOS', 'tvOS', 'watchOS', 'visionOS']);
const Version = (what: string) => Type.String({ minLength: 1, maxLength: 20, description: what });
const SummaryQuery = Type.Object({
  platform: Type.Optional(Platform),
  model: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Model identifier, e.g. Mac14,2 or iPhone15,2' })),
  os_min: Type.Optional(Version('Lowest OS version, inclusive (missing parts are 0: 15.7 = 15.7.0)')),
  os_max: Type.Optional(Version('Highest OS version, inclusive (missing parts take in everything: 15 = every 15.x)')),
});

function versionParam(value: string | undefined, field: string): string | undefined {
  if (value !== undefined && !isVersion(value)) throw new ApiError(400, `${field} must be a version such as 15 or 26.6.2, got ${JSON.stringify(value)}`, field);
  return value;
}

export function registerOs(app: FastifyInstance, deps: AppDeps): void {
  apiScope(app, deps, (api) => {
    api.get(
      '/v1/devices/:id/os',
      {
        schema: {
          summary: "A device's OS update posture",
          description:
            'Computed now from the imported catalogs and the device inventory: latest versions it can take, how far behind, CVEs exposed to, whether MDM can update or upgrade it, and why not; the ADE enrollment minimum of its platform (ade_minimum_os, its DEP name\'s settings) and whether it runs below it.',
          tags: TAGS,
          params: Type.Object({ id: Type.String({ minLength: 1, description: 'Device ID (UDID, or EnrollmentID for a User Enrollment)' }) }),
        },
      },
      async (req) => {
        const p = await deps.posture.forDevice(req.params.id);
        if (!p) throw new ApiError(404, `no inventory for device ${req.params.id}: unknown device, or it has not reported yet`, 'id');
        const serial = (await deps.store.getEnrollment(req.params.id))?.serialNumber ?? null;
        // The OS it must run to enroll through ADE again (erased, it would update in Setup Assistant first).
        return { ...postureJson(p), ...adeMinimumJson(await adeMinimumOf(deps.store, { deviceId: p.deviceId, serial, platform: p.platform, osVersion: p.osVersion })) };
      },
    );

    api.get(
      '/v1/os/summary',
      {
        schema: {
          summary: "The fleet's OS update posture",
          description: 'Counts from the stored postures (kept current as inventories and catalogs change), per platform and OS version too.',
          tags: TAGS,
          querystring: SummaryQuery,
        },
      },
      async (req) => {
        const q = req.query;
        const osMin = versionParam(q.os_min, 'os_min');
        const osMax = versionParam(q.os_max, 'os_max');
        if (osMin !== undefined && osMax !== undefined && versionBoundKey(osMin, 'min') > versionBoundKey(osMax, 'max'))
          throw new ApiError(400, `os_min ${osMin} is above os_max ${osMax}`, 'os_min');
        const filter = { platform: q.platform, model: q.model, osMin, osMax };
        const summary = summaryJson(await deps.posture.summary(filter), { platform: q.platform, model: q.model, os_min: osMin, os_max: osMax });
        // The OS a device must run to enroll through ADE (it updates in Setup Assistant first: docs/dep.md).
        return { ...summary, ade_minimum_os: (await effectiveAdeSettings(deps.store, null)).minimum_os };
      },
    );
  });
}
