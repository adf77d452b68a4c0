// The re-push policy on a fake clock, with the real store, provider and fake APNs: pending
// commands are pushed again after the interval, then 2×, 4×… while the device stays silent, at
// least daily, again after a NotNow, and never once the command is fetched.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { Store } from '../../src/storage/types.js';
import { ApnsPusher } from '../../src/push/apns.js';
import type { FakeApns } from '../../src/push/fake-apns.js';
import { repushDelay, startRepushWorker, type RepushWorker } from '../../src/push/repush.js';
import { openTestStore, testDbLabel } from '../helpers/store.js';
import { enrollPushable, fakeApnsWithCert } from './helpers.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const COMMAND = (uuid: string) =>
  Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>Command</key><dict><key>RequestType</key><string>DeviceInformation</string></dict><key>CommandUUID</key><string>${uuid}</string></dict></plist>`);

test('repushDelay doubles from the interval and is capped at a day', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 40].map((n) => repushDelay(n, HOUR, 24 * HOUR) / HOUR), [1, 2, 4, 8, 16, 24, 24]);
});

describe(`re-push worker (${testDbLabel})`, () => {
  let store: Store;
  let fake: FakeApns;
  let pusher: ApnsPusher;
  let now = new Date('2026-03-01T00:00:00Z').getTime();
  const clock = { now: () => new Date(now) };
  let worker: RepushWorker;

  before(async () => {
    store = await openTestStore();
    const f = await fakeApnsWithCert({ wakeChannel: false });
    fake = f.fake;
    pusher = new ApnsPusher({ store, cert: f.cert, logger: pino({ level: 'silent' }), url: fake.url, ca: fake.ca, now: clock.now });
    worker = startRepushWorker({ store, pusher, interval: HOUR, logger: pino({ level: 'silent' }), clock, checkEvery: 3_600_000 });
  });
  after(async () => {
    await worker.stop();
    await pusher.close();
    await fake.close();
    await store.close();
  });

  test('a silent device is pushed after 1 h, then 2 h, 4 h… and at least daily', async () => {
    const d = await enrollPushable(store, clock.now());
    await store.enqueue({ uuid: randomUUID(), requestType: 'DeviceInformation', raw: COMMAND(randomUUID()), at: clock.now() }, [d.id]);
    await pusher.push([d.id]); // the push on enqueue
    const pushesAt = (minutes: number) => {
      now += minutes * MIN;
      return worker.runOnce().then(() => fake.pushes({ token: d.token }).length);
    };
    assert.equal(await pushesAt(0), 1);
    assert.equal(await pushesAt(59), 1, 'not before the interval');
    assert.equal(await pushesAt(2), 2, 'first re-push after 1 h');
    assert.equal(await pushesAt(60), 2, 'then waits 2 h');
    assert.equal(await pushesAt(61), 3);
    assert.equal(await pushesAt(4 * 60 + 1), 4);
    assert.equal(await pushesAt(8 * 60 + 1), 5);
    assert.equal(await pushesAt(16 * 60 + 1), 6);
    assert.equal(await pushesAt(23 * 60), 6);
    assert.equal(await pushesAt(61), 7, 'capped: the daily sweep');
    assert.equal(await pushesAt(24 * 60 + 1), 8);
  });

  test('fetched commands are not re-pushed; a NotNow brings a push one interval later; results end it', async () => {
    const d = await enrollPushable(store, clock.now());
    const uuid = randomUUID();
    await store.enqueue({ uuid, requestType: 'DeviceInformation', raw: COMMAND(uuid), at: clock.now() }, [d.id]);
    await pusher.push([d.id]);
    // The device wakes and fetches the command at once, then answers NotNow.
    await store.touch(d.id, clock.now());
    assert.ok((await store.reportAndNext({ enrollmentId: d.id, at: clock.now(), result: null, skipNotNow: false })).next);
    await store.reportAndNext({ enrollmentId: d.id, at: clock.now(), result: { uuid, status: 'NotNow', raw: Buffer.from(''), json: {} }, skipNotNow: false });
    const count = () => fake.pushes({ token: d.token }).length;
    now += 30 * MIN;
    await worker.runOnce();
    assert.equal(count(), 1, 'nothing within the interval');
    now += 31 * MIN;
    await worker.runOnce();
    assert.equal(count(), 2, 're-pushed after NotNow');
    // Next poll it acknowledges: nothing pending, no more pushes.
    await store.touch(d.id, clock.now());
    assert.ok((await store.reportAndNext({ enrollmentId: d.id, at: clock.now(), result: null, skipNotNow: false })).next);
    await store.reportAndNext({ enrollmentId: d.id, at: clock.now(), result: { uuid, status: 'Acknowledged', raw: Buffer.from(''), json: {} }, skipNotNow: false });
    now += 3 * 24 * HOUR;
    await worker.runOnce();
    assert.equal(count(), 2);
  });

  test('one pass pages through every pending enrollment', async () => {
    const devices = await Promise.all(Array.from({ length: 5 }, () => enrollPushable(store, clock.now())));
    await store.enqueue({ uuid: randomUUID(), requestType: 'DeviceInformation', raw: COMMAND(randomUUID()), at: clock.now() }, devices.map((d) => d.id));
    const paged = startRepushWorker({ store, pusher, interval: HOUR, logger: pino({ level: 'silent' }), clock, checkEvery: 3_600_000, pageSize: 2 });
    try {
      now += HOUR + MIN;
      await paged.runOnce();
      assert.deepEqual(devices.map((d) => fake.pushes({ token: d.token }).length), [1, 1, 1, 1, 1]);
    } finally {
      await paged.stop();
    }
  });

  test('a restart picks up the schedule from the push log', async () => {
    const d = await enrollPushable(store, clock.now());
    await store.enqueue({ uuid: randomUUID(), requestType: 'DeviceInformation', raw: COMMAND(randomUUID()), at: clock.now() }, [d.id]);
    await pusher.push([d.id]);
    now += HOUR + MIN;
    await worker.runOnce();
    assert.equal(fake.pushes({ token: d.token }).length, 2);
    const fresh = startRepushWorker({ store, pusher, interval: HOUR, logger: pino({ level: 'silent' }), clock, checkEvery: 3_600_000 });
    try {
      now += HOUR;
      await fresh.runOnce();
      assert.equal(fake.pushes({ token: d.token }).length, 2, 'second re-push is 2 h after the first, not 1 h');
      now += HOUR + MIN;
      await fresh.runOnce();
      assert.equal(fake.pushes({ token: d.token }).length, 3);
    } finally {
      await fresh.stop();
    }
  });
});
