// API keys with roles, on the composed server (every route present): every API route has a line in
// the role table; read-only keys only read, operators queue and push but change no settings, keys or
// certificates, the --api-key key stays admin; keys are stored hashed and revocation takes effect.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startServer, type RunningServer } from '../../src/server.js';
import { apiRoutes } from '../../src/http/api/scope.js';
import { ROUTE_ACCESS } from '../../src/http/api/roles.js';
import { testDatabase } from '../helpers/store.js';
import { testConfig, TEST_API_KEY } from '../helpers/server.js';
import { basicAuth } from '../api/helpers.js';

let running: RunningServer;
let removeDb: () => Promise<void>;
before(async () => {
  const db = await testDatabase();
  removeDb = db.remove;
  running = await startServer(testConfig({ db: db.db, dataDir: db.dataDir }));
});
after(async () => {
  await running.close();
  await removeDb();
});

async function call(method: string, path: string, key: string, body?: unknown) {
  const headers: Record<string, string> = { authorization: basicAuth('nanomdm', key) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(running.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function createKey(role: string, name: string): Promise<string> {
  const res = await call('POST', '/v1/apikeys', TEST_API_KEY, { role, name });
  assert.equal(res.status, 201, JSON.stringify(res.json));
  assert.match(res.json.key, /^updraft_[A-Za-z0-9_-]{43}$/);
  return res.json.key as string;
}

test('every API route has exactly one line in the role table, and every line names a route', () => {
  const routes = apiRoutes(running.app);
  assert.ok(routes.length > 50, `only ${routes.length} routes seen`);
  const unclassified = routes.filter((r) => !(r in ROUTE_ACCESS));
  assert.deepEqual(unclassified, [], 'routes without a role: add them to ROUTE_ACCESS in src/http/api/roles.ts');
  const stale = Object.keys(ROUTE_ACCESS).filter((r) => !routes.includes(r));
  assert.deepEqual(stale, [], 'lines of ROUTE_ACCESS naming no route');
});

test('read-only reads; operator queues, pushes and runs campaigns; neither changes settings, keys or certificates', async () => {
  const ro = await createKey('read-only', 'viewer');
  const op = await createKey('operator', 'helpdesk');
  const plist = '<?xml version="1.0"?><plist version="1.0"><dict><key>CommandUUID</key><string>C1</string><key>Command</key><dict><key>RequestType</key><string>DeviceInformation</string></dict></dict></plist>';

  for (const key of [ro, op, TEST_API_KEY]) {
    assert.equal((await call('GET', '/v1/enrollments', key)).status, 200);
    assert.equal((await call('POST', '/v1/devices', key, {})).status, 200, 'MicroMDM lists devices with a POST: a read');
    assert.equal((await call('GET', '/v1/audit', key)).status, 200);
  }
  // Writes a read-only key may not do, each with a reason naming the role needed.
  for (const [method, path] of [['PUT', '/v1/enqueue/DEV1'], ['GET', '/v1/push/DEV1'], ['GET', '/push/DEV1'], ['POST', '/v1/campaigns'], ['PUT', '/v1/devices/DEV1/tags']]) {
    const res = await call(method!, path!, ro);
    assert.equal(res.status, 403, `${method} ${path}`);
    assert.match(res.json.error, /read-only key "viewer" may not .* needs an operator or admin key/);
    assert.equal(res.json.required, 'operator');
  }
  // An operator may: the answers are the routes' own (unknown device), not a refusal.
  const enq = await fetch(`${running.url}/v1/enqueue/DEV1`, { method: 'PUT', headers: { authorization: basicAuth('nanomdm', op) }, body: plist });
  assert.equal(enq.status, 500, 'NanoMDM answers 500 when every id fails');
  assert.equal((await call('PUT', '/v1/devices/DEV1/tags', op, { tags: ['lab'] })).status, 404, 'unknown enrollment');
  assert.equal((await call('POST', '/v1/campaigns/nope/pause', op)).status, 404);
  // Settings, keys and certificates: admin only.
  for (const [method, path] of [['PUT', '/v1/pushcert'], ['POST', '/v1/pushcert/request'], ['POST', '/v1/challenge'], ['POST', '/v1/certificates/01/revoke'], ['PUT', '/v1/catalogs/gdmf'], ['POST', '/v1/prune'], ['POST', '/v1/apikeys'], ['GET', '/v1/apikeys'], ['DELETE', '/v1/apikeys/viewer']]) {
    for (const key of [ro, op]) {
      const res = await call(method!, path!, key);
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.match(res.json.error, /needs an admin key/);
    }
  }
  assert.equal((await call('POST', '/v1/challenge', TEST_API_KEY, {})).status, 200, 'the --api-key key stays admin');
});

test('keys are stored as SHA-256 hashes, listed without them, and refused once revoked', async () => {
  const key = await createKey('operator', 'ci-bot');
  const stored = (await running.deps.store.listApiKeys()).find((k) => k.name === 'ci-bot')!;
  assert.equal(stored.hash, createHash('sha256').update(key).digest('hex'));
  const listed = await call('GET', '/v1/apikeys', TEST_API_KEY);
  const text = JSON.stringify(listed.json);
  assert.ok(!text.includes(key) && !text.includes(stored.hash), 'neither the key nor its hash is listed');
  assert.deepEqual(Object.keys(listed.json.keys[0]).sort(), ['created_at', 'id', 'name', 'revoked_at', 'role']);
  assert.equal((await call('POST', '/v1/apikeys', TEST_API_KEY, { role: 'admin', name: 'ci-bot' })).status, 409, 'names are unique among live keys');
  assert.equal((await call('POST', '/v1/apikeys', TEST_API_KEY, { role: 'root' })).status, 400);
  // Bearer works as well as Basic.
  assert.equal((await fetch(running.url + '/v1/enrollments', { headers: { authorization: `Bearer ${key}` } })).status, 200);
  const revoked = await call('DELETE', '/v1/apikeys/ci-bot', TEST_API_KEY);
  assert.equal(revoked.status, 200);
  assert.ok(revoked.json.revoked_at);
  const after = await call('GET', '/v1/enrollments', key);
  assert.equal(after.status, 401);
  assert.equal(after.json.error, 'API key revoked');
  assert.equal((await call('DELETE', '/v1/apikeys/nope', TEST_API_KEY)).status, 404);
  // The name is free again once revoked.
  await createKey('read-only', 'ci-bot');
});
