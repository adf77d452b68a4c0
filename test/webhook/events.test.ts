// Webhook event bodies, as delivered to a receiver, checked field by field against NanoMDM's fixtures
// and its JSON Schema (service_webhook_event.json).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TestDevice, put, CHECKIN_CONTENT_TYPE, COMMAND_CONTENT_TYPE } from '../helpers/device.js';
import { fixture } from '../helpers/fixtures.js';
import { webhookMiddleware, startWebhookWorker, type WebhookWorker } from '../../src/webhook/index.js';
import { buildPlist } from '../../src/plist/index.js';
import { startReceiver, type Receiver } from './receiver.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ajv = new Ajv2020({ strict: false });
const validateEvent = ajv.compile(JSON.parse(fixture('nanomdm/service_webhook_event.json').toString()));
const SECRET = 'hook-secret';
const FIXTURE_UDID = '66ADE930-5FDF-5EC4-8429-15640684C489';

let server: TestServer;
let receiver: Receiver;
let worker: WebhookWorker;

before(async () => {
  receiver = await startReceiver();
  server = await startTestServer({ middlewares: (store) => [webhookMiddleware(store)] });
  worker = startWebhookWorker({ store: server.store, url: receiver.url, secret: SECRET, pollMs: 20 });
});
after(async () => {
  await worker.stop();
  await server.close();
  await receiver.close();
});

/** The next delivered event, checked against the JSON Schema and the HMAC header. */
async function nextEvent(): Promise<Json> {
  const n = receiver.received.length + 1;
  await receiver.waitFor(n);
  const got = receiver.received[n - 1]!;
  assert.equal(got.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal(got.headers['x-hmac-signature'], createHmac('sha256', SECRET).update(got.body).digest('base64'));
  const ev = JSON.parse(got.body) as Json;
  assert.ok(validateEvent(ev), JSON.stringify(validateEvent.errors));
  assert.match(ev.event_id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.ok(Math.abs(Date.parse(ev.created_at) - Date.now()) < 60_000, 'created_at is an RFC 3339 time of now');
  return ev;
}

test('mdm.Authenticate: the fixture event, field by field', async () => {
  const want = JSON.parse(fixture('nanomdm/service_webhook_testdata_Authenticate.2.json').toString()) as Json;
  const reply = await put(`${server.url}/mdm?org=acme`, fixture('nanomdm/mdm_testdata_Authenticate.2.plist'), CHECKIN_CONTENT_TYPE);
  assert.equal(reply.status, 200);
  const ev = await nextEvent();
  assert.equal(ev.topic, want.topic);
  assert.deepEqual(Object.keys(ev).sort(), Object.keys(want).sort());
  const { url_params, ...rest } = ev.checkin_event as Json;
  assert.deepEqual(rest, want.checkin_event, 'udid, ids and raw_payload as NanoMDM sends them');
  assert.deepEqual(url_params, { org: 'acme' });
});

test('mdm.TokenUpdate carries token_update_tally; the other check-in topics are sent too', async () => {
  const device = new TestDevice(server.url, { ids: { UDID: FIXTURE_UDID } });
  await device.tokenUpdate();
  let ev = await nextEvent();
  assert.equal(ev.topic, 'mdm.TokenUpdate');
  assert.equal(ev.checkin_event.token_update_tally, 1);
  assert.equal(ev.checkin_event.udid, FIXTURE_UDID);
  await device.tokenUpdate();
  assert.equal((await nextEvent()).checkin_event.token_update_tally, 2);
  await device.checkin('SetBootstrapToken', { BootstrapToken: Buffer.from('token') });
  ev = await nextEvent();
  assert.equal(ev.topic, 'mdm.SetBootstrapToken');
  assert.equal(ev.checkin_event.token_update_tally, undefined);
});

test('mdm.Connect for a DeviceInformation result: the fixture event, field by field', async () => {
  const want = JSON.parse(fixture('nanomdm/service_webhook_testdata_DeviceInformation.1.json').toString()) as Json;
  const uuid = want.acknowledge_event.command_uuid as string;
  const command = buildPlist({ CommandUUID: uuid, Command: { RequestType: 'DeviceInformation', Queries: ['HostName', 'UDID'] } });
  await server.store.enqueue({ uuid, requestType: 'DeviceInformation', raw: Buffer.from(command), at: new Date() }, [FIXTURE_UDID]);
  const reply = await put(`${server.url}/mdm`, fixture('nanomdm/mdm_testdata_DeviceInformation.1.plist'), COMMAND_CONTENT_TYPE);
  assert.equal(reply.status, 200);
  const ev = await nextEvent();
  assert.equal(ev.topic, 'mdm.Connect');
  assert.deepEqual(Object.keys(ev).sort(), Object.keys(want).sort());
  assert.deepEqual(ev.acknowledge_event, want.acknowledge_event);
});

test('Idle is an mdm.Connect with status Idle and an empty command_uuid (as MicroMDM); user channels carry parent_id', async () => {
  const user = new TestDevice(server.url, { ids: { UDID: FIXTURE_UDID, UserID: 'USER-1', UserShortName: 'amy', UserLongName: 'Amy' } });
  await user.tokenUpdate();
  const tu = await nextEvent();
  assert.deepEqual(tu.checkin_event.ids, { id: `${FIXTURE_UDID}:USER-1`, type: 'User', parent_id: FIXTURE_UDID });
  await user.idle();
  const ev = await nextEvent();
  assert.equal(ev.acknowledge_event.status, 'Idle');
  assert.equal(ev.acknowledge_event.command_uuid, '');
  assert.equal(ev.acknowledge_event.udid, FIXTURE_UDID);
});

test('User Enrollment: enrollment_id instead of udid', async () => {
  const ue = new TestDevice(server.url, { ids: { EnrollmentID: 'ENROLL-1' } });
  await ue.authenticate();
  const ev = await nextEvent();
  assert.equal(ev.checkin_event.enrollment_id, 'ENROLL-1');
  assert.equal(ev.checkin_event.udid, undefined);
  assert.equal(ev.checkin_event.ids.type, 'User Enrollment (Device)');
});
