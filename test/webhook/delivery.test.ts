// Webhook delivery: retries with exponential backoff, a dead or hanging receiver never slows device
// traffic, and undelivered events survive a worker restart.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TestDevice } from '../helpers/device.js';
import { webhookMiddleware, startWebhookWorker, backoffDelay } from '../../src/webhook/index.js';
import { startReceiver } from './receiver.js';

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function webhookServer(): Promise<TestServer> {
  const s = await startTestServer({ middlewares: (store) => [webhookMiddleware(store)] });
  servers.push(s);
  return s;
}

test('backoff: doubles from the base, capped, jittered within [half, full]', () => {
  assert.equal(backoffDelay(1, 1000, 3600e3, () => 1), 1000);
  assert.equal(backoffDelay(2, 1000, 3600e3, () => 1), 2000);
  assert.equal(backoffDelay(5, 1000, 3600e3, () => 1), 16000);
  assert.equal(backoffDelay(5, 1000, 3600e3, () => 0), 8000);
  assert.equal(backoffDelay(30, 1000, 3600e3, () => 1), 3600e3);
  assert.equal(backoffDelay(500, 1000, 3600e3, () => 0), 1800e3);
});

test('a receiver that fails first: retried with growing delays until it answers 2xx, then marked done', async () => {
  const server = await webhookServer();
  const receiver = await startReceiver((n) => (n <= 3 ? 503 : 200));
  const worker = startWebhookWorker({ store: server.store, url: receiver.url, pollMs: 10, backoffBaseMs: 60 });
  try {
    await new TestDevice(server.url, { ids: { UDID: 'RETRY-1' } }).authenticate();
    await receiver.waitFor(4);
    const at = receiver.received.map((r) => r.at);
    assert.ok(receiver.received.every((r) => r.body === receiver.received[0]!.body), 'the same event each time');
    const gaps = [at[1]! - at[0]!, at[2]! - at[1]!, at[3]! - at[2]!];
    assert.ok(gaps[0]! >= 30, `first retry waits ≥ base/2 (${gaps})`);
    assert.ok(gaps[2]! >= 120, `third retry waits ≥ 4·base/2 (${gaps})`);
    await waitUntil(async () => (await server.store.outboxPending()) === 0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(receiver.received.length, 4, 'not delivered again once done');
  } finally {
    await worker.stop();
    await receiver.close();
  }
});

test('a hanging receiver does not slow check-ins; the event waits in the outbox', async () => {
  const server = await webhookServer();
  const receiver = await startReceiver(() => 'hang');
  const worker = startWebhookWorker({ store: server.store, url: receiver.url, pollMs: 10, timeoutMs: 60_000 });
  try {
    const device = new TestDevice(server.url, { ids: { UDID: 'SLOW-1' } });
    await device.enroll();
    await receiver.waitFor(1);
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) assert.equal((await device.idle()).status, 200);
    const elapsed = performance.now() - t0;
    // The worker is stuck on its first delivery (60 s timeout) the whole time: no check-in waited for it.
    assert.equal(receiver.received.length, 1, 'the first delivery is still hanging');
    assert.ok(elapsed < 20_000, `20 Idle check-ins took ${elapsed.toFixed(0)} ms while the receiver hangs`);
    assert.ok((await server.store.outboxPending()) >= 22);
  } finally {
    const t0 = performance.now();
    await worker.stop();
    assert.ok(performance.now() - t0 < 1000, 'stop() aborts the hanging delivery');
    await receiver.close();
  }
});

test('a dead receiver (connection refused): events are kept and delivered by a later worker, once each', async () => {
  const server = await webhookServer();
  const dead = await startReceiver();
  const deadUrl = dead.url;
  await dead.close();
  const first = startWebhookWorker({ store: server.store, url: deadUrl, pollMs: 10, backoffBaseMs: 10, backoffMaxMs: 20 });
  const device = new TestDevice(server.url, { ids: { UDID: 'DEAD-1' } });
  await device.enroll();
  await device.idle();
  await new Promise((resolve) => setTimeout(resolve, 200));
  await first.stop();
  assert.equal(await server.store.outboxPending(), 3);

  const receiver = await startReceiver();
  const second = startWebhookWorker({ store: server.store, url: receiver.url, pollMs: 10, backoffBaseMs: 10, backoffMaxMs: 20 });
  try {
    await receiver.waitFor(3);
    await waitUntil(async () => (await server.store.outboxPending()) === 0);
    const topics = receiver.received.map((r) => (JSON.parse(r.body) as { topic: string }).topic);
    assert.deepEqual(topics.sort(), ['mdm.Authenticate', 'mdm.Connect', 'mdm.TokenUpdate']);
  } finally {
    await second.stop();
    await receiver.close();
  }
});

test('enrollments are delivered to in parallel, each enrollment\'s events in order', async () => {
  const server = await webhookServer();
  const devices = ['ORDER-1', 'ORDER-2', 'ORDER-3', 'ORDER-4'].map((udid) => new TestDevice(server.url, { ids: { UDID: udid } }));
  await Promise.all(devices.map(async (d) => {
    await d.enroll();
    await d.idle();
    await d.checkin('CheckOut');
  }));
  const receiver = await startReceiver(() => 200, 30);
  const worker = startWebhookWorker({ store: server.store, url: receiver.url, pollMs: 10, concurrency: 4 });
  try {
    await receiver.waitFor(16);
    const events = receiver.received.map((r) => JSON.parse(r.body) as { topic: string; checkin_event?: { udid: string }; acknowledge_event?: { udid: string } });
    for (const udid of ['ORDER-1', 'ORDER-2', 'ORDER-3', 'ORDER-4']) {
      const topics = events.filter((e) => (e.checkin_event ?? e.acknowledge_event)!.udid === udid).map((e) => e.topic);
      assert.deepEqual(topics, ['mdm.Authenticate', 'mdm.TokenUpdate', 'mdm.Connect', 'mdm.CheckOut'], udid);
    }
    assert.ok(receiver.maxInFlight > 1, 'several enrollments at once');
  } finally {
    await worker.stop();
    await receiver.close();
  }
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
