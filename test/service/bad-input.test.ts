// Untidy and hostile input on the MDM routes: a 4xx with the reason logged, nothing half-stored,
// never 401, and the server keeps serving.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { buildBinaryPlist, buildPlist } from '../../src/plist/index.js';
import { buildApp } from '../../src/http/app.js';
import { UnconfiguredPusher } from '../../src/push/unconfigured.js';
import { createCoreService } from '../../src/service/core.js';
import { startTestServer, testConfig, type TestServer } from '../helpers/server.js';
import { CHECKIN_CONTENT_TYPE, COMMAND_CONTENT_TYPE, commandOf, put, queueCommand, TestDevice } from '../helpers/device.js';

const logs: Array<{ msg: string; reason?: string; status?: number }> = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line));
    done();
  },
});

let srv: TestServer;
before(async () => {
  srv = await startTestServer({ config: { bodyLimit: 64 * 1024 }, logger: pino({ level: 'info' }, sink) });
});
after(() => srv.close());

async function refused(path: string, body: Buffer | string, contentType: string | null, status: number, reason: RegExp): Promise<void> {
  const before = logs.length;
  const r = await put(srv.url + path, body, contentType);
  assert.equal(r.status, status, `${path}: ${r.text}`);
  assert.notEqual(r.status, 401);
  assert.match(r.text, reason);
  await new Promise((res) => setImmediate(res));
  const logged = logs.slice(before).find((l) => l.msg === 'mdm request refused');
  assert.ok(logged, 'the refusal is logged');
  assert.match(logged.reason ?? '', reason);
}

const plist = (d: Parameters<typeof buildPlist>[0]) => buildPlist(d);

test('malformed plists are refused with the parser\'s reason, and nothing is stored', async () => {
  const good = plist({ MessageType: 'Authenticate', UDID: 'BAD-1', Topic: 't' });
  await refused('/mdm', good.slice(0, good.length - 30), CHECKIN_CONTENT_TYPE, 400, /invalid plist at line \d+, column \d+ .*unterminated/);
  await refused('/mdm', good + '<extra/>', CHECKIN_CONTENT_TYPE, 400, /content after <\/plist>/);
  await refused('/mdm', '<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY x "boom">]><plist><dict><key>UDID</key><string>&x;</string></dict></plist>',
    CHECKIN_CONTENT_TYPE, 400, /DOCTYPE internal subset refused/);
  await refused('/mdm', '{"MessageType":"Authenticate"}', 'application/json', 400, /invalid plist/);
  assert.equal(await srv.store.getEnrollment('BAD-1'), null);
});

test('protocol errors name the problem', async () => {
  await refused('/mdm', plist({ MessageType: 'Authenticate', Topic: 't' }), CHECKIN_CONTENT_TYPE, 400, /missing UDID or EnrollmentID/);
  await refused('/mdm', plist({ MessageType: 'Hello', UDID: 'X' }), CHECKIN_CONTENT_TYPE, 400, /unknown MessageType "Hello"/);
  await refused('/mdm', plist({ UDID: 'X' }), CHECKIN_CONTENT_TYPE, 400, /missing MessageType/);
  await refused('/mdm', plist({ Status: 'Done', UDID: 'X' }), COMMAND_CONTENT_TYPE, 400, /unknown Status "Done"/);
  await refused('/mdm', plist({ Status: 'Acknowledged', UDID: 'X' }), null, 400, /missing CommandUUID/);
  await refused('/mdm', '', COMMAND_CONTENT_TYPE, 400, /empty body/);
  await refused('/mdm/connect', plist({ MessageType: 'Authenticate', UDID: 'X', Topic: 't' }), CHECKIN_CONTENT_TYPE, 400, /sent to the command endpoint/);
  await refused('/checkin', plist({ Status: 'Idle', UDID: 'X' }), COMMAND_CONTENT_TYPE, 400, /sent to the checkin endpoint/);
  await refused('/mdm', plist({ MessageType: 'TokenUpdate', UDID: 'HALF-1', Topic: 't', Token: Buffer.from([1]) }), CHECKIN_CONTENT_TYPE, 400, /missing PushMagic/);
  assert.equal(await srv.store.getEnrollment('HALF-1'), null, 'a refused TokenUpdate creates nothing');
});

