// Planning devices against the shipped catalogs (the dry run's answers): path, target, or the reason a
// device cannot take it, for real hardware on both paths.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCatalog } from '../../src/osupdate/catalog/parse.js';
import { CatalogIndex, catalogView } from '../../src/osupdate/catalog/view.js';
import type { ParsedDoc } from '../../src/osupdate/catalog/model.js';
import type { CatalogKind, CatalogView } from '../../src/osupdate/types.js';
import { planDevice, type DeviceFacts } from '../../src/osupdate/campaign/plan.js';
import { parseCampaignRequest } from '../../src/osupdate/campaign/spec.js';
import type { CampaignSpec } from '../../src/osupdate/campaign/types.js';
import { snapshot, SNAPSHOTS } from './sucatalog.js';

let view: CatalogView;
const NOW = new Date('2026-12-06T09:00:00Z');

before(async () => {
  const docs: Partial<Record<CatalogKind, ParsedDoc>> = {};
  for (const kind of ['gdmf', 'sofa-macos', 'sofa-ios'] as const) docs[kind] = (await parseCatalog(kind, snapshot(SNAPSHOTS[kind]), kind)).parsed.doc;
  view = catalogView(new CatalogIndex(docs), []);
});

const spec = (target: Record<string, unknown>, extra: Record<string, unknown> = {}): CampaignSpec =>
  parseCampaignRequest({ name: 't', select: { all: true }, target, ...extra }, NOW).spec;

const mac = (f: Partial<DeviceFacts>): DeviceFacts => ({
  deviceId: 'M', userEnrollment: false, platform: 'macOS', osVersion: '26.5', buildVersion: '25F71', model: 'Mac14,2', softwareUpdateDeviceId: 'J413AP',
  boardId: null, supervised: true, enrolledViaDep: true, appleSilicon: true, bootstrapTokenRequired: true, bootstrapTokenEscrowed: true, ...f,
});
const phone = (f: Partial<DeviceFacts>): DeviceFacts => ({
  deviceId: 'P', userEnrollment: false, platform: 'iOS', osVersion: '26.5', buildVersion: '23F75', model: 'iPhone15,2', softwareUpdateDeviceId: 'iPhone15,2',
  boardId: null, supervised: true, enrolledViaDep: true, appleSilicon: null, bootstrapTokenRequired: null, bootstrapTokenEscrowed: false, ...f,
});

test('an Apple silicon Mac on macOS 26 goes the DDM way to the newest release', () => {
  const p = planDevice(mac({}), spec({ policy: 'latest' }), view);
  assert.equal(p.state, 'pending');
  assert.equal(p.path, 'ddm');
  assert.deepEqual(p.target, { version: '26.6.2', build: '25G83' });
  assert.equal(p.major, false);
});

test('latest-minor stays in the current major; latest crosses it', () => {
  const old = mac({ osVersion: '15.7.7', buildVersion: '24G720' });
  const minor = planDevice(old, spec({ policy: 'latest-minor' }), view);
  assert.equal(minor.target!.version.split('.')[0], '15');
  assert.equal(minor.major, false);
  const latest = planDevice(old, spec({ policy: 'latest' }), view);
  assert.equal(latest.target!.version, '26.6.2');
  assert.equal(latest.major, true);
  assert.equal(latest.path, 'ddm', 'macOS 15 supervised takes DDM enforcement');
});

test('macOS 13 uses the legacy commands, and a major upgrade there needs ADE (error 74)', () => {
  const ventura = mac({ osVersion: '13.7.6', buildVersion: '22H625' });
  assert.equal(planDevice(ventura, spec({ policy: 'latest-minor' }), view).path, 'legacy');
  const noAde = planDevice({ ...ventura, enrolledViaDep: false }, spec({ policy: 'latest' }), view);
  assert.equal(noAde.state, 'blocked');
  assert.match(noAde.reason, /needs ADE enrollment for a major upgrade \(error 74\)/);
  const unsupervised = planDevice({ ...ventura, supervised: false }, spec({ policy: 'latest-minor' }), view);
  assert.equal(unsupervised.state, 'blocked');
  assert.match(unsupervised.reason, /not supervised/);
});

test('an Apple silicon Mac without an escrowed bootstrap token is blocked with that reason', () => {
  const p = planDevice(mac({ bootstrapTokenEscrowed: false }), spec({ policy: 'latest' }), view);
  assert.equal(p.state, 'blocked');
  assert.match(p.reason, /bootstrap token/);
});

test('an Intel Mac that cannot run 26 is told the version is not offered for it, with the nearest valid ones', () => {
  const intel = mac({ model: 'MacBookPro14,2', softwareUpdateDeviceId: 'Mac-937A206F2EE63C01', appleSilicon: false, bootstrapTokenRequired: false, osVersion: '15.7.7', buildVersion: '24G720' });
  const p = planDevice(intel, spec({ version: '26.6.2' }), view);
  assert.equal(p.state, 'not_eligible');
  assert.match(p.reason, /26\.6\.2 is not offered for MacBookPro14,2; nearest valid: 15\./);
  const latest = planDevice(intel, spec({ policy: 'latest' }), view);
  assert.equal(latest.target!.version.split('.')[0], '15', 'latest for it is the newest macOS 15');
});

