// The catalog service over real storage (both backends): every shipped snapshot imports, a bad or
// older catalog leaves the held copy in use and is recorded, staleness, and the view of a second
// process (another connection to the same database) following a change.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Catalogs, CatalogConflictError } from '../../src/osupdate/catalog/service.js';
import { CatalogError } from '../../src/osupdate/catalog/model.js';
import type { Store } from '../../src/storage/types.js';
import { openTestStores } from '../helpers/store.js';
import { snapshot, SNAPSHOTS, sucatalogGz, sucatalogXml } from './sucatalog.js';
import type { CatalogStatus } from '../../src/osupdate/catalog/service.js';

let stores: Store[];
let clock = new Date('2026-08-23T08:00:00Z');
const now = () => clock;
let catalogs: Catalogs;

before(async () => {
  stores = await openTestStores(2);
  catalogs = new Catalogs({ store: stores[0]!, now, recheckMs: 0 });
});
after(async () => {
  for (const s of stores) await s.close();
});

const info = async (kind: 'gdmf' | 'sofa-macos' | 'sofa-ios' | 'sucatalog'): Promise<CatalogStatus> => (await catalogs.status(kind))!;

test('every shipped snapshot imports, and the view answers from them', async () => {
  for (const kind of ['gdmf', 'sofa-macos', 'sofa-ios'] as const) {
    const { status, changed } = await catalogs.import(kind, snapshot(SNAPSHOTS[kind]), { source: `file:${SNAPSHOTS[kind]}` });
    assert.equal(changed, true);
    assert.equal(status.source, `file:${SNAPSHOTS[kind]}`);
    assert.equal(status.fetchedAt.getTime(), clock.getTime());
    assert.ok(status.entries > 50, `${kind}: ${status.entries}`);
    assert.equal(status.lastError, null);
  }
  const su = await catalogs.import('sucatalog', sucatalogGz(), { source: 'file:index.sucatalog.gz' });
  assert.equal(su.status.entries, 32);
  assert.equal(su.status.contentDate?.toISOString(), '2026-08-17T17:43:47.000Z');
  const view = await catalogs.view();
  assert.deepEqual(view.info.map((i) => i.kind), ['gdmf', 'sofa-ios', 'sofa-macos', 'sucatalog']);
  const mac = view.releasesFor({ platform: 'macOS', model: 'Mac14,2', softwareUpdateDeviceId: null, boardId: null });
  assert.equal(mac?.[0]?.version, '26.6.2');
  assert.equal(view.suProducts().find((p) => p.productKey === '140-93587')?.version, '26.6.2');
  assert.equal((await info('gdmf')).stale, false);
});

test('the same document again only records the check; a corrupt one is refused and the held copy stays', async () => {
  clock = new Date('2026-08-24T08:00:00Z');
  const again = await catalogs.import('gdmf', snapshot(SNAPSHOTS.gdmf), { source: 'api' });
  assert.equal(again.changed, false);
  assert.equal(again.status.checkedAt.toISOString(), '2026-08-24T08:00:00.000Z');
  assert.equal(again.status.fetchedAt.toISOString(), '2026-08-23T08:00:00.000Z');
  const held = await info('gdmf');

  const truncated = snapshot(SNAPSHOTS.gdmf).subarray(0, 5000);
  await assert.rejects(catalogs.import('gdmf', truncated, { source: 'file:half.json' }), (err: unknown) => {
    assert.ok(err instanceof CatalogError);
    assert.match(err.message, /^file:half\.json: not a usable gdmf catalog: not JSON/);
    return true;
  });
  const after = await info('gdmf');
  assert.equal(after.sha256, held.sha256, 'the last good copy stays');
  assert.equal(after.lastError?.at.toISOString(), '2026-08-24T08:00:00.000Z');
  assert.match(after.lastError!.message, /file:half\.json: not a usable gdmf catalog/);
  const view = await catalogs.view();
  assert.equal(view.findRelease('macOS', '26.6.2')?.build, '25G83', 'the view still answers from the held copy');
  assert.match(view.info.find((i) => i.kind === 'gdmf')!.lastError!.message, /not JSON/);
});