test('a body over the configured limit gets 413 and the server keeps serving', async () => {
  const huge = plist({ MessageType: 'Authenticate', UDID: 'BIG-1', Topic: 't', DeviceName: 'x'.repeat(70 * 1024) });
  await refused('/mdm', huge, CHECKIN_CONTENT_TYPE, 413, /too large/i);
  assert.equal(await srv.store.getEnrollment('BIG-1'), null);
  const d = new TestDevice(srv.url, { ids: { UDID: 'AFTER-BIG' } });
  assert.equal((await d.authenticate()).status, 200);
});

test('a refused result leaves the command queued', async () => {
  const d = new TestDevice(srv.url, { ids: { UDID: 'KEEP-1' } });
  await d.enroll();
  const uuid = await queueCommand(srv.store, ['KEEP-1'], 'ProfileList');
  await d.idle();
  await refused('/mdm', plist({ Status: 'Acknowledgd', UDID: 'KEEP-1', CommandUUID: uuid }), COMMAND_CONTENT_TYPE, 400, /unknown Status/);
  assert.equal((await srv.store.getCommand(uuid, 'KEEP-1'))[0]?.status, 'queued');
  assert.equal(commandOf(await d.idle())?.uuid, uuid);
});

test('untidy but valid traffic is accepted: no Content-Type, odd content types, binary plists, query parameters', async () => {
  const d = new TestDevice(srv.url, { ids: { UDID: 'TIDY-1' }, commandContentType: null });
  await d.enroll();
  const uuid = await queueCommand(srv.store, ['TIDY-1'], 'ProfileList');
  assert.equal(commandOf(await d.idle())?.uuid, uuid, 'a PUT with no Content-Type is command traffic');
  const ack = await put(`${srv.url}/mdm?tenant=a`, plist({ Status: 'Acknowledged', UDID: 'TIDY-1', CommandUUID: uuid }), 'text/xml; charset=utf-8');
  assert.deepEqual([ack.status, ack.body.length], [200, 0]);
  assert.equal((await srv.store.getCommand(uuid, 'TIDY-1'))[0]?.status, 'acknowledged');
  const bin = await put(`${srv.url}/mdm`, buildBinaryPlist({ MessageType: 'Authenticate', UDID: 'BIN-1', Topic: 't' }), `${CHECKIN_CONTENT_TYPE}; charset=utf-8`);
  assert.equal(bin.status, 200);
  assert.equal((await srv.store.getEnrollment('BIN-1'))?.topic, 't');
});

test('other methods and unknown MDM paths are 404, never 401', async () => {
  const r = await fetch(`${srv.url}/mdm`, { method: 'GET' });
  assert.equal(r.status, 404);
  const p = await put(`${srv.url}/mdm/nope`, plist({ Status: 'Idle', UDID: 'X' }), COMMAND_CONTENT_TYPE);
  assert.equal(p.status, 404);
});

test('the MDM routes\' raw-body parsing does not leak: JSON routes elsewhere still get parsed JSON', async () => {
  const app = await buildApp({
    config: testConfig(), store: srv.store, pusher: new UnconfiguredPusher(), logger: pino({ level: 'silent' }),
    service: createCoreService({ store: srv.store }),
  });
  app.post('/probe-json', async (req) => ({ echoed: req.body }));
  try {
    const json = await app.inject({ method: 'POST', url: '/probe-json', payload: { a: 1 } });
    assert.deepEqual(json.json(), { echoed: { a: 1 } });
    const mdm = await app.inject({ method: 'PUT', url: '/mdm', headers: { 'content-type': 'application/json' }, payload: '{"Status":"Idle"}' });
    assert.equal(mdm.statusCode, 400, 'on /mdm a JSON content type is just bytes that are not a plist');
    assert.match(mdm.body, /invalid plist/);
  } finally {
    await app.close();
  }
});
