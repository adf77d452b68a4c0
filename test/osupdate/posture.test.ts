// Posture of real devices against the shipped catalog snapshots (gdmf 2026-08, SOFA 2026-08-22),
// computed on 2026-08-22. Every expected figure was read off the JSON files by hand (and recounted
// with a short script over the raw SOFA feeds, independent of the code under test):
// - gdmf AssetSets macOS: 15.7.8 24G824 posted 2026-07-27, 15.7.9 24G830 posted 2026-08-06 (J132AP
//   listed; 26.x does not list it), 26.5.1 25F80 posted 2026-06-01 … 26.6.2 25G83, J413AP listed.
// - SOFA macOS: 15.7.8 fixes 138 CVEs, 15.7.9 one (CVE-2026-65400, actively exploited): 139 for a
//   Mac on 15.7.7. 26.5.1 (0) + 26.5.2 (38) + 26.6 (153) + 26.6.1 (1, CVE-2026-65400, exploited) +
//   26.6.2 (28) = 220 for a Mac on 26.5. Every 26.x CVE not also fixed by a 15.x release: 296, of
//   them CVE-2025-14174, CVE-2025-43529 (26.2) and CVE-2026-20700 (26.3) actively exploited.
// - SOFA iOS: 26.5.2 (38) + 26.6 (86) + 26.6.1 (29) = 153; 26.5.1 23F81 lists 5 devices, not iPhone15,2.
// - gdmf iOS: 16.7.16 20H392 (and fork 20H6392) lists iPhone10,4, posted 2026-05-18; SOFA has no iOS 16.
// - BSI: macOS 26.3.1 (a) 25D771280a on 25D2128 fixes CVE-2026-20643, which 26.4 also fixes.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { parseCatalog } from '../../src/osupdate/catalog/parse.js';
import { CatalogIndex, catalogView } from '../../src/osupdate/catalog/view.js';
import type { ParsedDoc } from '../../src/osupdate/catalog/model.js';
import type { CatalogInfo, CatalogKind, CatalogView, DeviceInventory } from '../../src/osupdate/types.js';
import { computePosture, createPostureComputer, type PostureDetail } from '../../src/osupdate/posture/compute.js';
import { snapshot, SNAPSHOTS } from './sucatalog.js';

const NOW = new Date('2026-08-22T12:00:00Z');
const KINDS = ['gdmf', 'sofa-macos', 'sofa-ios'] as const;
const docs: Partial<Record<CatalogKind, ParsedDoc>> = {};
let view: CatalogView;

const info = (kind: CatalogKind, stale = false): CatalogInfo => ({
  kind, source: `file:${kind}`, fetchedAt: new Date('2026-08-22T06:00:00Z'), contentDate: null, entries: 1, stale, lastError: null,
});
const viewWith = (infos: CatalogInfo[]): CatalogView => catalogView(new CatalogIndex(docs), infos);

before(async () => {
  for (const kind of KINDS) docs[kind] = (await parseCatalog(kind, snapshot(SNAPSHOTS[kind]), kind)).parsed.doc;
  view = viewWith(KINDS.map((k) => info(k)));
});

/** A supervised, ADE-enrolled device that has reported everything, with `d` on top. */
function device(d: Partial<DeviceInventory>): DeviceInventory {
  return {
    deviceId: 'DEV', platform: 'macOS', osVersion: null, buildVersion: null, supplementalBuildVersion: null, supplementalOsVersionExtra: null,
    productName: null, model: null, modelNumber: null, modelName: null, softwareUpdateDeviceId: null, boardId: null, isSupervised: true,
    isAppleSilicon: null, availableDeviceCapacity: null, batteryLevel: null, isUserEnrollment: false, enrolledViaDep: true, osUpdateSettings: null,
    bootstrapTokenRequiredForSoftwareUpdate: null, bootstrapTokenEscrowed: false, lastUpdateAttempt: null, updatedAt: NOW,
    serialNumber: null, deviceName: null, modelMarketingName: null, osMarketingName: null, deviceCapacity: null, pendingUpdate: null,
    informationAt: null, queriedAt: null,
    ...d,
  };
}

