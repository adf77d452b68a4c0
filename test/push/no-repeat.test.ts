// One wake-up, one push: the re-push worker running while an enqueue's pushes await their answers
// (their push-log rows are written only once the batch is answered) does not push the same token
// again, whether the push is still in flight or ended after the worker read the log. And a token
// APNs answers 400 BadDeviceToken is not pushed again while a command waits, until a TokenUpdate.
// Real store, provider and fake APNs, on a fake clock, on the backend named by UPDRAFT_TEST_DB.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import pino from 'pino';
import type { Store } from '../../src/storage/types.js';
import { ApnsPusher } from '../../src/push/apns.js';
import type { FakeApns } from '../../src/push/fake-apns.js';
import type { Pusher } from '../../src/push/types.js';
import { startRepushWorker } from '../../src/push/repush.js';
import { pushEnrollments } from '../../src/service/enqueue.js';
import { openTestStore, testDbLabel } from '../helpers/store.js';
import { enrollPushable, fakeApnsWithCert, TOPIC } from './helpers.js';

const HOUR = 3_600_000;
const COMMAND = (uuid: string) =>
  Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>Command</key><dict><key>RequestType</key><string>DeviceInformation</string></dict><key>CommandUUID</key><string>${uuid}</string></dict></plist>`);

describe(`no repeated pushes (${testDbLabel})`, () => {
  let store: Store;
  let fake: FakeApns;
  let apns: ApnsPusher;
  let now = new Date('2026-04-01T00:00:00Z').getTime();
  const clock = { now: () => new Date(now) };
  const logger = pino({ level: 'silent' });

  before(async () => {
    store = await openTestStore();
    const f = await fakeApnsWithCert({ wakeChannel: false });
    fake = f.fake;
    apns = new ApnsPusher({ store, cert: f.cert, logger, url: fake.url, ca: fake.ca, now: clock.now });
  });
  after(async () => {
    await apns.close();
    await fake.close();
    await store.close();
  });

  /**
   * A device with a command queued an interval ago and never fetched, nor pushed: the worker finds it
   * due at once (a command queued later waits an interval first, its enqueue's push is what wakes it).
   */
  async function deviceWithCommand() {
    const d = await enrollPushable(store, new Date(now - HOUR - 60_000));
    await store.enqueue({ uuid: randomUUID(), requestType: 'DeviceInformation', raw: COMMAND(randomUUID()), at: new Date(now - HOUR - 60_000) }, [d.id]);
    return d;
  }

  /** One worker pass whose push call goes through `around` (which calls the real provider). */
  async function pass(around: (ids: string[], push: () => Promise<unknown>) => Promise<unknown>): Promise<void> {
    const pusher: Pusher = {
      configured: true,
      push: async (ids, opts) => {
        let result: ReturnType<Pusher['push']> | undefined;
        await around(ids, () => (result = apns.push(ids, opts)));
        return result!;
      },
      close: async () => {},
    };
    const worker = startRepushWorker({ store, pusher, interval: HOUR, logger, clock, checkEvery: 3_600_000 });
    try {
      await worker.runOnce();
    } finally {
      await worker.stop();
    }
  }

  test('the worker runs while the enqueue\'s push awaits its answer: the token is pushed once', async () => {
    const d = await deviceWithCommand();
    const release = fake.hold();
    const enqueuePush = pushEnrollments({ store, pusher: apns }, [d.id], clock.now());
    await pass(async (ids, push) => {
      assert.deepEqual(ids, [d.id], 'the worker sees no push in the log yet and finds the device due');
      const p = push();
      release(); // APNs answers once the worker has made its call
      await p;
    });
    const [outcome] = await enqueuePush;
    assert.equal(outcome?.ok, true);
    assert.equal(fake.pushes({ token: d.token }).length, 1, 'one push reached APNs');
    assert.equal((await store.listPushes(d.id)).length, 1, 'one push logged');
    const events = await store.listEvents({ enrollmentId: d.id, kindPrefix: 'push.' });
    assert.deepEqual(events.map((e) => e.kind), ['push.sent'], 'the enqueue\'s event (the worker records none)');
  });

  test('the enqueue\'s push ends after the worker read the log but before it pushes: still once', async () => {
    const d = await deviceWithCommand();
    const release = fake.hold();
    const enqueuePush = pushEnrollments({ store, pusher: apns }, [d.id], clock.now());
    await pass(async (_ids, push) => {
      release();
      await enqueuePush; // answered and logged: no longer in flight
      await push();
    });
    assert.equal(fake.pushes({ token: d.token }).length, 1);
    assert.equal((await store.listPushes(d.id)).length, 1);
    // The next pass, an interval later, pushes again as the schedule says.
    now += HOUR + 60_000;
    await pass(async (_ids, push) => push());
    assert.equal(fake.pushes({ token: d.token }).length, 2);
  });

  test('400 BadDeviceToken: not pushed again while the command waits, until the next TokenUpdate', async () => {
    const d = await deviceWithCommand();
    fake.respond(d.token, { status: 400, reason: 'BadDeviceToken' });
    const [first] = await pushEnrollments({ store, pusher: apns }, [d.id], clock.now());
    assert.deepEqual([first?.ok, first?.outcome], [false, 'BadDeviceToken']);
    assert.ok((await store.getEnrollment(d.id))?.pushInvalidAt, 'the token is marked dead');

    for (let i = 0; i < 10; i++) {
      now += 6 * HOUR; // two and a half days of re-push passes
      await pass(async (_ids, push) => push());
    }
    const [again] = await apns.push([d.id]); // an explicit push (API, enqueue) does not reach APNs either
    assert.equal(again?.outcome, 'no_token');
    assert.deepEqual((await store.listPushes(d.id)).map((p) => [p.outcome, p.httpStatus]), [['BadDeviceToken', 400]], 'APNs was asked once');

    // The device sends a new token: pushes resume, and the waiting command is re-pushed.
    const token = randomBytes(32).toString('hex');
    await store.tokenUpdate({ id: d.id, type: 'Device', deviceId: d.id, udid: d.id, topic: TOPIC, pushToken: token, pushMagic: d.magic, at: clock.now() });
    now += 60_000;
    await pass(async (_ids, push) => push());
    assert.equal(fake.pushes({ token }).length, 1, 're-pushed after the TokenUpdate');
  });
});
