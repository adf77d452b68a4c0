// The catalog parsers on the shipped snapshots and on broken input: every snapshot parses, and a
// corrupt, truncated, empty or mis-kinded document is refused with a reason naming its source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { parseCatalog } from '../../src/osupdate/catalog/parse.js';
import { CatalogError, type GdmfDoc, type SofaDoc, type SuDoc } from '../../src/osupdate/catalog/model.js';
import type { CatalogKind } from '../../src/osupdate/types.js';
import { snapshot, SNAPSHOTS, sucatalogGz, sucatalogXml, umaProducts } from './sucatalog.js';

async function refused(kind: CatalogKind, bytes: Buffer, reason: RegExp): Promise<void> {
  await assert.rejects(parseCatalog(kind, bytes, 'file:broken.json'), (err: unknown) => {
    assert.ok(err instanceof CatalogError, String(err));
    assert.match(err.message, new RegExp(`^file:broken\\.json: not a usable ${kind} catalog: `));
    assert.match(err.reason, reason);
    return true;
  });
}

test('the shipped gdmf snapshot parses: every set, platform and release, BSI entries with their extra', async () => {
  const { parsed } = await parseCatalog('gdmf', snapshot(SNAPSHOTS.gdmf), 'file:gdmf_pmv_2026-08.json');
  const doc = parsed.doc as GdmfDoc;
  const raw = JSON.parse(snapshot(SNAPSHOTS.gdmf).toString()) as Record<string, Record<string, unknown[]>>;
  const expected = Object.values(raw).flatMap((platforms) => Object.values(platforms)).reduce((n, list) => n + list.length, 0);
  assert.equal(parsed.entries, expected);
  assert.equal(doc.entries.length, expected);
  assert.deepEqual([...new Set(doc.entries.map((e) => e.set))].sort(), ['AssetSets', 'PublicAssetSets', 'PublicBackgroundSecurityImprovements']);
  const newestMac = doc.entries.find((e) => e.set === 'PublicAssetSets' && e.platform === 'macOS' && e.version === '26.6.2')!;
  assert.equal(newestMac.build, '25G83');
  assert.equal(newestMac.postedAt, '2026-08-17T00:00:00.000Z');
  assert.equal(newestMac.expiresAt, '2026-11-20T00:00:00.000Z');
  assert.ok(newestMac.devices.includes('J413AP'));
  const bsi = doc.entries.filter((e) => e.extra !== null);
  assert.deepEqual(bsi.map((e) => `${e.platform} ${e.version} ${e.extra} ${e.build} on ${e.prerequisiteBuild}`).sort(), [
    'iOS 26.3.1 (a) 23D771330a on 23D8133',
    'macOS 26.3.1 (a) 25D771280a on 25D2128',
    'macOS 26.3.2 (a) 25D771400a on 25D2140',
  ]);
  assert.equal(parsed.contentDate?.toISOString(), '2026-08-17T00:00:00.000Z');
  assert.equal(parsed.validUntil?.toISOString(), '2026-11-20T00:00:00.000Z');
});

test('the shipped SOFA feeds parse: releases with CVEs and actively exploited ones, BSIs, models and board IDs', async () => {
  const mac = (await parseCatalog('sofa-macos', snapshot(SNAPSHOTS['sofa-macos']), 'file:mac')).parsed;
  const ios = (await parseCatalog('sofa-ios', snapshot(SNAPSHOTS['sofa-ios']), 'file:ios')).parsed;
  const m = mac.doc as SofaDoc;
  const i = ios.doc as SofaDoc;
  assert.deepEqual(m.groups.map((g) => g.major), ['26', '15', '14', '13', '12']);
  assert.deepEqual(i.groups.map((g) => g.major), ['26', '18', '17']);
  assert.equal(m.releases.length, 126);
  assert.equal(mac.entries, 126 + 2);
  const r2661 = m.releases.find((r) => r.version === '26.6.1')!;
  assert.deepEqual(r2661.builds, ['25G76']);
  assert.deepEqual(r2661.exploited, ['CVE-2026-65400']);
  assert.equal(m.boards.J413AP, 'Mac14,2');
  assert.equal(m.boards['Mac-937A206F2EE63C01'], 'MacBookPro14,2');
  assert.deepEqual(m.models['Mac14,2']?.majors, [26, 15, 14, 13, 12]);
  assert.deepEqual(m.bsi.map((b) => `${b.version} ${b.extra} ${b.build}`), ['26.3.2 (a) 25D771400a', '26.3.1 (a) 25D771280a']);
  assert.equal(m.installers[0]?.productKey, '140-93587');
  assert.equal(m.lastCheck, '2026-08-22T18:45:03.057Z');
  assert.equal(mac.documentDate?.toISOString(), '2026-08-22T18:45:03.057Z');
  assert.equal(i.family, 'iOS');
  const r266 = i.releases.find((r) => r.version === '26.6')!;
  assert.ok(r266.builds.includes('23G71') && r266.builds.includes('23U67'), 'Build and AllBuilds');
});

