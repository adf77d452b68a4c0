// MicroMDM's POST /v1/devices lists the whole fleet (MicroMDM ignores page/per_page, and its
// tools/api/get_devices relies on that): 5,000 devices in one answer, streamed from pages read by id
// so no query holds more than a page however large the fleet; page/per_page honoured when given.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { startTestServer, type TestServer } from '../helpers/server.js';
import type { EnrollmentFilter } from '../../src/storage/types.js';
import { DEVICE_PAGE } from '../../src/http/api/micromdm-views.js';
import { basicAuth, call } from './helpers.js';

const COUNT = 5_000;
const TOPIC = 'com.apple.mgmt.External.devices';
const FORM = { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth('micromdm') };
let server: TestServer;
const ids = Array.from({ length: COUNT }, () => randomUUID().toUpperCase()).sort();
/** Every listEnrollments query the server makes while a test runs. */
const queries: EnrollmentFilter[] = [];

before(async () => {
  server = await startTestServer();
  const at = new Date();
  const enroll = (id: string, userId?: string) =>
    server.store.tokenUpdate({
      id: userId ? `${id}:${userId}` : id, type: userId ? 'User' : 'Device', deviceId: id, udid: id, userId,
      topic: TOPIC, pushToken: randomBytes(32).toString('hex'), pushMagic: randomUUID(), at,
    });
  for (let i = 0; i < COUNT; i += 100) await Promise.all(ids.slice(i, i + 100).map((id) => enroll(id)));
  await enroll(ids[0]!, 'USER-GUID-1'); // a user channel: not a device, not listed
  const list = server.store.listEnrollments.bind(server.store);
  server.store.listEnrollments = (f) => {
    queries.push(f);
    return list(f);
  };
});
after(async () => server.close());

const udids = (json: { devices: Array<{ udid: string }> }) => json.devices.map((d) => d.udid);

test('POST /v1/devices as tools/api/get_devices sends it: every device, streamed page by page', async () => {
  queries.length = 0;
  const res = await fetch(`${server.url}/v1/devices`, { method: 'POST', headers: FORM, body: '{}' });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(res.headers.get('transfer-encoding'), 'chunked', 'streamed, not built whole');
  const json = (await res.json()) as { devices: Array<{ udid: string; enrolled: boolean; token: string }> };
  assert.deepEqual(udids(json), ids, 'all 5,000, in id order, each once, no user channel');
  assert.ok(json.devices.every((d) => d.enrolled && /^[0-9a-f]{64}$/.test(d.token)));
  assert.equal(queries.length, Math.floor(COUNT / DEVICE_PAGE) + 1, 'one query per page');
  assert.ok(queries.every((q) => q.limit === DEVICE_PAGE && q.offset === undefined), 'pages by key, never more than a page');
});

test('no body, Go\'s zero values (page 0, per_page 0), and GET: the whole fleet too', async () => {
  for (const [method, body] of [['POST', undefined], ['POST', '{"page":0,"per_page":0,"filter_serial":null,"filter_udid":[]}'], ['GET', undefined]] as const) {
    const r = await call(server.url, method, '/v1/devices', body, FORM);
    assert.equal(r.status, 200, r.text.slice(0, 200));
    assert.equal(r.json.devices.length, COUNT, `${method} ${body ?? ''}`);
  }
});

test('page/per_page given: that page only', async () => {
  let r = await call(server.url, 'POST', '/v1/devices', { per_page: 1000, page: 3 });
  assert.deepEqual(udids(r.json), ids.slice(2000, 3000));
  r = await call(server.url, 'POST', '/v1/devices', { page: 2 });
  assert.deepEqual(udids(r.json), ids.slice(100, 200), 'per_page defaults to 100');
  r = await call(server.url, 'POST', '/v1/devices', { per_page: 7 });
  assert.deepEqual(udids(r.json), ids.slice(0, 7), 'page defaults to the first');
  r = await call(server.url, 'POST', '/v1/devices', { per_page: 1000, page: 6 });
  assert.deepEqual(r.json, { devices: [] });
});

test('filters stream too: filter_udid across pages', async () => {
  const wanted = [ids[3]!, ids[2500]!, ids[4999]!, 'NOT-ENROLLED'];
  const r = await call(server.url, 'POST', '/v1/devices', { filter_udid: wanted });
  assert.deepEqual(udids(r.json), wanted.slice(0, 3));
});
