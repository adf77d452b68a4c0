// The APNs provider against the fake APNs: what each APNs answer does to the push, the push log
// and the enrollment, on the backend named by UPDRAFT_TEST_DB.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { Store } from '../../src/storage/types.js';
import { ApnsPusher } from '../../src/push/apns.js';
import type { FakeApns } from '../../src/push/fake-apns.js';
import type { PushCertificate } from '../../src/push/cert.js';
import { makeFakePushCert } from '../../src/push/selfsigned.js';
import { parsePushCertPem } from '../../src/push/cert.js';
import { openTestStore, testDbLabel } from '../helpers/store.js';
import { captureLog, enrollPushable, fakeApnsWithCert, TOPIC } from './helpers.js';

describe(`APNs provider (${testDbLabel})`, () => {
  let store: Store;
  let fake: FakeApns;
  let cert: PushCertificate;
  let pusher: ApnsPusher;
  const log = captureLog();

  before(async () => {
    store = await openTestStore();
    ({ fake, cert } = await fakeApnsWithCert());
    pusher = new ApnsPusher({ store, cert, logger: log.logger, url: fake.url, ca: fake.ca, retries: 2, retryDelayMs: 5 });
  });
  after(async () => {
    await pusher.close();
    await fake.close();
    await store.close();
  });

  const outcomes = async (id: string) => (await store.listPushes(id, 20)).map((p) => [p.outcome, p.httpStatus]).reverse();

  test('200: the device is woken with {"mdm": PushMagic} at /3/device/<hex token>; the attempt is logged', async () => {
    const d = await enrollPushable(store);
    const woken = fake.waitForPush(d.token);
    const [r] = await pusher.push([d.id]);
    assert.equal(r.ok, true);
    assert.equal(r.outcome, 'sent');
    assert.match(r.apnsId ?? '', /^[0-9A-F-]{36}$/);
    const p = await woken;
    assert.equal(p.pushMagic, d.magic);
    assert.equal(p.topic, TOPIC);
    const [entry] = await store.listPushes(d.id);
    assert.equal(entry.outcome, 'sent');
    assert.equal(entry.httpStatus, 200);
    assert.equal(entry.apnsId, r.apnsId);
  });

  test('400 BadDeviceToken is recorded and invalidates the token, as a 410 does (Apple: do not retry it)', async () => {
    const d = await enrollPushable(store);
    fake.respond(d.token, { status: 400, reason: 'BadDeviceToken' });
    const [r] = await pusher.push([d.id]);
    assert.deepEqual([r.ok, r.outcome], [false, 'BadDeviceToken']);
    assert.deepEqual(await outcomes(d.id), [['BadDeviceToken', 400]]);
    assert.equal((await store.pushTargets([d.id])).length, 0);
  });

  test('other 400s (BadTopic, DeviceTokenNotForTopic) are recorded and leave the token alone', async () => {
    for (const reason of ['BadTopic', 'DeviceTokenNotForTopic']) {
      const d = await enrollPushable(store);
      fake.respond(d.token, { status: 400, reason });
      const [r] = await pusher.push([d.id]);
      assert.deepEqual([r.ok, r.outcome], [false, reason]);
      assert.equal((await store.pushTargets([d.id])).length, 1, reason);
    }
  });

  for (const reason of ['BadCertificate', 'BadCertificateEnvironment', 'Forbidden']) {
    test(`403 ${reason} surfaces a certificate problem until APNs accepts a push again`, async () => {
      const d = await enrollPushable(store);
      fake.respond(d.token, { status: 403, reason });
      const [r] = await pusher.push([d.id]);
      assert.deepEqual([r.ok, r.outcome], [false, reason]);
      assert.equal(pusher.problem?.reason, reason);
      assert.ok(log.lines.some((l) => l.level === 50 && l.reason === reason), 'logged as an error');
      assert.deepEqual(await outcomes(d.id), [[reason, 403]], 'not retried');
      const [again] = await pusher.push([d.id]);
      assert.equal(again.ok, true);
      assert.equal(pusher.problem, null);
    });
  }

  for (const [status, reason] of [[405, 'MethodNotAllowed'], [413, 'PayloadTooLarge']] as const) {
    test(`${status} ${reason} is recorded and not retried`, async () => {
      const d = await enrollPushable(store);
      fake.respond(d.token, { status, reason });
      const [r] = await pusher.push([d.id]);
      assert.deepEqual([r.ok, r.outcome], [false, reason]);
      assert.deepEqual(await outcomes(d.id), [[reason, status]]);
      assert.equal(fake.pushes({ token: d.token }).length, 0);
    });
  }

  test('410 Unregistered stops pushes to the token until its next TokenUpdate', async () => {
    const d = await enrollPushable(store);
    fake.unregister(d.token);
    const [r] = await pusher.push([d.id]);
    assert.deepEqual([r.ok, r.outcome], [false, 'Unregistered']);
    assert.ok((await store.getEnrollment(d.id))?.pushInvalidAt);
    const [skipped] = await pusher.push([d.id]);
    assert.deepEqual([skipped.ok, skipped.outcome], [false, 'no_token']);
    assert.deepEqual(await outcomes(d.id), [['Unregistered', 410]], 'no request for an invalidated token');

    const fresh = Buffer.from(d.token, 'hex').reverse().toString('hex');
    await store.tokenUpdate({ id: d.id, type: 'Device', deviceId: d.id, udid: d.id, topic: TOPIC, pushToken: fresh, pushMagic: d.magic, at: new Date() });
    const woken = fake.waitForPush(fresh);
    const [back] = await pusher.push([d.id]);
    assert.equal(back.ok, true);
    assert.equal((await woken).pushMagic, d.magic);
  });

  test('429 TooManyRequests is retried with backoff', async () => {
    const d = await enrollPushable(store);
    fake.respond(d.token, { status: 429, reason: 'TooManyRequests' }, { status: 429, reason: 'TooManyRequests' });
    const [r] = await pusher.push([d.id]);
    assert.equal(r.ok, true);
    assert.deepEqual(await outcomes(d.id), [['TooManyRequests', 429], ['TooManyRequests', 429], ['sent', 200]]);
  });

  test('500 and 503 are retried; when retries run out the last reason is returned', async () => {
    const d = await enrollPushable(store);
    fake.respond(d.token, { status: 500, reason: 'InternalServerError' }, { status: 503, reason: 'ServiceUnavailable' });
    const [ok] = await pusher.push([d.id]);
    assert.equal(ok.ok, true);
    fake.respond(d.token, ...Array(3).fill({ status: 503, reason: 'ServiceUnavailable' }));
    const [failed] = await pusher.push([d.id]);
    assert.deepEqual([failed.ok, failed.outcome], [false, 'ServiceUnavailable']);
    assert.deepEqual(await outcomes(d.id), [
      ['InternalServerError', 500], ['ServiceUnavailable', 503], ['sent', 200],
      ['ServiceUnavailable', 503], ['ServiceUnavailable', 503], ['ServiceUnavailable', 503],
    ]);
  });

  test('GOAWAY: the provider reconnects and later pushes go through', async () => {
    const d = await enrollPushable(store);
    assert.equal((await pusher.push([d.id]))[0].ok, true);
    const before = pusher.connects;
    fake.goaway('Shutdown');
    await new Promise((r) => setTimeout(r, 50));
    const [r] = await pusher.push([d.id]);
    assert.equal(r.ok, true);
    assert.equal(pusher.connects, before + 1);
    assert.ok(log.lines.some((l) => l.msg.includes('GOAWAY') && l.reason === 'Shutdown'));
  });

  test('GOAWAY in the middle of a burst: every push still gets through', async () => {
    const devices = await Promise.all(Array.from({ length: 40 }, () => enrollPushable(store)));
    const burst = pusher.push(devices.map((d) => d.id));
    setImmediate(() => fake.goaway());
    const results = await burst;
    assert.deepEqual(results.filter((r) => !r.ok), []);
  });

  test('many enrollments in one call share one session; unknown ids get no_token', async () => {
    const devices = await Promise.all(Array.from({ length: 100 }, () => enrollPushable(store)));
    const before = pusher.connects;
    const results = await pusher.push([...devices.map((d) => d.id), 'NOT-ENROLLED']);
    assert.equal(results.filter((r) => r.ok).length, 100);
    assert.deepEqual(results.at(-1), { id: 'NOT-ENROLLED', ok: false, outcome: 'no_token', error: results.at(-1)?.error });
    assert.equal(pusher.connects, before);
  });

  test('a certificate APNs does not trust fails the TLS handshake and is surfaced', async () => {
    const other = await makeFakePushCert({ topic: TOPIC });
    const stranger = new ApnsPusher({
      store, cert: parsePushCertPem(other.certPem + other.keyPem), logger: pino({ level: 'silent' }),
      url: fake.url, ca: fake.ca, retries: 1, retryDelayMs: 5,
    });
    try {
      const d = await enrollPushable(store);
      const [r] = await stranger.push([d.id]);
      assert.equal(r.ok, false);
      assert.ok(stranger.problem, 'certificate problem surfaced');
      assert.equal((await store.listPushes(d.id)).length, 2, 'both attempts logged');
      assert.equal(fake.pushes({ token: d.token }).length, 0);
    } finally {
      await stranger.close();
    }
  });
});
