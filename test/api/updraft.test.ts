// Updraft's own API: enrollments (filters), JSON enqueue, command status and parsed result, the queue
// (view, cancel one, clear), expiry, history pruning, and the OpenAPI document.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TestDevice, commandOf } from '../helpers/device.js';
import { fixture } from '../helpers/fixtures.js';
import { RecordingPusher, call } from './helpers.js';

let server: TestServer;
const pusher = new RecordingPusher();
const MAC = 'MAC00000-1111-2222-3333-444455556666';
const PHONE = 'PHONE000-1111-2222-3333-444455556666';
let mac: TestDevice;

before(async () => {
  server = await startTestServer({ pusher, config: { retentionDays: 30 } });
  mac = new TestDevice(server.url, { ids: { UDID: MAC } });
  await mac.authenticate({ OSVersion: '14.6.1', BuildVersion: '23G93', Model: 'MacBookPro18,3', ProductName: 'MacBookPro18,3', SerialNumber: 'C02MAC' });
  await mac.tokenUpdate();
  const phone = new TestDevice(server.url, { ids: { UDID: PHONE } });
  await phone.authenticate({ OSVersion: '17.5', ProductName: 'iPhone14,2', SerialNumber: 'F2PHONE' });
  await phone.tokenUpdate();
});
after(async () => server.close());

test('list enrollments with filters; get one; unknown is a 404', async () => {
  let r = await call(server.url, 'GET', '/v1/enrollments');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.enrollments.map((e: { id: string }) => e.id).sort(), [MAC, PHONE]);
  r = await call(server.url, 'GET', '/v1/enrollments?platform=macOS');
  assert.deepEqual(r.json.enrollments.map((e: { id: string }) => e.id), [MAC]);
  r = await call(server.url, 'GET', '/v1/enrollments?os_version=17.');
  assert.deepEqual(r.json.enrollments.map((e: { id: string }) => e.id), [PHONE]);
  r = await call(server.url, 'GET', '/v1/enrollments?seen_since=1h');
  assert.equal(r.json.enrollments.length, 2);
  r = await call(server.url, 'GET', '/v1/enrollments?seen_before=2000-01-01T00:00:00Z');
  assert.equal(r.json.enrollments.length, 0);
  r = await call(server.url, 'GET', '/v1/enrollments?limit=1&offset=1');
  assert.deepEqual([r.json.enrollments.length, r.json.limit, r.json.offset], [1, 1, 1]);

  r = await call(server.url, 'GET', `/v1/enrollments/${MAC}`);
  assert.equal(r.status, 200);
  assert.equal(r.json.serial_number, 'C02MAC');
  assert.equal(r.json.platform, 'macOS');
  assert.equal(r.json.os_version, '14.6.1');
  assert.equal(r.json.enabled, true);
  assert.equal(r.json.push_token_set, true);
  assert.equal(r.json.push_magic, undefined, 'PushMagic is not exposed');

  r = await call(server.url, 'GET', '/v1/enrollments/NOPE');
  assert.deepEqual([r.status, r.json.field], [404, 'id']);
});

test('bad filters name the field', async () => {
  for (const [q, field] of [['platform=Windows', 'platform'], ['seen_since=yesterday', 'seen_since'], ['limit=0', 'limit'], ['enabled=maybe', 'enabled']]) {
    const r = await call(server.url, 'GET', `/v1/enrollments?${q}`);
    assert.equal(r.status, 400, q);
    assert.equal(r.json.field, field, q);
    assert.ok(r.json.error.includes(field), r.json.error);
  }
});

test('JSON enqueue to many enrollments, then status and the parsed result by CommandUUID', async () => {
  let r = await call(server.url, 'POST', '/v1/enqueue', {
    ids: [MAC, PHONE, 'GHOST'],
    command: { request_type: 'DeviceInformation', queries: ['HostName', 'UDID'] },
    nopush: true,
  });
  assert.equal(r.status, 207);
  assert.equal(r.json.no_push, true);
  assert.deepEqual(Object.keys(r.json.status), ['GHOST']);
  const uuid: string = r.json.command_uuid;

  r = await call(server.url, 'GET', `/v1/commands/${uuid}/results`);
  assert.equal(r.status, 200);
  assert.equal(r.json.request_type, 'DeviceInformation');
  assert.deepEqual(r.json.enrollments.map((e: { status: string }) => e.status), ['queued', 'queued']);

  const cmd = commandOf(await mac.idle());
  assert.equal(cmd?.uuid, uuid);
  const ack = fixture('nanomdm/mdm_testdata_DeviceInformation.1.plist').toString()
    .replace('76eda240-5488-4989-8339-f2ae160113c4', uuid)
    .replaceAll('66ADE930-5FDF-5EC4-8429-15640684C489', MAC);
  const res = await fetch(server.url + '/mdm', { method: 'PUT', body: ack, headers: { 'content-type': 'application/x-apple-aspen-mdm' } });
  assert.equal(res.status, 200);

  r = await call(server.url, 'GET', `/v1/commands/${uuid}/results?enrollment_id=${MAC}`);
  assert.equal(r.json.enrollments.length, 1);
  const done = r.json.enrollments[0];
  assert.equal(done.status, 'acknowledged');
  assert.equal(done.result.QueryResponses.HostName, 'fruit.example.com');
  assert.ok(done.result_at && done.sent_at);

  r = await call(server.url, 'GET', '/v1/commands/00000000-0000-0000-0000-000000000000/results');
  assert.equal(r.status, 404);
});

