// Stored posture on both backends: upsert and replace, the summary's counts and per-version groups,
// its filters (platform, model, numeric OS range), the outdated count, and the fleet recompute lease
// shared by two processes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { PostureRecord, Store } from '../../src/storage/types.js';
import { postureStore } from '../../src/storage/posture.js';
import { openTestStores } from '../helpers/store.js';
import { storeWithSecondConnection } from '../storage/setup.js';

let store: Store;
let other: Store;
const T = new Date('2026-08-22T12:00:00Z');

before(async () => {
  [store, other] = await openTestStores(2) as [Store, Store];
});
after(async () => {
  await other.close();
  await store.close();
});

function posture(deviceId: string, p: Partial<PostureRecord> & Pick<PostureRecord, 'platform' | 'osVersion'>): PostureRecord {
  return {
    deviceId,
    model: 'Mac14,2',
    buildVersion: null,
    latestVersion: '26.6.2',
    latestBuild: '25G83',
    latestInMajorVersion: null,
    newestMajor: '26',
    onLatest: false,
    majorBehind: false,
    releasesBehind: 0,
    daysBehind: 0,
    cveCount: 0,
    exploitedCount: 0,
    updateAllowed: true,
    majorUpgradeAllowed: false,
    reason: null,
    detail: { note: deviceId },
    computedAt: T,
    catalogStamp: 'S1',
    ...p,
  };
}

test('upsert stores a posture, a second upsert replaces it; unknown ids read as null', async () => {
  await store.upsertPostures([posture('UP-1', { platform: 'macOS', osVersion: '15.7.8', releasesBehind: 1, cveCount: 3, detail: { a: [1, 2] } })]);
  let got = await store.getPosture('UP-1');
  assert.equal(got?.osVersion, '15.7.8');
  assert.equal(got?.releasesBehind, 1);
  assert.deepEqual(got?.detail, { a: [1, 2] });
  assert.equal(got?.computedAt.getTime(), T.getTime());
  await store.upsertPostures([posture('UP-1', { platform: 'macOS', osVersion: '26.6.2', onLatest: true, reason: 'r' })]);
  got = await other.getPosture('UP-1');
  assert.equal(got?.osVersion, '26.6.2');
  assert.equal(got?.onLatest, true);
  assert.equal(got?.releasesBehind, 0);
  assert.equal(got?.reason, 'r');
  assert.equal(await store.getPosture('NOPE'), null);
  assert.deepEqual((await store.getPostures(['UP-1', 'NOPE'])).map((p) => p.deviceId), ['UP-1']);
  await store.deletePosture('UP-1');
  assert.equal(await store.getPosture('UP-1'), null);
});

test('a batch larger than one statement, with a device twice: the last one wins', async () => {
  const many = Array.from({ length: 2500 }, (_, i) => posture(`BULK-${String(i).padStart(5, '0')}`, { platform: 'iOS', osVersion: '26.5', model: 'iPhone15,2' }));
  many.push(posture('BULK-00007', { platform: 'iOS', osVersion: '26.6.1', model: 'iPhone15,2', onLatest: true }));
  await store.upsertPostures(many);
  const s = await store.postureSummary({ model: 'iPhone15,2' }, 'S1');
  assert.equal(s.devices, 2500);
  assert.deepEqual(s.byVersion.map((v) => [v.osVersion, v.devices, v.onLatest]), [['26.6.1', 1, 1], ['26.5', 2499, 0]]);
  const some = await store.getPostures(['BULK-02499', 'BULK-00007', 'BULK-00000']);
  assert.deepEqual(some.map((p) => [p.deviceId, p.osVersion]), [['BULK-02499', '26.5'], ['BULK-00007', '26.6.1'], ['BULK-00000', '26.5']]);
  for (const p of many) await store.deletePosture(p.deviceId);
});

test('summary: counts, groups newest version first (numerically), filters, outdated rows', async () => {
  await store.upsertPostures([
    posture('S-1', { platform: 'macOS', osVersion: '26.6.2', onLatest: true }),
    posture('S-2', { platform: 'macOS', osVersion: '26.6.2', onLatest: true, catalogStamp: 'S0' }),
    posture('S-3', { platform: 'macOS', osVersion: '15.7.9', majorBehind: true, majorUpgradeAllowed: true, model: 'MacBookPro18,3' }),
    posture('S-4', { platform: 'macOS', osVersion: '15.7.10', releasesBehind: 0, majorBehind: true, model: 'MacBookPro18,3' }),
    posture('S-5', { platform: 'macOS', osVersion: '15.7.7', releasesBehind: 2, exploitedCount: 1, cveCount: 40, majorBehind: true, model: 'MacBookPro15,2' }),
    posture('S-6', { platform: 'macOS', osVersion: '9.3', latestVersion: null, latestBuild: null, newestMajor: null, model: 'Mystery1,1', reason: 'no catalog lists model Mystery1,1' }),
    posture('S-7', { platform: 'iOS', osVersion: '26.5', model: 'iPhone15,2', releasesBehind: 3, exploitedCount: 2 }),
    posture('S-8', { platform: 'iPadOS', osVersion: '26.5', model: 'iPad13,18', releasesBehind: 3 }),
    posture('S-9', { platform: 'macOS', osVersion: '10.15.7', model: 'MacBookPro15,2', releasesBehind: 1, majorBehind: true }),
  ]);
  const all = await store.postureSummary({}, 'S1');
  assert.deepEqual(
    { devices: all.devices, onLatest: all.onLatest, behind: all.behind, majorBehind: all.majorBehind, exposed: all.exposedActivelyExploited, unknown: all.unknown, mua: all.majorUpgradeAllowed, outdated: all.outdated },
    { devices: 9, onLatest: 2, behind: 4, majorBehind: 4, exposed: 2, unknown: 1, mua: 1, outdated: 1 },
  );
  assert.deepEqual(
    all.byVersion.map((v) => `${v.platform} ${v.osVersion} ${v.devices}`),
    ['macOS 26.6.2 2', 'iOS 26.5 1', 'iPadOS 26.5 1', 'macOS 15.7.10 1', 'macOS 15.7.9 1', 'macOS 15.7.7 1', 'macOS 10.15.7 1', 'macOS 9.3 1'],
  );
  assert.equal(all.oldestComputedAt?.getTime(), T.getTime());

  const mac15 = await store.postureSummary({ platform: 'macOS', osMin: '15', osMax: '15' }, 'S1');
  assert.deepEqual(mac15.byVersion.map((v) => v.osVersion), ['15.7.10', '15.7.9', '15.7.7']);
  assert.equal(mac15.behind, 1);
  const range = await store.postureSummary({ osMin: '15.7.8', osMax: '26.5' }, 'S1');
  assert.deepEqual(range.byVersion.map((v) => `${v.platform} ${v.osVersion}`), ['iOS 26.5', 'iPadOS 26.5', 'macOS 15.7.10', 'macOS 15.7.9']);
  const old = await store.postureSummary({ osMax: '10.15' }, 'S1');
  assert.deepEqual(old.byVersion.map((v) => v.osVersion), ['10.15.7', '9.3']);
  const intel = await store.postureSummary({ model: 'MacBookPro15,2' }, 'S1');
  assert.deepEqual([intel.devices, intel.behind, intel.exposedActivelyExploited], [2, 2, 1]);
  const none = await store.postureSummary({ platform: 'visionOS' }, 'S1');
  assert.deepEqual([none.devices, none.byVersion.length, none.oldestComputedAt], [0, 0, null]);
  assert.equal((await store.postureSummary({}, 'S0')).outdated, 8);
});

