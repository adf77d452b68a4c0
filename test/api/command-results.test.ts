// GET /v1/commands/{uuid}/results serves each result three ways: `result` (the stored JSON, unchanged),
// `result_raw` (the plist the device sent) and `result_typed` (read against Apple's response schema, with
// the OS update shapes and explained errors). Through a real server, on the test store's backend.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { COMMAND_CONTENT_TYPE, TestDevice, commandOf, put } from '../helpers/device.js';
import { seedAvailable, seedError74 } from '../helpers/seed-blog.js';
import { RecordingPusher, call } from './helpers.js';

let server: TestServer;
let mac: TestDevice;
const MAC = 'RESULTS0-1111-2222-3333-444455556666';

before(async () => {
  server = await startTestServer({ pusher: new RecordingPusher() });
  mac = new TestDevice(server.url, { ids: { UDID: MAC } });
  await mac.authenticate({ OSVersion: '10.13.6', Model: 'MacBookPro14,1', ProductName: 'MacBookPro14,1', SerialNumber: 'C02RES' });
  await mac.tokenUpdate();
});
after(async () => server.close());

/** Queues a command, lets the device fetch it and PUT `answer(uuid)`; returns the results route's entry. */
async function roundTrip(command: Record<string, unknown>, answer: (uuid: string) => Buffer) {
  const q = await call(server.url, 'POST', '/v1/enqueue', { ids: [MAC], command });
  assert.equal(q.status, 200, q.text);
  const uuid: string = q.json.command_uuid;
  assert.equal(commandOf(await mac.idle())?.uuid, uuid);
  const sent = answer(uuid);
  const res = await put(server.url + '/mdm', sent, COMMAND_CONTENT_TYPE);
  assert.equal(res.status, 200);
  const r = await call(server.url, 'GET', `/v1/commands/${uuid}/results`);
  assert.equal(r.status, 200);
  return { entry: r.json.enrollments[0], sent };
}

test('AvailableOSUpdates: the existing fields unchanged, the raw plist, and the typed updates', async () => {
  const { entry, sent } = await roundTrip({ request_type: 'AvailableOSUpdates' }, (uuid) => seedAvailable(uuid, MAC));
  assert.deepEqual(Object.keys(entry), [
    'enrollment_id', 'command_uuid', 'request_type', 'status', 'priority', 'not_now_tally', 'not_now_at', 'created_at', 'updated_at',
    'expires_at', 'sent_at', 'result_at', 'result', 'result_raw', 'result_typed',
  ]);
  assert.equal(entry.status, 'acknowledged');
  assert.equal(entry.result.AvailableOSUpdates[1].ProductKey, '_OSX_18A391', 'result is the whole plist as JSON, as before');
  assert.equal(entry.result.AvailableOSUpdates[1].DownloadSize, 12000000000);
  assert.deepEqual(Buffer.from(entry.result_raw, 'base64'), sent);

  const typed = entry.result_typed;
  assert.equal(typed.request_type, 'AvailableOSUpdates');
  assert.equal(typed.status, 'Acknowledged');
  const mojave = typed.response.available_os_updates[1];
  assert.deepEqual([mojave.product_key, mojave.version, mojave.build, mojave.download_size, mojave.is_major_os_update], ['_OSX_18A391', null, '18A391', 12000000000, true]);
  assert.deepEqual(typed.warnings, ['AvailableOSUpdates[0].Build: required key missing']);
});

test('ScheduleOSUpdate refused with 74: the error chain explained', async () => {
  const { entry } = await roundTrip(
    { request_type: 'ScheduleOSUpdate', updates: [{ product_key: '_OSX_18A391', install_action: 'InstallASAP' }] },
    (uuid) => seedError74(uuid, MAC),
  );
  assert.equal(entry.status, 'error');
  assert.equal(entry.result.ErrorChain[0].ErrorCode, 74);
  const [err] = entry.result_typed.error_chain;
  assert.equal(err.code, 74);
  assert.equal(err.domain, 'MDMClientError');
  assert.match(err.explanation, /Automated Device Enrollment/);
  assert.equal(entry.result_typed.response, null);
});

test('a command not yet answered has no result in any form', async () => {
  const q = await call(server.url, 'POST', '/v1/enqueue', { ids: [MAC], command: { request_type: 'OSUpdateStatus' }, nopush: true });
  const r = await call(server.url, 'GET', `/v1/commands/${q.json.command_uuid}/results`);
  const [entry] = r.json.enrollments;
  assert.equal(entry.status, 'queued');
  assert.deepEqual([entry.result, entry.result_raw, entry.result_typed], [null, null, null]);
  await call(server.url, 'DELETE', `/v1/enrollments/${MAC}/queue`);
});