const intelMac = device({ model: 'MacBookPro15,2', softwareUpdateDeviceId: 'J132AP', boardId: 'J132AP', osVersion: '15.7.7', buildVersion: '24G720', isAppleSilicon: false });
const airM2 = device({
  model: 'Mac14,2', softwareUpdateDeviceId: 'J413AP', osVersion: '26.5', buildVersion: '25F71', isAppleSilicon: true,
  bootstrapTokenRequiredForSoftwareUpdate: true, bootstrapTokenEscrowed: true,
});
const proOnSequoia = device({
  model: 'MacBookPro18,3', softwareUpdateDeviceId: 'J314sAP', osVersion: '15.7.9', buildVersion: '24G830', isAppleSilicon: true,
  bootstrapTokenRequiredForSoftwareUpdate: true, bootstrapTokenEscrowed: true,
});
const iPhone8 = device({ platform: 'iOS', model: 'iPhone10,4', softwareUpdateDeviceId: 'iPhone10,4', osVersion: '16.7.12', buildVersion: null, enrolledViaDep: null });
const iPad6 = device({ platform: 'iPadOS', model: 'iPad7,5', softwareUpdateDeviceId: 'iPad7,5', osVersion: '17.7.11', buildVersion: '21H461' });
const iPhone14Pro = device({ platform: 'iOS', model: 'iPhone15,2', softwareUpdateDeviceId: 'iPhone15,2', osVersion: '26.5', buildVersion: '23F77', isSupervised: false });
const macOnBsi = device({
  model: 'Mac14,2', softwareUpdateDeviceId: 'J413AP', osVersion: '26.3.1', buildVersion: '25D2128', supplementalBuildVersion: '25D771280a',
  supplementalOsVersionExtra: '(a)', isAppleSilicon: true,
});

/** The posture fields the table checks. */
const figures = (p: PostureDetail) => ({
  latest: p.latest && `${p.latest.version} ${p.latest.build}`,
  latestInMajor: p.latestInMajor && `${p.latestInMajor.version} ${p.latestInMajor.build}`,
  newestMajor: p.newestMajor,
  onLatest: p.onLatest,
  majorBehind: p.majorBehind,
  releasesBehind: p.releasesBehind,
  daysBehind: p.daysBehind,
  missingSecurity: p.missingSecurityReleases,
  cves: p.cves.length,
  exploited: p.activelyExploited,
  updateAllowed: p.updateAllowed,
  majorUpgradeAllowed: p.majorUpgradeAllowed,
});