test('fleet recompute lease: one owner at a time, progress fenced, a finished stamp is not redone, a new stamp restarts', async () => {
  const lease = (s: number) => new Date(T.getTime() + s * 1000);
  const a = await store.claimPostureJob('fleet', 'node-a', 'S1', T, lease(60));
  assert.equal(a?.owner, 'node-a');
  assert.equal(a?.cursor, null);
  assert.equal(await other.claimPostureJob('fleet', 'node-b', 'S1', lease(10), lease(70)), null, 'held by node-a');
  assert.equal(await store.advancePostureJob('fleet', 'node-a', 'DEV-500', 500, lease(20), lease(80)), true);
  // node-a stops renewing; after its lease node-b takes over where it stopped.
  const b = await other.claimPostureJob('fleet', 'node-b', 'S1', lease(81), lease(141));
  assert.deepEqual([b?.owner, b?.cursor, b?.done], ['node-b', 'DEV-500', 500]);
  assert.equal(await store.advancePostureJob('fleet', 'node-a', 'DEV-600', 600, lease(82), lease(142)), false, 'node-a lost the lease');
  assert.equal(await store.finishPostureJob('fleet', 'node-a', lease(82)), false);
  assert.equal(await other.finishPostureJob('fleet', 'node-b', lease(90)), true);
  const done = await store.getPostureJob('fleet');
  assert.deepEqual([done?.owner, done?.doneStamp, done?.cursor], [null, 'S1', null]);
  assert.equal(await store.claimPostureJob('fleet', 'node-a', 'S1', lease(100), lease(160)), null, 'S1 is done');
  const again = await store.claimPostureJob('fleet', 'node-a', 'S2', lease(100), lease(160));
  assert.deepEqual([again?.stamp, again?.cursor, again?.done, again?.doneStamp], ['S2', null, 0, 'S1']);
  // A stamp change while a run is under way restarts it (same owner).
  await store.advancePostureJob('fleet', 'node-a', 'DEV-9', 9, lease(101), lease(161));
  const restarted = await store.claimPostureJob('fleet', 'node-a', 'S3', lease(102), lease(162));
  assert.deepEqual([restarted?.stamp, restarted?.cursor, restarted?.done], ['S3', null, 0]);
});

test('the generic upsert (one statement per batch: JSON rows on SQLite, arrays on PostgreSQL) writes what the store reads', async () => {
  const t = await storeWithSecondConnection();
  try {
    const generic = postureStore({ db: t.other, dialect: t.store.dialect });
    const rows = Array.from({ length: 1500 }, (_, i) =>
      posture(`GEN-${i}`, { platform: 'macOS', osVersion: i % 2 ? '26.6.2' : '15.7.9', onLatest: i % 2 === 1, reason: i === 3 ? "it's \"quoted\"" : null, detail: { i, list: ['a', 'b'] } }),
    );
    await generic.upsertPostures(rows);
    await generic.upsertPostures([posture('GEN-3', { platform: 'macOS', osVersion: '15.7.8', releasesBehind: 1, reason: 'replaced', detail: { again: true } })]);
    const s = await t.store.postureSummary({}, 'S1');
    assert.deepEqual(s.byVersion.map((v) => [v.osVersion, v.devices, v.onLatest, v.behind]), [['26.6.2', 749, 749, 0], ['15.7.9', 750, 0, 0], ['15.7.8', 1, 0, 1]]);
    const [a, b] = await t.store.getPostures(['GEN-3', 'GEN-4']);
    assert.deepEqual([a?.reason, a?.detail, a?.computedAt.getTime()], ['replaced', { again: true }, T.getTime()]);
    assert.deepEqual([b?.osVersion, b?.onLatest, b?.detail], ['15.7.9', false, { i: 4, list: ['a', 'b'] }]);
  } finally {
    await t.close();
  }
});
