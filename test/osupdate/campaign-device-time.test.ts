// A device's own clock in a campaign: its TimeZone from inventory decides when a "device" maintenance
// window is open (a Mac, which reports no time zone, falls back to the campaign's zone and says so),
// and a DDM device that reports a failed update it does not retry is asked to try again.
// Both backends.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCampaignEngine, type CampaignEngine } from '../../src/osupdate/campaign/index.js';
import { fromDeviceInformation } from '../../src/osupdate/inventory/parse.js';
import { inventoryQueries } from '../../src/osupdate/inventory/queries.js';
import type { CatalogView, Release } from '../../src/osupdate/types.js';
import { UnconfiguredPusher } from '../../src/push/unconfigured.js';
import type { Store } from '../../src/storage/types.js';
import { openTestStore } from '../helpers/store.js';

const POLL = 60_000;
// Monday 2026-12-07 14:00 UTC: 09:00 in New York (UTC-5), 23:00 in Tokyo (UTC+9).
let now = new Date('2026-12-07T14:00:00Z');
let store: Store;
let engine: CampaignEngine;
const synced: string[][] = [];
const applied: string[][] = [];

const NY = 'TZNY0000-0000-0000-0000-000000000001';
const TOKYO = 'TZTK0000-0000-0000-0000-000000000002';
const MAC = 'TZMC0000-0000-0000-0000-000000000003';
const DDM = 'TZDD0000-0000-0000-0000-000000000004';

const release = (version: string, build: string): Release => ({
  family: 'iOS', version, build, extra: null, prerequisiteBuild: null, postedAt: null, expiresAt: null, supportedDevices: [],
} as unknown as Release);
/** A catalog that knows the release but not the hardware: the target is named, the path is the device's. */
const catalog = {
  info: [], releases: () => [release('26.6.1', '23G83')], releasesFor: () => null, findRelease: () => null,
  boardIdsOf: () => [], newestMajorOf: () => null, suProducts: () => [],
} as unknown as CatalogView;

async function device(id: string, platform: 'iOS' | 'macOS', os: string, timeZone: string | null): Promise<void> {
  const model = platform === 'iOS' ? 'iPhone15,2' : 'Mac14,2';
  await store.authenticate({ id, type: 'Device', deviceId: id, udid: id, topic: 'com.apple.mgmt.test', inventory: { platform, model, productName: model, osVersion: os, buildVersion: 'X' }, at: now });
  await store.tokenUpdate({ id, type: 'Device', deviceId: id, udid: id, topic: 'com.apple.mgmt.test', pushToken: 'ab'.repeat(32), pushMagic: 'magic', at: now } as Parameters<Store['tokenUpdate']>[0]);
  await store.upsertInventory(id, { platform, model, osVersion: os, isSupervised: true, enrolledViaDep: true, ...(timeZone ? { timeZone } : {}) }, now);
}

before(async () => {
  store = await openTestStore();
  engine = createCampaignEngine({
    store, pusher: new UnconfiguredPusher(), now: () => now, pollMs: POLL, catalog: async () => catalog,
    inventory: async (ids) => new Map((await store.listInventory(ids)).map((i) => [i.deviceId, i])),
    ddm: {
      applySet: async (_n, _d, ids) => { applied.push(ids); },
      unassign: async () => undefined, deleteSet: async () => undefined, deleteDeclaration: async () => undefined,
      sync: async (ids) => { synced.push(ids); },
    },
  });
  await device(NY, 'iOS', '16.7.10', 'America/New_York');
  await device(TOKYO, 'iOS', '16.7.10', 'Asia/Tokyo');
  await device(MAC, 'macOS', '13.6', null);
  await device(DDM, 'iOS', '26.5', 'Europe/Paris');
});
after(() => store.close());

test('inventory asks iPhones for their time zone, not Macs (Apple\'s schema), and keeps only a zone it knows', () => {
  assert.ok(inventoryQueries({ platform: 'iOS', osVersion: '18.7', userEnrollment: false }).includes('TimeZone'));
  assert.ok(!inventoryQueries({ platform: 'macOS', osVersion: '26.5', userEnrollment: false }).includes('TimeZone'));
  assert.equal(fromDeviceInformation({ TimeZone: 'Asia/Tokyo', OSVersion: '26.5' }, 'iOS').timeZone, 'Asia/Tokyo');
  assert.equal(fromDeviceInformation({ TimeZone: 'Mars/Olympus' }, 'iOS').timeZone, undefined);
});