test('real devices: versions they can take, how far behind, CVEs exposed, upgrade possible', () => {
  const table: Array<[string, DeviceInventory, ReturnType<typeof figures>]> = [
    ['Intel MacBook Pro (J132AP) stops at macOS 15', intelMac, {
      latest: '15.7.9 24G830', latestInMajor: '15.7.9 24G830', newestMajor: '15', onLatest: false, majorBehind: false, releasesBehind: 2,
      daysBehind: 26, missingSecurity: ['15.7.9', '15.7.8'], cves: 139, exploited: ['CVE-2026-65400'], updateAllowed: true, majorUpgradeAllowed: false,
    }],
    ['MacBook Air M2 (J413AP) on 26.5', airM2, {
      latest: '26.6.2 25G83', latestInMajor: '26.6.2 25G83', newestMajor: '26', onLatest: false, majorBehind: false, releasesBehind: 5,
      daysBehind: 82, missingSecurity: ['26.6.2', '26.6.1', '26.6', '26.5.2'], cves: 220, exploited: ['CVE-2026-65400'], updateAllowed: true,
      majorUpgradeAllowed: false,
    }],
    ['MacBook Pro M1 Pro (J314sAP) held on 15.7.9', proOnSequoia, {
      latest: '26.6.2 25G83', latestInMajor: '15.7.9 24G830', newestMajor: '26', onLatest: false, majorBehind: true, releasesBehind: 0,
      daysBehind: 0, missingSecurity: [], cves: 296, exploited: ['CVE-2025-14174', 'CVE-2025-43529', 'CVE-2026-20700'], updateAllowed: true,
      majorUpgradeAllowed: true,
    }],
    ['iPhone 8 (iPhone10,4) cannot take iOS 17 or 26', iPhone8, {
      latest: '16.7.16 20H392', latestInMajor: '16.7.16 20H392', newestMajor: '16', onLatest: false, majorBehind: false, releasesBehind: 1,
      daysBehind: 96, missingSecurity: [], cves: 0, exploited: [], updateAllowed: true, majorUpgradeAllowed: false,
    }],
    ['iPad 6th generation (iPad7,5) on its last release', iPad6, {
      latest: '17.7.11 21H461', latestInMajor: '17.7.11 21H461', newestMajor: '17', onLatest: true, majorBehind: false, releasesBehind: 0,
      daysBehind: 0, missingSecurity: [], cves: 0, exploited: [], updateAllowed: true, majorUpgradeAllowed: false,
    }],
    ['iPhone 14 Pro (iPhone15,2) on 26.5, unsupervised', iPhone14Pro, {
      latest: '26.6.1 23G83', latestInMajor: '26.6.1 23G83', newestMajor: '26', onLatest: false, majorBehind: false, releasesBehind: 3,
      daysBehind: 54, missingSecurity: ['26.6.1', '26.6', '26.5.2'], cves: 153, exploited: [], updateAllowed: false, majorUpgradeAllowed: false,
    }],
    ['MacBook Air M2 on 26.3.1 with the BSI (a) applied', macOnBsi, {
      latest: '26.6.2 25G83', latestInMajor: '26.6.2 25G83', newestMajor: '26', onLatest: false, majorBehind: false, releasesBehind: 9,
      daysBehind: 165, missingSecurity: ['26.6.2', '26.6.1', '26.6', '26.5.2', '26.5', '26.4'], cves: 382, exploited: ['CVE-2026-65400'],
      updateAllowed: true, majorUpgradeAllowed: false,
    }],
  ];
  const compute = createPostureComputer(view, NOW);
  for (const [name, inv, expected] of table) {
    assert.deepEqual(figures(compute(inv)), expected, name);
    assert.deepEqual(figures(computePosture(view, inv, NOW)), expected, `${name} (one-shot)`);
  }
  assert.equal(compute(intelMac).reason, null);
  assert.match(compute(iPhone8).reason ?? '', /no CVE data for iOS 16/);
  assert.equal(compute(iPhone14Pro).reason, 'not supervised: MDM OS updates need a supervised device');
});

test('a BSI/RSR not applied is a missed security release, and its CVE is exposed', () => {
  const without = computePosture(view, { ...macOnBsi, supplementalBuildVersion: null, supplementalOsVersionExtra: null }, NOW);
  assert.equal(without.releasesBehind, 10);
  assert.deepEqual(without.missingSecurityReleases.slice(-1), ['26.3.1 (a)']);
  assert.equal(without.cves.length, 383);
  assert.ok(without.cves.includes('CVE-2026-20643'));
  assert.ok(!computePosture(view, macOnBsi, NOW).cves.includes('CVE-2026-20643'), 'fixed by the applied BSI');
  // Reported as DDM does (extra only, no supplemental build): still applied.
  assert.equal(computePosture(view, { ...macOnBsi, supplementalBuildVersion: null }, NOW).releasesBehind, 9);
  // A BSI for another build does not apply to a device on 26.5.
  assert.ok(!computePosture(view, airM2, NOW).missingSecurityReleases.some((r) => r.includes('(a)')));
});

test('releases past their gdmf ExpirationDate are still counted, and the posture says so', () => {
  const on2641 = device({ model: 'Mac14,2', softwareUpdateDeviceId: 'J413AP', osVersion: '26.4.1', buildVersion: null, isAppleSilicon: true });
  const before = computePosture(view, on2641, NOW);
  assert.equal(before.releasesBehind, 6); // 26.5, 26.5.1, 26.5.2, 26.6, 26.6.1, 26.6.2
  assert.deepEqual(before.expiredReleases, []);
  assert.equal(before.reason, null);
  const later = computePosture(view, on2641, new Date('2026-09-28T12:00:00Z'));
  assert.equal(later.releasesBehind, 6, 'expired releases are not dropped');
  assert.deepEqual(later.expiredReleases, ['26.5.1 (25F80) expired 2026-09-27', '26.5 (25F71) expired 2026-08-30']);
  assert.match(later.reason ?? '', /past their gdmf ExpirationDate .*26\.5 \(25F71\) expired 2026-08-30/);
  assert.equal(later.daysBehind, before.daysBehind + 37);
});

