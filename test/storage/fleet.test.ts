// The dashboard's device list in the store (storage/fleet.ts): migration 016 gives devices enrolled
// before it their sortable OS key; a list with more matches than COUNT_CAP says so and still pages
// in order, whether SQLite walks the sort index (many matches) or sorts what its filters found (few).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../src/storage/index.js';
import { COUNT_CAP } from '../../src/storage/types-fleet.js';
import { testDatabase, testDbLabel } from '../helpers/store.js';
import { migrateBelow, secondConnection, storeWithSecondConnection } from './setup.js';

const T = new Date('2026-08-20T10:00:00Z').getTime();
const device = (id: string, extra: Record<string, unknown>) => ({
  id, device_id: id, type: 'Device', topic: 't', enabled: 1, token_update_tally: 1, awaiting_configuration: 0, created_at: T, updated_at: T, ...extra,
});

test(`migration 016 gives devices enrolled before it their OS order: 9.x before 10.x (${testDbLabel})`, async () => {
  const t = await testDatabase();
  const other = await secondConnection(t.db, t.dataDir);
  try {
    await migrateBelow(other, t.db, '016');
    await other.insertInto('enrollments').values([
      device('A', { os_version: '26.1' }), device('B', { os_version: '10.15.7' }), device('C', { os_version: '9.3.5' }), device('D', { os_version: null }),
    ]).execute();
    const s = await openStore({ db: t.db, dataDir: t.dataDir });
    try {
      assert.deepEqual((await s.deviceList({ sort: 'os' })).rows.map((r) => r.id), ['D', 'C', 'B', 'A'], 'no version first, then by version');
      assert.deepEqual((await s.deviceList({ sort: 'os', desc: true })).rows.map((r) => r.id), ['A', 'B', 'C', 'D']);
    } finally {
      await s.close();
    }
  } finally {
    await other.destroy();
    await t.remove();
  }
});

test(`more matches than the count's cap: "more than", and pages still in order (${testDbLabel})`, async () => {
  const { store, other, close } = await storeWithSecondConnection();
  try {
    const n = COUNT_CAP + 50;
    const names = Array.from({ length: n }, (_, i) => `Dev ${i}`);
    const rows = names.map((name, i) => device(`ID-${String(i).padStart(6, '0')}`, { device_name: name, serial_number: `S${i}` }));
    for (let i = 0; i < rows.length; i += 500) await other.insertInto('enrollments').values(rows.slice(i, i + 500)).execute();
    const byName = [...names].sort();

    const whole = await store.deviceList({ limit: 50 });
    assert.deepEqual([whole.total, whole.capped, whole.more], [n, false, true], 'the whole fleet is counted exactly');

    const many = await store.deviceList({ search: 'dev', limit: 50, offset: 100 });
    assert.deepEqual([many.total, many.capped, many.more], [COUNT_CAP, true, true]);
    assert.deepEqual(many.rows.map((r) => r.deviceName), byName.slice(100, 150));
    const last = await store.deviceList({ search: 'DEV', desc: true, limit: 50, offset: n - 10 });
    assert.deepEqual(last.rows.map((r) => r.deviceName), byName.slice(0, 10).reverse(), 'the last page, going down');
    assert.equal(last.more, false);

    const few = await store.deviceList({ search: 'dev 100', limit: 50, desc: true });
    const expected = byName.filter((x) => x.startsWith('Dev 100')).reverse();
    assert.deepEqual([few.total, few.capped, few.more], [expected.length, false, true]);
    assert.deepEqual(few.rows.map((r) => r.deviceName), expected.slice(0, 50));
    const fewNext = await store.deviceList({ search: 'dev 100', limit: 50, desc: true, offset: 50 });
    assert.deepEqual(fewNext.rows.map((r) => r.deviceName), expected.slice(50));
    assert.equal(fewNext.more, false);
  } finally {
    await close();
  }
});

test(`sorted by posture: by releases behind, then a newer major; devices without a posture last either way (${testDbLabel})`, async () => {
  const { store, other, close } = await storeWithSecondConnection();
  try {
    // P0..P5 with postures (releases behind 2, 0, 1, 0, 2, 1; a newer major open for P1 and P5), N0..N2 without.
    const behind = [2, 0, 1, 0, 2, 1];
    await other.insertInto('enrollments').values([...behind.map((_, i) => device(`P${i}`, {})), ...[0, 1, 2].map((i) => device(`N${i}`, {}))]).execute();
    await store.upsertPostures(behind.map((releasesBehind, i) => ({
      deviceId: `P${i}`, platform: 'macOS', model: 'Mac14,2', osVersion: '15.1', buildVersion: null, latestVersion: '15.7', latestBuild: null,
      latestInMajorVersion: '15.7', newestMajor: '26', onLatest: releasesBehind === 0, majorBehind: i === 1 || i === 5, releasesBehind, daysBehind: 0,
      cveCount: 0, exploitedCount: 0, updateAllowed: true, majorUpgradeAllowed: true, reason: null, detail: {}, computedAt: new Date(T), catalogStamp: 's',
    })));
    const order = async (q: Parameters<typeof store.deviceList>[0]) => (await store.deviceList({ sort: 'behind', ...q })).rows.map((r) => r.id);
    const up = ['P3', 'P1', 'P2', 'P5', 'P0', 'P4', 'N0', 'N1', 'N2'];
    assert.deepEqual(await order({}), up);
    assert.deepEqual(await order({ desc: true }), ['P4', 'P0', 'P5', 'P2', 'P1', 'P3', 'N2', 'N1', 'N0']);
    for (const offset of [0, 2, 4, 5, 6, 7, 9]) {
      const page = await store.deviceList({ sort: 'behind', limit: 2, offset });
      assert.deepEqual(page.rows.map((r) => r.id), up.slice(offset, offset + 2), `offset ${offset}`);
      assert.equal(page.more, offset + 2 < up.length, `offset ${offset}: more`);
    }
    assert.deepEqual(await order({ posture: 'behind' }), ['P2', 'P5', 'P0', 'P4']);
    assert.deepEqual(await order({ posture: 'unknown', desc: true }), ['N2', 'N1', 'N0']);
    // A posture computed without a catalog entry for the device is unknown too (as the fleet page counts it).
    const [p1] = await store.getPostures(['P1']);
    await store.upsertPostures([{ ...p1!, deviceId: 'N1', latestVersion: null, latestInMajorVersion: null, onLatest: false, majorBehind: false, releasesBehind: 0 }]);
    const unknown = await store.deviceList({ sort: 'behind', posture: 'unknown' });
    assert.deepEqual([unknown.total, unknown.rows.map((r) => r.id)], [3, ['N1', 'N0', 'N2']], 'N1 has a posture: before those without');
    assert.deepEqual((await store.deviceList({ posture: 'unknown', sort: 'name' })).rows.map((r) => r.id).sort(), ['N0', 'N1', 'N2']);
  } finally {
    await close();
  }
});
