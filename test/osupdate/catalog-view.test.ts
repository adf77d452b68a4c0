// The merged CatalogView over the shipped snapshots, asked what real hardware can install.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { parseCatalog } from '../../src/osupdate/catalog/parse.js';
import { CatalogIndex, catalogView } from '../../src/osupdate/catalog/view.js';
import type { CatalogKind, CatalogView, DeviceKeys, Release } from '../../src/osupdate/types.js';
import { compareVersions } from '../../src/osupdate/version.js';
import { snapshot, SNAPSHOTS, sucatalogXml } from './sucatalog.js';
import type { ParsedDoc } from '../../src/osupdate/catalog/model.js';

let view: CatalogView;
let gdmfOnly: CatalogView;
const docs: Partial<Record<CatalogKind, ParsedDoc>> = {};

before(async () => {
  for (const kind of ['gdmf', 'sofa-macos', 'sofa-ios'] as const) docs[kind] = (await parseCatalog(kind, snapshot(SNAPSHOTS[kind]), kind)).parsed.doc;
  docs.sucatalog = (await parseCatalog('sucatalog', sucatalogXml(), 'su')).parsed.doc;
  view = catalogView(new CatalogIndex(docs), []);
  gdmfOnly = catalogView(new CatalogIndex({ gdmf: docs.gdmf }), []);
});

const mac = (keys: Partial<DeviceKeys>): DeviceKeys => ({ platform: 'macOS', model: null, softwareUpdateDeviceId: null, boardId: null, ...keys });
const phone = (model: string, platform: DeviceKeys['platform'] = 'iOS'): DeviceKeys => ({ platform, model, softwareUpdateDeviceId: null, boardId: null });
const label = (r: Release | null | undefined): string => (r ? `${r.version}${r.extra ? ` ${r.extra}` : ''} ${r.build}` : 'none');
const majors = (list: readonly Release[]): string[] => [...new Set(list.map((r) => r.version.split('.')[0]!))];

test('an Apple silicon Mac (J413AP, Mac14,2) gets macOS 26.6.2 as its newest release, by board ID or model identifier', () => {
  for (const keys of [{ softwareUpdateDeviceId: 'J413AP' }, { boardId: 'J413AP' }, { model: 'Mac14,2' }, { softwareUpdateDeviceId: 'j413ap' }]) {
    const list = view.releasesFor(mac(keys));
    assert.ok(list, JSON.stringify(keys));
    assert.equal(label(list[0]), '26.6.2 25G83', JSON.stringify(keys));
  }
  const list = view.releasesFor(mac({ softwareUpdateDeviceId: 'J413AP' }))!;
  assert.deepEqual(majors(list), ['26', '15', '14', '13', '12']);
  assert.deepEqual(view.boardIdsOf('Mac14,2'), ['J413AP']);
  assert.deepEqual(view.boardIdsOf('J413AP'), ['Mac14,2']);
  assert.equal(view.newestMajorOf('Mac14,2'), 26);
  assert.equal(view.newestMajorOf('J413AP'), 26);
});

test('an Intel Mac that stops at Sequoia gets 15.7.9, found through either of its board IDs', () => {
  assert.deepEqual([...view.boardIdsOf('MacBookPro15,2')].sort(), ['J132AP', 'Mac-B4831CEBD52A0C4C']);
  assert.equal(label(view.releasesFor(mac({ model: 'MacBookPro15,2' }))?.[0]), '15.7.9 24G830');
  assert.equal(label(view.releasesFor(mac({ softwareUpdateDeviceId: 'J132AP', model: 'MacBookPro15,2' }))?.[0]), '15.7.9 24G830');
  assert.equal(view.newestMajorOf('MacBookPro15,2'), 15);
});

test('an iPhone that cannot take the newest major gets its last major’s newest release', () => {
  const x = view.releasesFor(phone('iPhone10,3'))!; // iPhone X: iOS 16 at most
  assert.equal(x[0]?.version, '16.7.16');
  assert.deepEqual(majors(x), ['16']);
  assert.equal(view.newestMajorOf('iPhone10,3'), 16);
  const xs = view.releasesFor(phone('iPhone11,2'))!; // iPhone XS: iOS 18 at most
  assert.equal(xs[0]?.version, '18.7.10');
  assert.ok(xs[0]!.security && xs[0]!.cves.length === 122, 'SOFA CVEs merged by build');
  assert.equal(view.newestMajorOf('iPhone11,2'), 18);
  const current = view.releasesFor(phone('iPhone17,1'))!;
  assert.equal(current[0]?.version, '26.6.1');
  const ipad = view.releasesFor(phone('iPad7,5', 'iPadOS'))!; // iPad (6th generation): iPadOS 17
  assert.equal(ipad[0]?.version, '17.7.11');
});