test('already at the target, or above a minimum: done at once', () => {
  assert.match(planDevice(mac({ osVersion: '26.6.2', buildVersion: '25G83' }), spec({ policy: 'latest' }), view).reason, /already on 26\.6\.2/);
  const p = planDevice(mac({ osVersion: '26.5' }), spec({ policy: 'minimum', version: '26.2' }), view);
  assert.equal(p.state, 'done');
  assert.match(p.reason, /already at or above 26\.2/);
  const below = planDevice(mac({ osVersion: '26.1', buildVersion: '25B78' }), spec({ policy: 'minimum', version: '26.2' }), view);
  assert.equal(below.state, 'pending');
  assert.equal(below.target!.version, '26.6.2');
});

test('iPhones: User Enrollment and unsupervised legacy devices are not eligible; iOS 17+ device enrollments take DDM', () => {
  assert.match(planDevice(phone({ userEnrollment: true }), spec({ policy: 'latest' }), view).reason, /User Enrollment/);
  const old = phone({ model: 'iPhone10,4', softwareUpdateDeviceId: 'iPhone10,4', osVersion: '16.7.10', buildVersion: '20H350', supervised: false });
  const p = planDevice(old, spec({ policy: 'latest' }), view);
  assert.equal(p.state, 'not_eligible');
  assert.match(p.reason, /unsupervised iOS device/);
  const ddm = planDevice(phone({ supervised: false, osVersion: '18.7.8', buildVersion: '22H300' }), spec({ policy: 'latest' }), view);
  assert.equal(ddm.path, 'ddm', 'an unsupervised device enrollment on iOS 18 takes enforcement');
});

test('OS 27 is DDM only: an unsupervised Mac on 27 is not eligible', () => {
  const p = planDevice(mac({ osVersion: '27.0', buildVersion: '27A5', supervised: false }), spec({ version: '26.6.2' }), view);
  assert.ok(p.state === 'done' || p.state === 'not_eligible');
  const q = planDevice(mac({ osVersion: '26.0', buildVersion: '25A354', supervised: false }), spec({ policy: 'latest' }), view);
  assert.equal(q.path, 'legacy');
  assert.equal(q.state, 'blocked');
});

test('a release no catalog covers (the seed\'s 10.14) is left to the device\'s own AvailableOSUpdates', () => {
  const seed = mac({ model: 'MacBookPro14,2', softwareUpdateDeviceId: null, osVersion: '10.12.6', buildVersion: '16G29', appleSilicon: false, bootstrapTokenRequired: false });
  const p = planDevice(seed, spec({ version: '10.14' }), view);
  assert.equal(p.path, 'legacy');
  assert.equal(p.deviceDecides, true);
  assert.deepEqual(p.target, { version: '10.14', build: null });
  assert.equal(planDevice({ ...seed, enrolledViaDep: false }, spec({ version: '10.14' }), view).reason, 'needs ADE enrollment for a major upgrade (error 74)');
});

test('the dry run says a legacy device without room for the update will be blocked (it predicted "done" before)', () => {
  // iOS 16 cannot take DDM: the legacy path, where ScheduleOSUpdate answers DownloadInsufficientSpace.
  const full = planDevice(phone({ osVersion: '16.7.10', buildVersion: '20H350', model: 'iPhone14,7', softwareUpdateDeviceId: 'iPhone14,7', freeGB: 3.2 }), spec({ policy: 'latest' }), view);
  assert.equal(full.state, 'blocked');
  assert.equal(full.path, 'legacy');
  assert.match(full.reason, /not enough free space for 26\.\S+ \(\S+\): 3\.2 GB free, an update of this kind needs about 12 GB/);
  const roomy = planDevice(phone({ osVersion: '16.7.10', buildVersion: '20H350', model: 'iPhone14,7', softwareUpdateDeviceId: 'iPhone14,7', freeGB: 40 }), spec({ policy: 'latest' }), view);
  assert.equal(roomy.state, 'pending');
  // A minor update needs less; nothing known of the space: no guess.
  assert.equal(planDevice(mac({ osVersion: '13.6', buildVersion: '22G120', model: 'MacBookAir10,1', softwareUpdateDeviceId: 'J313AP', freeGB: 9 }), spec({ policy: 'latest-minor' }), view).state, 'pending');
  assert.equal(planDevice(phone({ osVersion: '16.7.10', buildVersion: '20H350', model: 'iPhone14,7', softwareUpdateDeviceId: 'iPhone14,7' }), spec({ policy: 'latest' }), view).state, 'pending');
});
