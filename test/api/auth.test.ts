// API authentication: HTTP Basic with any user name and the key as password, or Bearer; 401 otherwise
// on the API — and never 401 on the MDM routes, whatever the Authorization header says.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { TestDevice } from '../helpers/device.js';
import { fixture } from '../helpers/fixtures.js';
import { basicAuth } from './helpers.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => server.close());

const get = (path: string, authorization?: string) =>
  fetch(server.url + path, { headers: authorization ? { authorization } : {} });

test('Basic with any user name and the key as password is accepted', async () => {
  for (const user of ['micromdm', 'nanomdm', 'anything', '']) {
    const res = await get('/v1/enrollments', basicAuth(user));
    assert.equal(res.status, 200, `user ${JSON.stringify(user)}`);
  }
});

test('Bearer with the key is accepted', async () => {
  assert.equal((await get('/v1/enrollments', `Bearer ${TEST_API_KEY}`)).status, 200);
});

test('missing, wrong or malformed credentials: 401 with a reason and a Basic challenge', async () => {
  for (const auth of [undefined, basicAuth('micromdm', 'wrong'), 'Bearer wrong', `Bearer ${TEST_API_KEY}x`, 'Basic !!!', `Token ${TEST_API_KEY}`, basicAuth('micromdm', '')]) {
    const res = await get('/v1/enrollments', auth);
    assert.equal(res.status, 401, String(auth));
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm=/);
    assert.ok(((await res.json()) as { error: string }).error);
  }
  for (const path of ['/v1/commands/X', '/v1/devices', '/push/X', '/v1/push/X']) {
    assert.equal((await get(path)).status, 401, path);
  }
  const put = await fetch(server.url + '/v1/enqueue/X', { method: 'PUT', body: 'x' });
  assert.equal(put.status, 401, 'the key is checked before the body is looked at');
});

test('the OpenAPI document answers without a key', async () => {
  assert.equal((await get('/v1/openapi.json')).status, 200);
});

test('MDM routes never answer 401, even with a wrong Authorization header or bad input', async () => {
  const body = fixture('nanomdm/mdm_testdata_Authenticate.2.plist');
  for (const path of ['/mdm', '/checkin', '/mdm/checkin']) {
    const res = await fetch(server.url + path, {
      method: 'PUT',
      body: new Uint8Array(body),
      headers: { 'content-type': 'application/x-apple-aspen-mdm-checkin', authorization: basicAuth('x', 'wrong') },
    });
    assert.equal(res.status, 200, path);
  }
  const device = new TestDevice(server.url, { ids: { UDID: 'NOT-ENROLLED' }, connectPath: '/mdm/connect' });
  const res = await device.idle();
  assert.notEqual(res.status, 401);
});