test('a Mac on a Background Security Improvement: its BSI, after its base release, with the CVE it fixes', () => {
  const list = view.releasesFor(mac({ softwareUpdateDeviceId: 'J700AP' }))!;
  const i = list.findIndex((r) => r.extra !== null);
  const bsi = list[i]!;
  assert.equal(label(bsi), '26.3.2 (a) 25D771400a');
  assert.equal(bsi.prerequisiteBuild, '25D2140');
  assert.deepEqual(bsi.cves, ['CVE-2026-20643']);
  assert.deepEqual(bsi.sources, ['gdmf', 'sofa-macos']);
  assert.equal(label(list[i - 1]), '26.3.2 ', 'right after its base release');
  assert.equal(label(view.findRelease('macOS', '25D771400a')), '26.3.2 (a) 25D771400a');
  assert.equal(label(view.findRelease('macOS', '26.3.1 (a)')), '26.3.1 (a) 25D771280a');
  const other = view.releasesFor(mac({ softwareUpdateDeviceId: 'J413AP' }))!.filter((r) => r.extra !== null);
  assert.deepEqual(other.map(label), ['26.3.1 (a) 25D771280a'], 'the device-specific BSI is not offered to other Macs');
});

test('SOFA CVEs and actively exploited CVEs land on the gdmf release of the same build; SOFA-only releases are kept', () => {
  const r = view.findRelease('macOS', '26.6.1')!;
  assert.equal(r.build, '25G76');
  assert.deepEqual(r.activelyExploited, ['CVE-2026-65400']);
  assert.deepEqual(r.sources, ['gdmf', 'sofa-macos']);
  assert.equal(r.securityInfoUrl?.startsWith('https://support.apple.com/'), true);
  assert.equal(r.expiresAt?.toISOString(), '2026-11-15T00:00:00.000Z');
  const old = view.findRelease('macOS', '26.4')!;
  assert.deepEqual(old.sources, ['sofa-macos']);
  assert.equal(old.build, '');
  assert.equal(old.cves.length, 86);
  assert.equal(old.postedAt?.toISOString(), '2026-03-24T00:00:00.000Z');
  assert.ok(old.supportedDevices.includes('J413AP'), 'devices inherited from its OS version');
  const noCves = view.findRelease('macOS', '26.5.1')!;
  assert.equal(noCves.security, false, 'listed by SOFA without a CVE: not a security release');
  assert.equal(view.findRelease('macOS', '26.0')?.version, '26.0');
  assert.equal(view.findRelease('macOS', '26')?.version, '26.0');
});

test('releases past their ExpirationDate are kept, each with its own date', () => {
  const r = view.findRelease('macOS', '25F71')!;
  assert.equal(r.expiresAt?.toISOString(), '2026-08-30T00:00:00.000Z');
  // gdmf lists iOS 26.5 (23F77) twice, for two device groups expiring on different days.
  const groups = view.releases('iOS').filter((x) => x.build === '23F77');
  assert.deepEqual(groups.map((g) => g.expiresAt?.toISOString().slice(0, 10)), ['2026-09-27', '2026-08-30']);
  const newest = (model: string) => view.releasesFor(phone(model))!.find((x) => x.build === '23F77')!;
  assert.equal(newest('iPhone18,1').expiresAt?.toISOString().slice(0, 10), '2026-08-30');
  assert.equal(newest('iPhone17,1').expiresAt?.toISOString().slice(0, 10), '2026-09-27');
});

test('every family is ordered newest version first', () => {
  for (const family of ['macOS', 'iOS', 'visionOS'] as const) {
    const list = view.releases(family);
    assert.ok(list.length > 0, family);
    for (let i = 1; i < list.length; i++) assert.ok(compareVersions(list[i - 1]!.version, list[i]!.version) >= 0, `${family} ${label(list[i - 1])} before ${label(list[i])}`);
  }
  assert.equal(label(view.releases('visionOS')[0]), '26.6.1 23O780');
});

test('hardware no catalog knows gets null; without SOFA a Mac is found by board ID only', () => {
  assert.equal(view.releasesFor(mac({ model: 'Mac99,1' })), null);
  assert.equal(view.releasesFor(phone('iPhone99,9')), null);
  assert.equal(view.newestMajorOf('Mac99,1'), null);
  assert.equal(label(gdmfOnly.releasesFor(mac({ softwareUpdateDeviceId: 'J413AP' }))?.[0]), '26.6.2 25G83');
  assert.equal(gdmfOnly.releasesFor(mac({ model: 'Mac14,2' })), null);
  assert.deepEqual(gdmfOnly.boardIdsOf('Mac14,2'), []);
});

test('sucatalog products: installers named from SOFA by product key, the config-data product', () => {
  const products = view.suProducts();
  const tahoe = products.find((p) => p.productKey === '140-93587')!;
  assert.deepEqual([tahoe.kind, tahoe.title, tahoe.version, tahoe.build], ['installer', 'macOS Tahoe', '26.6.2', '25G83']);
  assert.equal(tahoe.postedAt?.toISOString(), '2026-08-17T17:43:47.000Z');
  assert.equal(tahoe.packages, 3);
  const notification = products.find((p) => p.productKey === '041-14451')!;
  assert.equal(notification.kind, 'config-data');
  assert.equal(gdmfOnly.suProducts().length, 0);
});
