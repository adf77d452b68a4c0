// NanoMDM-compatible API, called as NanoMDM's tools call it: PUT /v1/enqueue/{ids} with a raw plist
// body (curl -T), GET|POST /v1/push/{ids}.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TestDevice, commandOf } from '../helpers/device.js';
import { fixture } from '../helpers/fixtures.js';
import { RecordingPusher, call } from './helpers.js';

let server: TestServer;
const pusher = new RecordingPusher();
const A = 'AAAA0000-1111-2222-3333-444455556666';
const B = 'BBBB0000-1111-2222-3333-444455556666';

/** An mdmb commands-sent plist with its CMDUUID placeholder replaced, as the enqueue scripts do. */
function commandPlist(name: string, uuid = randomUUID()): { uuid: string; body: Buffer } {
  return { uuid, body: Buffer.from(fixture(`mdmb/commands-sent/${name}`).toString('utf8').replace('CMDUUID', uuid)) };
}

before(async () => {
  server = await startTestServer({ pusher });
  pusher.recording = { store: server.store, logger: server.app.log };
  await new TestDevice(server.url, { ids: { UDID: A } }).enroll();
  await new TestDevice(server.url, { ids: { UDID: B } }).enroll();
});
after(async () => server.close());

test('enqueue to two devices with push: 200, push_result per id, the device picks the command up', async () => {
  const { uuid, body } = commandPlist('devinfo.plist');
  pusher.pushed.length = 0;
  const r = await call(server.url, 'PUT', `/v1/enqueue/${A},${B}`, body);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, {
    status: { [A]: { push_result: `apns-${A}` }, [B]: { push_result: `apns-${B}` } },
    command_uuid: uuid,
    request_type: 'DeviceInformation',
  });
  assert.deepEqual(pusher.pushed, [[A, B]]);
  const reply = await new TestDevice(server.url, { ids: { UDID: A } }).idle();
  const cmd = commandOf(reply);
  assert.equal(cmd?.uuid, uuid);
  assert.equal(cmd?.requestType, 'DeviceInformation');
  assert.deepEqual(cmd?.command.Queries, ['DeviceName', 'SerialNumber', 'UDID', 'OSVersion']);
  const events = await server.store.listEvents({ enrollmentId: A, kindPrefix: 'push.' });
  assert.ok(events.some((e) => e.kind === 'push.sent'), 'the push is recorded as an event');
});

test('nopush with one unknown id: 207, command_error for that id only, no push', async () => {
  const { uuid, body } = commandPlist('profilelist.plist');
  pusher.pushed.length = 0;
  const r = await call(server.url, 'PUT', `/v1/enqueue/${B},NOT-ENROLLED?nopush=1`, body);
  assert.equal(r.status, 207);
  assert.equal(r.json.no_push, true);
  assert.equal(r.json.command_uuid, uuid);
  assert.equal(r.json.request_type, 'ProfileList');
  assert.deepEqual(Object.keys(r.json.status), ['NOT-ENROLLED']);
  assert.match(r.json.status['NOT-ENROLLED'].command_error, /unknown|not/i);
  assert.deepEqual(pusher.pushed, []);
  const queue = await server.store.listQueue(B);
  assert.ok(queue.some((q) => q.uuid === uuid && q.status === 'queued'));
});

test('every id unknown: 500 with command_error per id', async () => {
  const { body } = commandPlist('restart.plist');
  const r = await call(server.url, 'PUT', '/v1/enqueue/NOPE-1,NOPE-2', body);
  assert.equal(r.status, 500);
  assert.ok(r.json.status['NOPE-1'].command_error);
  assert.ok(r.json.status['NOPE-2'].command_error);
});

test('a push failure for one id: 207 with push_error for it', async () => {
  const { body } = commandPlist('devinfo.plist');
  pusher.failing.add(B);
  try {
    const r = await call(server.url, 'PUT', `/v1/enqueue/${A},${B}`, body);
    assert.equal(r.status, 207);
    assert.deepEqual(r.json.status[B], { push_error: 'BadDeviceToken' });
    assert.deepEqual(r.json.status[A], { push_result: `apns-${A}` });
  } finally {
    pusher.failing.clear();
  }
});

test('push not configured: the command is queued, the push fails per id (500, as NanoMDM without a push cert)', async () => {
  const plain = await startTestServer({ store: server.store });
  try {
    const { uuid, body } = commandPlist('profilelist.plist');
    const r = await call(plain.url, 'PUT', `/v1/enqueue/${A}`, body);
    assert.equal(r.status, 500);
    assert.match(r.json.status[A].push_error, /not configured/);
    assert.equal(r.json.command_uuid, uuid);
    assert.ok((await server.store.listQueue(A)).some((q) => q.uuid === uuid));
  } finally {
    await plain.close();
  }
});

test('bad input: not a plist, a plist without CommandUUID → 400 with the reason', async () => {
  let r = await call(server.url, 'PUT', `/v1/enqueue/${A}`, Buffer.from('not a plist'));
  assert.equal(r.status, 400);
  assert.match(r.json.error, /plist/);
  assert.equal(r.json.command_error, r.json.error);
  const noUuid = fixture('mdmb/commands-sent/devinfo.plist').toString().replace(/<key>CommandUUID<\/key>\s*<string>CMDUUID<\/string>/, '');
  r = await call(server.url, 'PUT', `/v1/enqueue/${A}`, Buffer.from(noUuid));
  assert.equal(r.status, 400);
  assert.match(r.json.error, /CommandUUID/);
});

test('expiry and priority from the query string', async () => {
  const { uuid, body } = commandPlist('devinfo.plist');
  const t0 = Date.now();
  const r = await call(server.url, 'PUT', `/v1/enqueue/${B}?nopush=1&expires_in=3600&priority=5`, body);
  assert.equal(r.status, 200);
  const entry = (await server.store.listQueue(B)).find((q) => q.uuid === uuid);
  assert.equal(entry?.priority, 5);
  const exp = entry?.expiresAt?.getTime() ?? 0;
  assert.ok(exp >= t0 + 3600e3 - 1000 && exp <= Date.now() + 3600e3 + 1000);
  const bad = await call(server.url, 'PUT', `/v1/enqueue/${B}?expires_at=yesterday`, body);
  assert.equal(bad.status, 400);
  assert.equal(bad.json.field, 'expires_at');
});

test('GET and POST /v1/push/{ids}: push_result per id, 207 when one fails', async () => {
  let r = await call(server.url, 'GET', `/v1/push/${A},${B}`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { status: { [A]: { push_result: `apns-${A}` }, [B]: { push_result: `apns-${B}` } } });
  pusher.failing.add(A);
  try {
    r = await call(server.url, 'POST', `/v1/push/${A},${B}`);
    assert.equal(r.status, 207);
    assert.deepEqual(r.json.status[A], { push_error: 'BadDeviceToken' });
  } finally {
    pusher.failing.clear();
  }
});

test('an empty enqueue body only pushes (NanoMDM)', async () => {
  pusher.pushed.length = 0;
  const r = await call(server.url, 'PUT', `/v1/enqueue/${A}`);
  assert.equal(r.status, 200);
  assert.deepEqual(pusher.pushed, [[A]]);
  assert.equal(r.json.command_uuid, undefined);
});
