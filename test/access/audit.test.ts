// The audit log of API writes: who (key name), what route, which ids, when, with what status;
// refused writes too, reads never; GET /v1/audit filters by time and key and pages; with a webhook
// URL each entry is an `updraft.api.write` event in the outbox.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { basicAuth } from '../api/helpers.js';

let server: TestServer;
before(async () => {
  server = await startTestServer({ config: { webhookUrl: 'http://127.0.0.1:9/hook' } });
});
after(async () => server.close());

async function call(method: string, path: string, key: string, body?: unknown) {
  const headers: Record<string, string> = { authorization: basicAuth('micromdm', key) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(server.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/** The audit hook writes after the answer is sent: wait until `n` entries are there. */
async function entries(query = '', n = 0) {
  for (let i = 0; ; i++) {
    const res = await call('GET', `/v1/audit${query}`, TEST_API_KEY);
    assert.equal(res.status, 200);
    if (res.json.entries.length >= n || i > 50) return res.json;
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('writes are recorded with key, route, targets and status; refusals too; reads never', async () => {
  const op = (await call('POST', '/v1/apikeys', TEST_API_KEY, { role: 'operator', name: 'helpdesk' })).json.key as string;
  const ro = (await call('POST', '/v1/apikeys', TEST_API_KEY, { role: 'read-only', name: 'viewer' })).json.key as string;
  const t0 = new Date();
  assert.equal((await call('POST', '/v1/push', op, { ids: ['DEV-A', 'DEV-B', 'DEV-A'] })).status, 500);
  assert.equal((await call('GET', '/v1/push/DEV-C,DEV-D', ro)).status, 403);
  await call('GET', '/v1/enrollments', op);
  await call('GET', '/v1/audit', ro);
  const page = await entries('?key=helpdesk', 1);
  assert.equal(page.entries.length, 1, 'reads are not audited');
  const e = page.entries[0];
  assert.equal(e.key_name, 'helpdesk');
  assert.equal(e.role, 'operator');
  assert.equal(e.method, 'POST');
  assert.equal(e.route, '/v1/push');
  assert.deepEqual(e.targets, ['DEV-A', 'DEV-B']);
  assert.equal(e.target_count, 2);
  assert.equal(e.status, 500);
  assert.ok(new Date(e.at) >= new Date(t0.getTime() - 1000));
  const refused = (await entries('?key=viewer', 1)).entries;
  assert.deepEqual(refused.map((x: { route: string; status: number; targets: string[] }) => [x.route, x.status, x.targets]), [['/v1/push/:ids', 403, ['DEV-C', 'DEV-D']]]);
  // The key creations by the --api-key key are there under "default".
  const byDefault = (await entries('?key=default', 2)).entries;
  assert.deepEqual(byDefault.map((x: { route: string; targets: string[] }) => [x.route, x.targets[0]]), [['/v1/apikeys', 'viewer'], ['/v1/apikeys', 'helpdesk']]);
  // Each entry is a webhook event too, in the outbox.
  const items = await server.store.outboxClaim(new Date(Date.now() + 1000), new Date(Date.now() + 60_000), 100);
  const events = items.filter((i) => i.topic === 'updraft.api.write').map((i) => JSON.parse(i.body));
  assert.equal(events.length, 4);
  assert.ok(events.some((ev) => ev.api_write.key_name === 'viewer' && ev.api_write.status === 403 && ev.event_id && ev.created_at));
});

test('GET /v1/audit pages newest first and filters by time', async () => {
  for (let i = 0; i < 5; i++) await call('PUT', `/v1/devices/PAGE-${i}/tags`, TEST_API_KEY, { tags: ['x'] });
  const all = (await entries('', 9)).entries;
  const ids = all.map((e: { id: number }) => e.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
  const first = await entries('?limit=3');
  assert.equal(first.entries.length, 3);
  assert.equal(first.next, first.entries[2].id);
  const second = await entries(`?limit=3&before=${first.next}`);
  assert.deepEqual(second.entries.map((e: { id: number }) => e.id), ids.slice(3, 6));
  const newest = all[0];
  assert.deepEqual((await entries(`?since=${encodeURIComponent(newest.at)}`)).entries.map((e: { id: number }) => e.id).includes(newest.id), true);
  assert.equal((await entries(`?until=${encodeURIComponent('2000-01-01T00:00:00Z')}`)).entries.length, 0);
  const bad = await call('GET', '/v1/audit?since=yesterday', TEST_API_KEY);
  assert.equal(bad.status, 400);
  assert.equal(bad.json.field, 'since');
});
