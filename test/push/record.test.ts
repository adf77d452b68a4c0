// What one push batch leaves in the store (push/record.ts, store.recordPushes): its push-log rows and
// its push events, in one commit and all or nothing; a caller that joins a push in flight records its
// event after it; a failing write loses neither the push nor the outcome its caller is told; a pusher
// without a certificate writes the events and no log; the re-push worker's pushes are logged with no
// events. Real store, provider and fake APNs, on the backend named by UPDRAFT_TEST_DB.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { EventInput, PushLogInput, Store } from '../../src/storage/types.js';
import { ApnsPusher } from '../../src/push/apns.js';
import type { PushCertificate } from '../../src/push/cert.js';
import type { FakeApns } from '../../src/push/fake-apns.js';
import { createPusher } from '../../src/push/index.js';
import { startRepushWorker } from '../../src/push/repush.js';
import { pushEnrollments } from '../../src/service/enqueue.js';
import { openTestStore, testDbLabel } from '../helpers/store.js';
import { captureLog, enrollPushable, fakeApnsWithCert } from './helpers.js';

const HOUR = 3_600_000;
const COMMAND = (uuid: string) =>
  Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>Command</key><dict><key>RequestType</key><string>DeviceInformation</string></dict><key>CommandUUID</key><string>${uuid}</string></dict></plist>`);

describe(`a push batch's record (${testDbLabel})`, () => {
  let store: Store;
  let fake: FakeApns;
  let cert: PushCertificate;
  const log = captureLog();
  const pushers: { close(): Promise<void> }[] = [];

  before(async () => {
    store = await openTestStore();
    ({ fake, cert } = await fakeApnsWithCert({ wakeChannel: false }));
  });
  after(async () => {
    for (const p of pushers) await p.close();
    await fake.close();
    await store.close();
  });

  /** A provider over `s` (the test store, or a wrapper of it). */
  function apnsOver(s: Store): ApnsPusher {
    const p = new ApnsPusher({ store: s, cert, logger: log.logger, url: fake.url, ca: fake.ca, retries: 0 });
    pushers.push(p);
    return p;
  }

  /** The test store, each recordPushes call noted as [log rows, events]. */
  function counted(calls: Array<[number, number]>): Store {
    return { ...store, recordPushes: (l: PushLogInput[], e?: EventInput[]) => (calls.push([l.length, e?.length ?? 0]), store.recordPushes(l, e)) };
  }

  const pushEvents = async (id: string) =>
    (await store.listEvents({ enrollmentId: id, kindPrefix: 'push.' })).map((e) => ({ kind: e.kind, detail: e.detail, at: e.at.getTime() }));

  test('a batch\'s log rows and its events are written together, in one store call, with today\'s rows', async () => {
    const a = await enrollPushable(store);
    const b = await enrollPushable(store);
    const gone = `GONE-${randomUUID()}`;
    fake.respond(b.token, { status: 400, reason: 'BadTopic' });
    const calls: Array<[number, number]> = [];
    const at = new Date('2026-05-01T10:00:00Z');
    const [sent, refused, none] = await pushEnrollments({ store: counted(calls), pusher: apnsOver(counted(calls)) }, [a.id, b.id, gone], at);
    assert.deepEqual(calls, [[2, 3]], 'one commit: two APNs attempts, three events');

    assert.equal(sent?.ok, true);
    assert.deepEqual((await store.listPushes(a.id)).map((p) => [p.outcome, p.httpStatus, p.apnsId]), [['sent', 200, sent!.apnsId]]);
    assert.deepEqual(await pushEvents(a.id), [{ kind: 'push.sent', detail: { outcome: 'sent', apnsId: sent!.apnsId, error: null }, at: at.getTime() }]);

    assert.deepEqual([refused?.ok, refused?.outcome], [false, 'BadTopic']);
    assert.deepEqual((await store.listPushes(b.id)).map((p) => [p.outcome, p.httpStatus]), [['BadTopic', 400]]);
    assert.deepEqual(await pushEvents(b.id), [
      { kind: 'push.failed', detail: { outcome: 'BadTopic', apnsId: refused!.apnsId ?? null, error: 'APNs answered 400 BadTopic' }, at: at.getTime() },
    ]);

    assert.equal(none?.outcome, 'no_token');
    assert.deepEqual(await store.listPushes(gone), [], 'no APNs attempt, no log row');
    assert.deepEqual(await pushEvents(gone), [{ kind: 'push.failed', detail: { outcome: 'no_token', apnsId: null, error: none!.error }, at: at.getTime() }]);
  });

  test('an enqueue that joins a push in flight (the re-push worker\'s) records its event after it', async () => {
    const d = await enrollPushable(store);
    const calls: Array<[number, number]> = [];
    const apns = apnsOver(counted(calls));
    const worker = apns.push([d.id]); // in flight from here: the enqueue's push joins it
    const at = new Date('2026-05-01T11:00:00Z');
    const joined = pushEnrollments({ store, pusher: apns }, [d.id], at);
    const [[first], [second]] = await Promise.all([worker, joined]);
    assert.deepEqual(second, first, 'the outcome of the one push');
    assert.equal(fake.pushes({ token: d.token }).length, 1);
    assert.deepEqual(calls, [[1, 0], [0, 1]], 'the push\'s log, then the joiner\'s event');
    assert.deepEqual(await pushEvents(d.id), [{ kind: 'push.sent', detail: { outcome: 'sent', apnsId: first!.apnsId, error: null }, at: at.getTime() }]);
  });

  test('the store writes a batch all or nothing', async () => {
    const d = await enrollPushable(store);
    const at = new Date();
    const row: PushLogInput = { enrollmentId: d.id, outcome: 'sent', httpStatus: 200, apnsId: randomUUID(), at };
    const bad: EventInput = { enrollmentId: d.id, kind: null as unknown as string, at }; // kind is NOT NULL
    await assert.rejects(store.recordPushes([row], [{ enrollmentId: d.id, kind: 'push.sent', at }, bad]));
    assert.deepEqual(await store.listPushes(d.id), [], 'the log row is rolled back with the failed event');
    assert.deepEqual(await pushEvents(d.id), []);
  });

  test('a failing write is logged; the push went out and its outcome still reaches the caller', async () => {
    const d = await enrollPushable(store);
    const failing: Store = { ...store, recordPushes: async () => { throw new Error('disk full'); } };
    const [outcome] = await pushEnrollments({ store: failing, pusher: apnsOver(failing) }, [d.id], new Date());
    assert.deepEqual([outcome?.ok, outcome?.outcome], [true, 'sent']);
    assert.equal(typeof outcome?.apnsId, 'string');
    assert.equal(fake.pushes({ token: d.token }).length, 1, 'APNs got the push');
    const line = log.lines.find((l) => l.msg === 'cannot record push attempts');
    assert.ok(line && line.level === 50, 'logged as an error');
    assert.deepEqual([line.attempts, line.events], [1, 1]);
    assert.deepEqual(await store.listPushes(d.id), []);
    assert.deepEqual(await pushEvents(d.id), []);
  });

  test('without a push certificate: the events as before, no push log', async () => {
    const pusher = await createPusher({ store, config: { apnsUrl: fake.url, apnsCa: null }, logger: log.logger });
    pushers.push(pusher);
    assert.equal(pusher.configured, false);
    const d = await enrollPushable(store);
    const at = new Date('2026-05-02T10:00:00Z');
    const [outcome] = await pushEnrollments({ store, pusher }, [d.id], at);
    assert.equal(outcome?.outcome, 'not_configured');
    assert.deepEqual(await pushEvents(d.id), [
      { kind: 'push.failed', detail: { outcome: 'not_configured', apnsId: null, error: 'push is not configured: import a push certificate' }, at: at.getTime() },
    ]);
    assert.deepEqual(await store.listPushes(d.id), []);
  });

  test('the re-push worker\'s pushes are logged, with no events', async () => {
    const now = Date.now();
    const d = await enrollPushable(store, new Date(now - 2 * HOUR));
    await store.enqueue({ uuid: randomUUID(), requestType: 'DeviceInformation', raw: COMMAND(randomUUID()), at: new Date(now - 2 * HOUR) }, [d.id]);
    const calls: Array<[number, number]> = [];
    const worker = startRepushWorker({ store, pusher: apnsOver(counted(calls)), interval: HOUR, logger: log.logger, checkEvery: 3_600_000 });
    try {
      assert.ok((await worker.runOnce()) >= 1);
    } finally {
      await worker.stop();
    }
    assert.deepEqual((await store.listPushes(d.id)).map((p) => p.outcome), ['sent']);
    assert.ok(calls.every(([, events]) => events === 0), 'no events asked for');
    assert.deepEqual(await pushEvents(d.id), []);
  });
});