test('an older catalog is refused (409) unless forced; a newer one replaces the held copy', async () => {
  const newer = sucatalogXml({ indexDate: new Date('2026-08-25T00:00:00Z') });
  const older = sucatalogXml({ postedBy: new Date('2026-07-01T00:00:00Z'), indexDate: new Date('2026-07-02T00:00:00Z') });
  await assert.rejects(catalogs.import('sucatalog', older, { source: 'file:july.sucatalog' }), (err: unknown) => {
    assert.ok(err instanceof CatalogConflictError);
    assert.match(err.message, /file:july\.sucatalog: this sucatalog catalog is older than the one held \(newest release 2026-06-09.*< newest release 2026-08-17.*from file:index\.sucatalog\.gz\); import it with force/);
    return true;
  });
  assert.equal((await info('sucatalog')).source, 'file:index.sucatalog.gz');
  const forced = await catalogs.import('sucatalog', older, { source: 'file:july.sucatalog', force: true });
  assert.equal(forced.changed, true);
  assert.equal(forced.status.source, 'file:july.sucatalog');
  assert.equal(forced.status.lastError, null, 'a good import clears the last error');
  assert.ok((await catalogs.view()).suProducts().every((p) => p.postedAt === null || p.postedAt <= new Date('2026-07-01T00:00:00Z')));
  const back = await catalogs.import('sucatalog', newer, { source: 'file:newer.sucatalog' });
  assert.equal(back.status.documentDate?.toISOString(), '2026-08-25T00:00:00.000Z');
});

test('staleness: a SOFA feed whose LastCheck is older than the limit, a gdmf whose releases all expired', async () => {
  assert.equal((await info('sofa-macos')).stale, false);
  clock = new Date('2026-09-05T00:00:00Z');
  const sofa = await info('sofa-macos');
  assert.equal(sofa.stale, true);
  assert.equal(sofa.ageDays, 13);
  assert.match(sofa.staleReason!, /the document dates from 2026-08-22, more than 7 days ago/);
  const gdmf = await info('gdmf');
  assert.equal(gdmf.stale, true);
  assert.match(gdmf.staleReason!, /not confirmed current since 2026-08-24/);
  clock = new Date('2026-12-06T00:00:00Z');
  assert.match((await info('gdmf')).staleReason!, /every release in it expired by 2026-11-20/);
  const view = await catalogs.view();
  assert.equal(view.info.find((i) => i.kind === 'gdmf')?.stale, true);
  assert.equal(view.findRelease('macOS', '26.6.2')?.expiresAt?.toISOString(), '2026-11-20T00:00:00.000Z', 'expired releases are still there');
});

test('another process sees a new catalog within its recheck interval', async () => {
  const other = new Catalogs({ store: stores[1]!, now, recheckMs: 1500 });
  const before = await other.view();
  assert.equal(before.findRelease('macOS', '26.6.2')?.build, '25G83');
  const edited = JSON.parse(snapshot(SNAPSHOTS.gdmf).toString()) as { PublicAssetSets: { macOS: Array<Record<string, unknown>> } };
  edited.PublicAssetSets.macOS.unshift({ ...edited.PublicAssetSets.macOS[0], ProductVersion: '26.7', Build: '25H30', PostingDate: '2026-09-14' });
  await catalogs.import('gdmf', Buffer.from(JSON.stringify(edited)), { source: 'file:september.json' });
  assert.equal(await other.view(), before, 'cached until the recheck interval passes');
  await new Promise((r) => setTimeout(r, 1600));
  const after = await other.view();
  assert.equal(after.findRelease('macOS', '26.7')?.build, '25H30');
  assert.equal(after.info.find((i) => i.kind === 'gdmf')?.source, 'file:september.json');
  assert.equal(after.releasesFor({ platform: 'macOS', model: null, softwareUpdateDeviceId: 'J413AP', boardId: null })?.[0]?.version, '26.7');
});
