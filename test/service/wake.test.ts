// The rule of service/wake.ts, case by case, over a real store and HTTP: an observer that queues while a
// device's result is handled adds to the request's wakes; the reporting device is never pushed (its
// answer carries a command: the one queued before, or the new one, even after a NotNow), another
// enrollment is pushed once, and a request that fails after queueing still pushes.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { buildPlist } from '../../src/plist/index.js';
import { recordPushBatch } from '../../src/push/record.js';
import type { Pusher, PushOutcome } from '../../src/push/types.js';
import { compose } from '../../src/service/compose.js';
import { createCoreService } from '../../src/service/core.js';
import { enqueueCommand } from '../../src/service/enqueue.js';
import type { Observer, ResultSeen } from '../../src/service/observers.js';
import { ServiceError, type MdmMiddleware } from '../../src/service/types.js';
import { wakeOnce } from '../../src/service/wake.js';
import type { Store } from '../../src/storage/types.js';
import { commandOf, queueCommand, TestDevice } from '../helpers/device.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Records each push() call (the rule under test; the fake APNs behind a real pusher is wake-once.test.ts's),
 * and the push events asked for as the real pushers do.
 */
const calls: string[][] = [];
const pusher: Pusher = {
  configured: true,
  async push(ids, opts = {}) {
    calls.push(ids);
    const outcomes = ids.map((id): PushOutcome => ({ id, ok: true, outcome: 'sent', apnsId: randomUUID() }));
    if (opts.events) await recordPushBatch({ store: srv.store, logger: srv.app.log }, [], outcomes, opts.events);
    return outcomes;
  },
  async close() {},
};

/** What the observer queues on a result: for whom (by the reporting id), and the command's request type. */
let onResult: ((e: ResultSeen) => string[]) | null = null;
let failCheckin = false;
let srv: TestServer;

function observer(store: Store): Observer {
  return {
    async result(e) {
      const ids = onResult?.(e) ?? [];
      if (ids.length === 0) return;
      const uuid = randomUUID();
      const xml = Buffer.from(buildPlist({ CommandUUID: uuid, Command: { RequestType: 'ProfileList' } }));
      await enqueueCommand({ store, pusher, wakes: e.wakes }, { uuid, requestType: 'ProfileList', xml, ids });
    },
    async checkin(e) {
      if (e.messageType !== 'TokenUpdate' || !failCheckin) return;
      const uuid = randomUUID();
      const xml = Buffer.from(buildPlist({ CommandUUID: uuid, Command: { RequestType: 'ProfileList' } }));
      await enqueueCommand({ store, pusher, wakes: e.wakes }, { uuid, requestType: 'ProfileList', xml, ids: [e.enrollmentId] });
    },
  };
}

/** Fails a TokenUpdate after the core (and its observer) are done, when asked. */
const failing: MdmMiddleware = (next) => ({
  report: (r, meta) => next.report(r, meta),
  async checkin(msg, meta) {
    const reply = await next.checkin(msg, meta);
    if (failCheckin && msg.messageType === 'TokenUpdate') throw new ServiceError(500, 'failed after the follow-ups');
    return reply;
  },
});

before(async () => {
  srv = await startTestServer({
    pusher,
    service: (store) => compose(createCoreService({ store, observers: [observer(store)] }), wakeOnce({ store, pusher }), failing),
  });
});
after(async () => {
  await srv?.close();
});
beforeEach(() => {
  calls.length = 0;
  onResult = null;
  failCheckin = false;
});

async function enrolled(): Promise<{ id: string; d: TestDevice }> {
  const id = `WAKE-${randomUUID().toUpperCase()}`;
  const d = new TestDevice(srv.url, { ids: { UDID: id } });
  await d.enroll();
  return { id, d };
}

test('a result whose observer queues for the same device: no push, the empty answer carries the command', async () => {
  const { id, d } = await enrolled();
  const first = await queueCommand(srv.store, [id], 'DeviceInformation');
  assert.equal(commandOf(await d.idle())?.uuid, first);
  onResult = (e) => [e.enrollmentId];
  const answer = commandOf(await d.result('Acknowledged', first));
  assert.equal(answer?.requestType, 'ProfileList');
  assert.deepEqual(calls, []);
  assert.equal((await srv.store.listEvents({ enrollmentId: id, kindPrefix: 'push.' })).length, 0);
});

test('an answer that already carries a command: the new one waits for the device\'s next result, no push', async () => {
  const { id, d } = await enrolled();
  const first = await queueCommand(srv.store, [id], 'DeviceInformation');
  const second = await queueCommand(srv.store, [id], 'SecurityInfo');
  assert.equal(commandOf(await d.idle())?.uuid, first);
  onResult = (e) => [e.enrollmentId];
  assert.equal(commandOf(await d.result('Acknowledged', first))?.uuid, second);
  onResult = null;
  assert.equal(commandOf(await d.result('Acknowledged', second))?.requestType, 'ProfileList');
  assert.deepEqual(calls, []);
});

test('after a NotNow the new command is handed, not the NotNow\'d one', async () => {
  const { id, d } = await enrolled();
  const busy = await queueCommand(srv.store, [id], 'DeviceInformation');
  assert.equal(commandOf(await d.idle())?.uuid, busy);
  onResult = (e) => [e.enrollmentId];
  const answer = commandOf(await d.result('NotNow', busy));
  assert.equal(answer?.requestType, 'ProfileList');
  onResult = null;
  assert.equal(commandOf(await d.result('Acknowledged', answer.uuid)), null, 'the NotNow\'d command waits for the next Idle');
  assert.equal(commandOf(await d.idle())?.uuid, busy);
  assert.deepEqual(calls, []);
});

test('a result that queues for other enrollments pushes each of them once, in one call with one commit', async () => {
  const { id, d } = await enrolled();
  const a = await enrolled();
  const b = await enrolled();
  const first = await queueCommand(srv.store, [id], 'DeviceInformation');
  assert.equal(commandOf(await d.idle())?.uuid, first);
  onResult = () => [a.id, b.id];
  assert.equal(commandOf(await d.result('Acknowledged', first)), null);
  assert.deepEqual(calls, [[a.id, b.id]]);
  for (const other of [a.id, b.id]) assert.equal((await srv.store.listEvents({ enrollmentId: other, kindPrefix: 'push.' })).length, 1);
});

test('a check-in that fails after its follow-ups queued still pushes the device once', async () => {
  failCheckin = true;
  const id = `WAKE-${randomUUID().toUpperCase()}`;
  const d = new TestDevice(srv.url, { ids: { UDID: id } });
  assert.equal((await d.authenticate()).status, 200);
  assert.equal((await d.tokenUpdate()).status, 500);
  assert.deepEqual(calls, [[id]]);
});
