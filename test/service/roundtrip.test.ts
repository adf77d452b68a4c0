// The result round trip through HTTP with the webhook middleware: the result, its event and its
// mdm.Connect webhook event are one commit. If the webhook event cannot be written, the device gets a
// 500 (never 401), nothing of the result is kept and the command stays queued, so the device's
// retry of the same result lands whole; a receiver is never told of a result the server lost, nor
// the reverse.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { commandOf, queueCommand, TestDevice } from '../helpers/device.js';
import type { Database } from '../../src/storage/schema.js';
import type { Store } from '../../src/storage/types.js';
import { webhookMiddleware } from '../../src/webhook/index.js';
import { failInserts, storeWithSecondConnection } from '../storage/setup.js';

let srv: TestServer;
let store: Store;
let other: Kysely<Database>;
let close: () => Promise<void>;
before(async () => {
  ({ store, other, close } = await storeWithSecondConnection());
  srv = await startTestServer({ store, middlewares: (s) => [webhookMiddleware(s)] });
});
after(async () => {
  await srv.close();
  await close();
});

const connectEvents = async (uuid: string) =>
  (await other.selectFrom('outbox').select('body').where('topic', '=', 'mdm.Connect').orderBy('id').execute())
    .map((r) => JSON.parse(r.body) as { acknowledge_event: { status: string; command_uuid: string } })
    .filter((e) => e.acknowledge_event.command_uuid === uuid)
    .map((e) => e.acknowledge_event.status);

test('a result whose webhook event cannot be committed is not kept either; the retry lands whole', async () => {
  const d = new TestDevice(srv.url, { ids: { UDID: 'RT-1' } });
  await d.enroll();
  const uuid = await queueCommand(store, ['RT-1'], 'DeviceInformation', { Queries: ['OSVersion'] });
  const next = await queueCommand(store, ['RT-1'], 'ProfileList');
  assert.equal(commandOf(await d.idle())?.uuid, uuid);

  const restore = await failInserts(other, store.dialect, 'outbox', 'body', uuid);
  let failed: Awaited<ReturnType<TestDevice['result']>>;
  try {
    failed = await d.result('Acknowledged', uuid, { QueryResponses: { OSVersion: '15.1' } });
  } finally {
    await restore();
  }
  assert.equal(failed.status, 500);
  const [cmd] = await store.getCommand(uuid, 'RT-1');
  assert.deepEqual([cmd?.status, cmd?.resultJson], ['queued', null]);
  assert.deepEqual(await store.listEvents({ enrollmentId: 'RT-1', kindPrefix: 'command.' }), []);
  assert.deepEqual(await connectEvents(uuid), []);

  const retry = await d.result('Acknowledged', uuid, { QueryResponses: { OSVersion: '15.1' } });
  assert.equal(retry.status, 200);
  assert.equal(commandOf(retry)?.uuid, next, 'the answer to the result is the next command');
  const [done] = await store.getCommand(uuid, 'RT-1');
  assert.equal(done?.status, 'acknowledged');
  assert.deepEqual((done?.resultJson as { QueryResponses: unknown }).QueryResponses, { OSVersion: '15.1' });
  assert.deepEqual((await store.listEvents({ enrollmentId: 'RT-1', kindPrefix: 'command.' })).map((e) => e.kind), ['command.Acknowledged']);
  assert.deepEqual(await connectEvents(uuid), ['Acknowledged']);
});