test('a window without a zone is read on each device\'s clock; a Mac falls back to UTC and the reason says so', async () => {
  // 22:00-02:00 local: open in Tokyo (23:00), closed in New York (09:00) and in UTC (14:00).
  const body = { name: 'evening', select: { enrollment_ids: [NY, TOKYO, MAC] }, target: { version: '26.6.1' }, window: 'daily 22:00-02:00' };
  const dry = await engine.create({ ...body, dry_run: true });
  assert.ok('dryRun' in dry);
  const zones = new Map(dry.dryRun.devices.map((d) => [d.deviceId, d.window]));
  assert.deepEqual(zones.get(NY), { zone: 'America/New_York', note: null });
  assert.deepEqual(zones.get(TOKYO), { zone: 'Asia/Tokyo', note: null });
  assert.equal(zones.get(MAC)?.zone, 'UTC');
  assert.match(zones.get(MAC)?.note ?? '', /macOS does not report its time zone: window read in UTC/);

  const made = await engine.create(body);
  assert.ok('created' in made);
  await engine.tick();
  const rows = new Map((await store.campaignDevices(made.created.campaign.id, { limit: 10 })).map((r) => [r.deviceId, r]));
  assert.notEqual(rows.get(TOKYO)!.state, 'pending', `Tokyo is inside its window: ${rows.get(TOKYO)!.reason ?? ''}`);
  const ny = rows.get(NY)!;
  assert.equal(ny.state, 'pending');
  assert.match(ny.reason ?? '', /outside the maintenance window \(daily 22:00-02:00, device time America\/New_York\); opens 2026-12-07 22:00 America\/New_York \(03:00 UTC\)/);
  assert.equal(ny.nextAt?.toISOString(), '2026-12-08T03:00:00.000Z');
  const mac = rows.get(MAC)!;
  assert.equal(mac.state, 'pending');
  assert.match(mac.reason ?? '', /opens 2026-12-07 22:00 UTC; macOS does not report its time zone: window read in UTC/);
  await engine.cancel(made.created.campaign.id);
});

test('a window in a named zone is the same for every device, whatever its own zone', async () => {
  const body = { name: 'tokyo', select: { enrollment_ids: [NY, TOKYO] }, target: { version: '26.6.1' }, window: 'daily 22:00-02:00 Asia/Tokyo', dry_run: true };
  const dry = await engine.create(body);
  assert.ok('dryRun' in dry);
  for (const d of dry.dryRun.devices) assert.deepEqual(d.window, { zone: 'Asia/Tokyo', note: null });
});

test('a DDM device that reports a failed update and stays failed is asked to sync, then fails past the retries', async () => {
  const made = await engine.create({ name: 'ddm', select: { enrollment_ids: [DDM] }, target: { version: '26.6.1' }, retries: 1 });
  assert.ok('created' in made);
  const id = made.created.campaign.id;
  await engine.tick();
  let row = (await store.campaignDeviceGet(id, DDM))!;
  assert.equal(row.state, 'enforcing', row.reason ?? '');
  assert.deepEqual(applied.at(-1), [DDM]);
  const failed = (count: number) => engine.status({ deviceId: DDM, items: [
    { name: 'softwareupdate.install-state', value: 'failed' },
    { name: 'softwareupdate.failure-reason', value: { count, reason: 'InstallFailed' } },
  ] });
  await failed(1);
  row = (await store.campaignDeviceGet(id, DDM))!;
  assert.equal(row.state, 'enforcing');
  assert.match(row.reason ?? '', /failure \(InstallFailed, 1 so far\); asking it to try again shortly/);

  // Three polls later it is still failed: nothing yet. At four, a sync.
  now = new Date(now.getTime() + 3 * POLL);
  await engine.tick();
  assert.equal(synced.length, 0);
  now = new Date(now.getTime() + POLL + 1000);
  await engine.tick();
  assert.deepEqual(synced, [[DDM]]);
  row = (await store.campaignDeviceGet(id, DDM))!;
  assert.match(row.reason ?? '', /asked it to try again \(1\)/);

  // The second failure is past retries: 1 → failed, with the device's reason.
  await failed(2);
  row = (await store.campaignDeviceGet(id, DDM))!;
  assert.equal(row.state, 'failed');
  assert.match(row.reason ?? '', /failed to install 2 times: InstallFailed/);
});
