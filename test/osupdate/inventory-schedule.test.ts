// The inventory schedule: stale devices get one DeviceInformation (and SecurityInfo if they never
// answered one), fresh ones nothing; two schedulers on one database (two server processes) never
// queue a device twice; the cap bounds a pass; a device already asked is not asked again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startInventorySchedule, type InventorySchedule } from '../../src/osupdate/inventory/schedule.js';
import type { Pusher } from '../../src/push/types.js';
import type { Store } from '../../src/storage/types.js';
import { configFrom } from '../../src/cli/serve-options.js';
import { openTestStores, testDbLabel } from '../helpers/store.js';
import { T0, enqueueOne, enrollDevice, newId } from '../storage/setup.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

function recordingPusher(into: string[]): Pusher {
  return {
    configured: true,
    async push(ids) {
      into.push(...ids);
      return ids.map((id) => ({ id, ok: true, outcome: 'sent' }));
    },
    async close() {},
  };
}

function scheduler(store: Store, pushed: string[], at: Date, cap?: number): InventorySchedule {
  return startInventorySchedule({ store, pusher: recordingPusher(pushed), interval: DAY, now: () => at, checkEvery: 3_600_000, cap });
}

const queuedTypes = async (store: Store, id: string) => (await store.listQueue(id)).map((q) => q.requestType).sort();

test(`stale devices only, once each across two schedulers; SecurityInfo for those that never answered one; the cap holds (${testDbLabel})`, async () => {
  const [a, b] = await openTestStores(2);
  const stops: InventorySchedule[] = [];
  try {
    const stale: string[] = [];
    const fresh: string[] = [];
    for (let i = 0; i < 24; i++) stale.push(await enrollDevice(a!, newId('STALE')));
    for (let i = 0; i < 8; i++) fresh.push(await enrollDevice(a!, newId('FRESH')));
    const now = new Date(T0.getTime() + 2 * DAY);
    for (const id of stale) await a!.upsertInventory(id, {}, T0, { information: true });
    for (const id of fresh) await a!.upsertInventory(id, {}, new Date(now.getTime() - HOUR), { information: true, security: true });
    // One stale device answered SecurityInfo already; another still has a DeviceInformation queued.
    await a!.upsertInventory(stale[0]!, {}, T0, { security: true });
    const waiting = await enqueueOne(a!, [stale[1]!], { requestType: 'DeviceInformation' });

    const pushedA: string[] = [];
    const pushedB: string[] = [];
    const [sa, sb] = [scheduler(a!, pushedA, now), scheduler(b!, pushedB, now)];
    stops.push(sa, sb);
    const [ca, cb] = await Promise.all([sa.runOnce(), sb.runOnce()]);
    assert.deepEqual([...ca, ...cb].sort(), [...stale].sort(), 'every stale device claimed, by one scheduler or the other');
    assert.equal(new Set([...ca, ...cb]).size, stale.length, 'none by both');
    assert.deepEqual([...pushedA, ...pushedB].sort(), [...stale].sort(), 'each woken once');

    for (const id of stale.slice(2)) assert.deepEqual(await queuedTypes(a!, id), ['DeviceInformation', 'SecurityInfo'], id);
    assert.deepEqual(await queuedTypes(a!, stale[0]!), ['DeviceInformation'], 'SecurityInfo answered before: not asked again');
    const mine = (await a!.listQueue(stale[1]!)).filter((q) => q.requestType === 'DeviceInformation');
    assert.deepEqual(mine.map((q) => q.uuid), [waiting.uuid], 'an outstanding DeviceInformation is not doubled');
    for (const id of fresh) assert.deepEqual(await queuedTypes(a!, id), [], `${id} is fresh`);
    // The queries fit the device (a macOS 14.4 Mac).
    const [cmd] = await a!.getCommand((await a!.listQueue(stale[2]!))[0]!.uuid, stale[2]!);
    assert.match(cmd!.raw.toString(), /<string>SoftwareUpdateDeviceID<\/string>/);

    // Run again at once: nothing is due any more.
    assert.deepEqual(await sa.runOnce(), []);
    assert.deepEqual(await sb.runOnce(), []);

    // A day on, the fresh ones' and the stale ones' slots have come again; a capped pass takes 5.
    const later = new Date(now.getTime() + 1.5 * DAY);
    const capped = scheduler(a!, [], later, 5);
    stops.push(capped);
    assert.equal((await capped.runOnce()).length, 5);
    assert.equal((await scheduler(b!, [], later, 1000).runOnce()).length, stale.length + fresh.length - 5);
  } finally {
    for (const s of stops) await s.stop();
    await a!.close();
    await b!.close();
  }
});

test('--inventory-interval and UPDRAFT_INVENTORY_INTERVAL set the interval in seconds; 0 turns the schedule off', () => {
  const base = { listen: '127.0.0.1:9000', dataDir: './data', db: 'sqlite', logLevel: 'info', retentionDays: '90', bodyLimit: '1000' };
  assert.equal(configFrom({ ...base, inventoryInterval: '3600' }).inventoryIntervalSeconds, 3600);
  assert.equal(configFrom({ ...base, inventoryInterval: '0' }).inventoryIntervalSeconds, 0);
  assert.equal(configFrom(base).inventoryIntervalSeconds, undefined, 'unset: the server uses its default (a day)');
  assert.throws(() => configFrom({ ...base, inventoryInterval: '1d' }), /--inventory-interval \(UPDRAFT_INVENTORY_INTERVAL\) must be a whole number/);
});