test('JSON enqueue validates against Apple\'s schema and names the field', async () => {
  let r = await call(server.url, 'POST', '/v1/enqueue', { ids: [MAC], command: { request_type: 'ScheduleOSUpdate', updates: [{ install_action: 'InstallASAP', product_key: 7 }] } });
  assert.equal(r.status, 400);
  assert.equal(r.json.field, 'updates[0].product_key');
  r = await call(server.url, 'POST', '/v1/enqueue', { ids: [], command: { request_type: 'DeviceInformation' } });
  assert.deepEqual([r.status, r.json.field], [400, 'ids']);
  r = await call(server.url, 'POST', '/v1/enqueue', { ids: [MAC] });
  assert.deepEqual([r.status, r.json.field], [400, 'command']);
});

test('queue: view, cancel one, clear; cancelled commands are never sent', async () => {
  const enqueue = async (requestType: string) =>
    (await call(server.url, 'POST', '/v1/enqueue', { ids: [PHONE], command: { request_type: requestType }, nopush: true })).json.command_uuid as string;
  const first = await enqueue('ProfileList');
  const second = await enqueue('CertificateList');
  const third = await enqueue('SecurityInfo');

  let r = await call(server.url, 'GET', `/v1/enrollments/${PHONE}/queue`);
  const pending = r.json.commands.map((c: { command_uuid: string }) => c.command_uuid);
  assert.ok([first, second, third].every((u) => pending.includes(u)));

  r = await call(server.url, 'DELETE', `/v1/enrollments/${PHONE}/queue/${second}`);
  assert.deepEqual([r.status, r.json], [200, { cancelled: 1 }]);
  r = await call(server.url, 'DELETE', `/v1/enrollments/${PHONE}/queue/${second}`);
  assert.equal(r.status, 409, 'already cancelled');
  r = await call(server.url, 'DELETE', `/v1/enrollments/${PHONE}/queue/00000000-0000-0000-0000-000000000000`);
  assert.equal(r.status, 404);

  r = await call(server.url, 'GET', `/v1/enrollments/${PHONE}/queue?all=true`);
  assert.equal(r.json.commands.find((c: { command_uuid: string }) => c.command_uuid === second).status, 'cancelled');

  r = await call(server.url, 'DELETE', `/v1/enrollments/${PHONE}/queue`);
  assert.ok(r.json.cancelled >= 2);
  const phone = new TestDevice(server.url, { ids: { UDID: PHONE } });
  assert.equal((await phone.idle()).body.length, 0);
  assert.equal((await call(server.url, 'GET', `/v1/enrollments/NOPE/queue`)).status, 404);
});

test('an expired command is dropped, not sent', async () => {
  const r = await call(server.url, 'POST', '/v1/enqueue', { ids: [MAC], command: { request_type: 'ProfileList' }, nopush: true, expires_in: 1 });
  assert.equal(r.status, 200);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  assert.equal((await mac.idle()).body.length, 0);
  const status = await call(server.url, 'GET', `/v1/commands/${r.json.command_uuid}/results`);
  assert.equal(status.json.enrollments[0].status, 'expired');
});

test('prune history: explicit days, or the configured retention', async () => {
  let r = await call(server.url, 'POST', '/v1/prune', { older_than_days: 1 });
  assert.equal(r.status, 200);
  assert.equal(typeof r.json.commands, 'number');
  assert.equal(typeof r.json.statusHistory, 'number', 'DDM status history is pruned with the rest');
  r = await call(server.url, 'POST', '/v1/prune');
  assert.equal(r.status, 200);
  assert.ok(Date.parse(r.json.before) < Date.now() - 29 * 86400e3);
  r = await call(server.url, 'POST', '/v1/prune', { older_than_days: 0 });
  assert.deepEqual([r.status, r.json.field], [400, 'older_than_days']);
});

test('OpenAPI document lists the compatible and own routes with their parameters', async () => {
  const res = await fetch(server.url + '/v1/openapi.json');
  const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { parameters: { name: string; in: string }[]; security?: unknown[]; requestBody?: { content: Record<string, unknown> } }>> };
  assert.equal(doc.openapi, '3.1.0');
  for (const [path, method] of [
    ['/v1/enqueue/{ids}', 'put'], ['/v1/push/{ids}', 'get'], ['/v1/push/{ids}', 'post'], ['/v1/commands', 'post'],
    ['/v1/commands/{udid}', 'get'], ['/v1/commands/{udid}', 'post'], ['/v1/devices', 'post'], ['/push/{udid}', 'get'],
    ['/v1/enrollments', 'get'], ['/v1/enrollments/{id}', 'get'], ['/v1/commands/{uuid}/results', 'get'],
    ['/v1/enrollments/{id}/queue/{uuid}', 'delete'], ['/v1/enqueue', 'post'],
  ] as const) {
    assert.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path}`);
  }
  const list = doc.paths['/v1/enrollments']!.get!;
  assert.ok(list.parameters.some((p) => p.name === 'platform' && p.in === 'query'));
  assert.ok(doc.paths['/v1/enqueue/{ids}']!.put!.requestBody!.content['application/x-apple-aspen-mdm']);
  assert.deepEqual(doc.paths['/v1/openapi.json']!.get!.security, []);
});