test('a stale catalog, a missing one, unknown hardware and an unreported device give a reason', () => {
  const stale = computePosture(viewWith([info('gdmf', true), info('sofa-macos'), info('sofa-ios')]), airM2, NOW);
  assert.equal(stale.releasesBehind, 5, 'computed all the same');
  assert.match(stale.reason ?? '', /catalog gdmf is stale/);
  assert.deepEqual(stale.catalogs.map((c) => [c.kind, c.stale]), [['gdmf', true], ['sofa-macos', false]]);

  const noSofa = computePosture(catalogView(new CatalogIndex({ gdmf: docs.gdmf }), [info('gdmf')]), airM2, NOW);
  assert.equal(noSofa.cves.length, 0);
  assert.match(noSofa.reason ?? '', /no sofa-macos catalog imported: CVEs of macOS releases unknown/);

  const nothing = computePosture(catalogView(new CatalogIndex({}), []), airM2, NOW);
  assert.equal(nothing.latest, null);
  assert.match(nothing.reason ?? '', /^no catalog imported/);

  const unknown = computePosture(view, device({ model: 'Mac99,9', softwareUpdateDeviceId: 'J999AP', osVersion: '26.5' }), NOW);
  assert.deepEqual([unknown.latest, unknown.onLatest, unknown.reason], [null, false, 'no catalog lists model Mac99,9']);
  assert.equal(computePosture(view, device({ platform: null }), NOW).reason, 'platform not reported yet (no DeviceInformation)');
  assert.equal(computePosture(view, device({ model: 'Mac14,2' }), NOW).reason, 'OS version not reported yet');

  const beta = computePosture(view, device({ platform: 'iOS', model: 'iPhone17,1', osVersion: '27.0', buildVersion: '24A5000' }), NOW);
  assert.deepEqual([beta.onLatest, beta.releasesBehind, beta.latest?.version], [true, 0, '26.6.1']);
  assert.match(beta.reason ?? '', /runs 27\.0, newer than every release the catalogs list/);
});

test('whether MDM can update: ADE and supervision on macOS, the bootstrap token on Apple silicon, supervision on iOS, never User Enrollment', () => {
  const compute = createPostureComputer(view, NOW);
  const cases: Array<[string, DeviceInventory, boolean, string | null]> = [
    ['held Mac, all set', proOnSequoia, true, null],
    ['not through ADE', { ...proOnSequoia, enrolledViaDep: false }, false, 'not enrolled through ADE: macOS refuses MDM OS updates (MDMClientError 74)'],
    ['ADE unknown yet', { ...proOnSequoia, enrolledViaDep: null }, false, 'ADE enrollment not reported yet (SecurityInfo ManagementStatus.EnrolledViaDEP)'],
    ['unsupervised', { ...proOnSequoia, isSupervised: false }, false, 'not supervised: MDM OS updates need a supervised device'],
    ['no bootstrap token', { ...proOnSequoia, bootstrapTokenEscrowed: false }, false, 'Apple silicon Mac requires a bootstrap token for software updates and none is escrowed'],
    ['token not required', { ...proOnSequoia, bootstrapTokenEscrowed: false, bootstrapTokenRequiredForSoftwareUpdate: false }, true, null],
    ['User Enrollment', { ...proOnSequoia, isUserEnrollment: true }, false, 'User Enrollment: OS updates are not managed through MDM'],
    ['iPhone without ADE but supervised', { ...iPhone14Pro, isSupervised: true, enrolledViaDep: false }, true, null],
    ['iPhone, User Enrollment', { ...iPhone14Pro, isUserEnrollment: true }, false, 'User Enrollment: OS updates are not managed through MDM'],
  ];
  for (const [name, inv, allowed, reason] of cases) {
    const p = compute(inv);
    assert.equal(p.updateAllowed, allowed, name);
    assert.equal(p.majorUpgradeAllowed, allowed && p.majorBehind, name);
    assert.equal(p.reason, reason, name);
    assert.equal(p.cves.length, inv.model === 'MacBookPro18,3' ? 296 : 153, `${name}: the catalog figures do not depend on management`);
  }
});
