// State several server processes share through the database: a device's NotNow session holds
// whichever process its next request reaches, and a named lease is held by one process at a time,
// taken over when it expires and free again once dropped.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../src/storage/types.js';
import { openTestStores } from '../helpers/store.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { commandOf, queueCommand, TestDevice } from '../helpers/device.js';

let stores: Store[];
let nodes: TestServer[];
before(async () => {
  stores = await openTestStores(2);
  nodes = [await startTestServer({ store: stores[0] }), await startTestServer({ store: stores[1] })];
});
after(async () => {
  for (const n of nodes ?? []) await n.close();
  for (const s of stores ?? []) await s.close();
});

test('a NotNow on one node holds for the session when the next answer reaches another node', async () => {
  const [a, b] = nodes as [TestServer, TestServer];
  const onA = new TestDevice(a.url, { ids: { UDID: 'NODES-1' } });
  const onB = new TestDevice(b.url, { ids: { UDID: 'NODES-1' } });
  await onA.enroll();
  const first = await queueCommand(stores[0]!, ['NODES-1'], 'ProfileList');
  const second = await queueCommand(stores[1]!, ['NODES-1'], 'SecurityInfo');

  assert.equal(commandOf(await onA.idle())?.uuid, first);
  assert.equal(commandOf(await onA.result('NotNow', first))?.uuid, second, 'the NotNow answer brings the next command');
  const after = await onB.result('Acknowledged', second);
  assert.equal(after.status, 200);
  assert.equal(commandOf(after), null, 'the other node does not hand the NotNow\'d command back in the same session');
  assert.equal(commandOf(await onB.idle())?.uuid, first, 'a new session (Idle) gets it again, on either node');
  assert.equal(commandOf(await onA.result('Acknowledged', first)), null);
});

test('a named lease: one holder at a time, taken over at expiry, free once dropped', async () => {
  const [s1, s2] = stores as [Store, Store];
  const t0 = new Date('2026-01-01T00:00:00Z');
  const at = (s: number) => new Date(t0.getTime() + s * 1000);
  const [x, y] = await Promise.all([s1.takeLease('job', 'node-1', t0, at(30)), s2.takeLease('job', 'node-2', t0, at(30))]);
  assert.equal(Number(x) + Number(y), 1, 'exactly one of two racing nodes gets it');
  const holder = x ? 'node-1' : 'node-2';
  const other = x ? 'node-2' : 'node-1';
  assert.equal(await s2.takeLease('job', holder, at(10), at(40)), true, 'the holder renews');
  assert.equal(await s1.takeLease('job', other, at(39), at(60)), false, 'not before it expires');
  assert.equal(await s1.takeLease('job', other, at(41), at(70)), true, 'taken over once it expired (its holder died)');
  await s2.dropLease('job', holder); // not the holder any more: nothing happens
  assert.equal(await s1.takeLease('job', holder, at(42), at(70)), false);
  await s2.dropLease('job', other);
  assert.equal(await s1.takeLease('job', holder, at(43), at(70)), true, 'free once dropped');
});