test('a software update catalog parses, plain or gzipped: installers, the installer-notification config-data product', async () => {
  const plain = (await parseCatalog('sucatalog', sucatalogXml(), 'file:index.sucatalog')).parsed;
  const gz = (await parseCatalog('sucatalog', sucatalogGz(), 'file:index.sucatalog.gz')).parsed;
  assert.deepEqual(gz.doc, plain.doc);
  const doc = plain.doc as SuDoc;
  const uma = umaProducts();
  assert.equal(plain.entries, uma.length + 1);
  assert.equal(doc.indexDate, '2026-08-22T18:00:00.000Z');
  const notification = doc.products.find((p) => p.productKey === '041-14451')!;
  assert.equal(notification.kind, 'config-data');
  assert.equal(notification.postedAt, '2018-10-16T20:05:00.000Z');
  assert.equal(notification.serverMetadataUrl, 'http://swcdn.apple.com/content/downloads/44/24/041-14451/macOSInstallerNotification_GM.smd');
  assert.equal(notification.packages, 1);
  const installers = doc.products.filter((p) => p.kind === 'installer');
  assert.deepEqual(installers.map((p) => p.productKey).sort(), uma.map((p) => p.product_key).sort());
  assert.equal(plain.contentDate?.toISOString(), new Date(uma[0]!.posting_date).toISOString());
});

test('corrupt and truncated JSON, an empty body, an empty PublicAssetSets: refused with the reason', async () => {
  const gdmf = snapshot(SNAPSHOTS.gdmf);
  await refused('gdmf', gdmf.subarray(0, gdmf.length / 2), /^not JSON \(/);
  await refused('gdmf', Buffer.from('<html><body>503 Service Unavailable</body></html>'), /not JSON .*looks like XML or HTML/);
  await refused('gdmf', Buffer.alloc(0), /the document is empty/);
  await refused('gdmf', Buffer.from('  \n'), /the document is empty/);
  await refused('gdmf', Buffer.from('[1,2]'), /not a JSON object/);
  await refused('gdmf', Buffer.from(JSON.stringify({ PublicAssetSets: {}, AssetSets: { macOS: [] } })), /PublicAssetSets is empty/);
  await refused('gdmf', Buffer.from(JSON.stringify({ AssetSets: {} })), /PublicAssetSets is missing/);
  const broken = JSON.parse(gdmf.toString()) as { PublicAssetSets: { macOS: Array<Record<string, unknown>> } };
  delete broken.PublicAssetSets.macOS[1]!.Build;
  await refused('gdmf', Buffer.from(JSON.stringify(broken)), /^PublicAssetSets\.macOS\[1\]\.Build is missing$/);
  broken.PublicAssetSets.macOS[1]!.Build = '23J631';
  broken.PublicAssetSets.macOS[0]!.PostingDate = 'yesterday';
  await refused('gdmf', Buffer.from(JSON.stringify(broken)), /PublicAssetSets\.macOS\[0\]\.PostingDate is not a date/);
});

test('a gzip that does not inflate, or inflates to garbage, is refused', async () => {
  const gz = gzipSync(snapshot(SNAPSHOTS['sofa-ios']));
  await refused('sofa-ios', gz.subarray(0, gz.length - 100), /gzip data does not inflate: unexpected end of file/);
  const flipped = Buffer.from(gz);
  flipped[40] = flipped[40]! ^ 0xff;
  await refused('sofa-ios', flipped, /gzip data does not inflate/);
  await refused('sofa-ios', gzipSync(Buffer.from('{"OSVersions": [')), /not JSON/);
  const su = sucatalogGz();
  await refused('sucatalog', su.subarray(0, Math.floor(su.length * 0.7)), /gzip data does not inflate/);
});

test('a wrong or truncated plist, a catalog without products: refused with the position or the reason', async () => {
  const xml = sucatalogXml();
  await refused('sucatalog', xml.subarray(0, Math.floor(xml.length / 2)), /^not a property list: invalid plist at line \d+/);
  await refused('sucatalog', Buffer.from('{"Products": {}}'), /^not a property list/);
  await refused('sucatalog', Buffer.from('<?xml version="1.0"?><plist version="1.0"><dict><key>Products</key><dict/></dict></plist>'), /Products is empty/);
  await refused('sucatalog', Buffer.from('<plist version="1.0"><dict><key>IndexDate</key><date>2026-08-01T00:00:00Z</date></dict></plist>'), /Products is missing/);
  await refused('sucatalog', Buffer.from('<plist><dict><key>Products</key><dict><key>1</key><dict><key>PostDate</key><string>today</string></dict></dict></dict></plist>'), /Products\.1\.PostDate is not a <date>/);
});

test('a feed imported as the wrong kind is refused and says which kind it is', async () => {
  await refused('sofa-ios', snapshot(SNAPSHOTS['sofa-macos']), /this is SOFA's macOS feed, not the iOS one \(import it as sofa-macos\)/);
  await refused('sofa-macos', snapshot(SNAPSHOTS['sofa-ios']), /this is SOFA's iOS feed, not the macOS one \(import it as sofa-ios\)/);
  await refused('sofa-macos', snapshot(SNAPSHOTS.gdmf), /OSVersions is missing \(is this a SOFA data feed\?\)/);
  await refused('gdmf', snapshot(SNAPSHOTS['sofa-macos']), /PublicAssetSets is missing/);
  await refused('sucatalog', snapshot(SNAPSHOTS.gdmf), /not a property list/);
  await refused('sofa-macos', snapshot('sofa/v2_dms_consumers_lite.json'), /OSVersions is missing/);
});
