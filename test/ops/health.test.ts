// Health, readiness and metrics on the composed server, and its graceful close: /healthz while up,
// /readyz 200 with the database and 503 without it; /metrics in Prometheus text behind an API key
// (any role), counting requests, check-ins, reports, pushes and store calls; close() finishes a
// request in flight before the store goes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, type RunningServer } from '../../src/server.js';
import { buildPlist } from '../../src/plist/index.js';
import { TestDevice, CHECKIN_CONTENT_TYPE } from '../helpers/device.js';
import { openTestStore, testDatabase } from '../helpers/store.js';
import { startTestServer, testConfig, TEST_API_KEY } from '../helpers/server.js';
import { basicAuth } from '../api/helpers.js';

let running: RunningServer;
let removeDb: () => Promise<void>;
let closed = false;
before(async () => {
  const db = await testDatabase();
  removeDb = db.remove;
  running = await startServer(testConfig({ db: db.db, dataDir: db.dataDir, inventoryIntervalSeconds: 0, ddmAuto: false }));
});
after(async () => {
  if (!closed) await running.close();
  await removeDb();
});

const metric = (text: string, line: string): number | null => {
  const found = text.split('\n').find((l) => l.startsWith(line + ' '));
  return found === undefined ? null : Number(found.slice(line.length + 1));
};

test('healthz and readyz answer 200 while the database is there', async () => {
  const h = await fetch(`${running.url}/healthz`);
  assert.equal(h.status, 200);
  assert.deepEqual(await h.json(), { status: 'ok' });
  const r = await fetch(`${running.url}/readyz`);
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { status: 'ready' });
});

test('/metrics: Prometheus text behind any API key, counting what the server did', async () => {
  assert.equal((await fetch(`${running.url}/metrics`)).status, 401);
  const viewer = await fetch(`${running.url}/v1/apikeys`, {
    method: 'POST', headers: { authorization: basicAuth('x', TEST_API_KEY), 'content-type': 'application/json' }, body: JSON.stringify({ role: 'read-only' }),
  });
  const key = ((await viewer.json()) as { key: string }).key;
  const d = new TestDevice(running.url, { ids: { UDID: 'METRICS-MAC' }, checkinPath: '/mdm/checkin', connectPath: '/mdm/connect' });
  await d.enroll();
  assert.equal((await d.idle()).status, 200);
  const enq = await fetch(`${running.url}/v1/push/METRICS-MAC`, { headers: { authorization: basicAuth('nanomdm', TEST_API_KEY) } });
  assert.ok(enq.status >= 200);
  const res = await fetch(`${running.url}/metrics`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  assert.equal(metric(text, 'updraft_checkins_total{message_type="Authenticate"}'), 1);
  assert.equal(metric(text, 'updraft_checkins_total{message_type="TokenUpdate"}'), 1);
  assert.equal(metric(text, 'updraft_command_reports_total{status="Idle"}'), 1);
  assert.equal(metric(text, 'updraft_http_requests_total{method="PUT",route="/mdm/checkin",status="200"}'), 2);
  assert.equal(metric(text, 'updraft_http_requests_total{method="PUT",route="/mdm/connect",status="200"}'), 1);
  assert.equal(metric(text, 'updraft_pushes_total{outcome="not_configured"}'), 1, 'no push certificate: counted by outcome');
  assert.equal(metric(text, 'updraft_queue_depth'), 0);
  assert.equal(metric(text, 'updraft_webhook_backlog'), 0);
  assert.match(text, /^# TYPE updraft_campaign_devices gauge$/m);
  const reports = metric(text, 'updraft_db_query_seconds_count{op="reportAndNext"}');
  assert.equal(reports, 1, 'every store call is timed, by method');
  assert.match(text, /^updraft_db_query_seconds_bucket\{le="0\.001",op="tokenUpdate"\} \d+$/m);
  assert.match(text, /^updraft_process_resident_memory_bytes \d+/m);

  // The gauges follow the store: a queued command, a paused campaign's devices by state, an undelivered event.
  const store = running.deps.store;
  const queued = await fetch(`${running.url}/v1/enqueue`, {
    method: 'POST', headers: { authorization: basicAuth('x', TEST_API_KEY), 'content-type': 'application/json' },
    body: JSON.stringify({ ids: ['METRICS-MAC'], command: { request_type: 'ProfileList' }, nopush: true }),
  });
  assert.equal(queued.status, 200, await queued.text());
  const row = (deviceId: string, state: string) => ({ deviceId, wave: 0, state, reason: null, path: null, targetVersion: null, targetBuild: null, osVersion: null, buildVersion: null, step: {}, active: false, nextAt: null });
  const now = new Date();
  await store.campaignCreate({ id: 'metrics-campaign', name: 'metrics', spec: {}, at: now }, [row('M-1', 'waiting'), row('M-2', 'waiting'), row('M-3', 'done')]);
  assert.ok(await store.campaignUpdate('metrics-campaign', { state: 'paused' }, now));
  await store.outboxAdd('mdm.Test', '{}', now);
  const after = await (await fetch(`${running.url}/metrics`, { headers: { authorization: `Bearer ${key}` } })).text();
  assert.equal(metric(after, 'updraft_queue_depth'), 1);
  assert.equal(metric(after, 'updraft_campaign_devices{state="waiting"}'), 2);
  assert.equal(metric(after, 'updraft_campaign_devices{state="done"}'), 1);
  assert.ok((metric(after, 'updraft_webhook_backlog') ?? 0) >= 1, 'the undelivered event is counted');
  assert.equal(metric(after, 'updraft_http_requests_total{method="POST",route="/v1/enqueue",status="200"}'), 1);
});

test('close() lets a request in flight finish, refuses new connections, then closes the store', async () => {
  const body = Buffer.from(buildPlist({ MessageType: 'Authenticate', UDID: 'INFLIGHT-MAC', Topic: 'com.apple.mgmt.External.test-topic', SerialNumber: 'C02X' }));
  const port = Number(new URL(running.url).port);
  const arrived = new Promise((resolve) => running.app.server.once('request', resolve));
  let finish!: () => void;
  const answer = new Promise<number>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'PUT', path: '/mdm/checkin', agent: false, headers: { 'content-type': CHECKIN_CONTENT_TYPE, 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.write(body.subarray(0, 10)); // in flight: the body is not complete yet
    finish = () => req.end(body.subarray(10));
  });
  await arrived;
  let closeDone = false;
  const closing = running.close().then(() => (closeDone = true));
  closed = true;
  await new Promise((r) => setTimeout(r, 100));
  const fresh = await new Promise<string>((resolve) => {
    const r = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => resolve(`answered ${res.statusCode}`));
    r.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
  assert.equal(fresh, 'ECONNREFUSED', 'no new connection once closing');
  assert.equal(closeDone, false, 'close waits for the request in flight');
  finish();
  assert.equal(await answer, 200, 'the request in flight is answered');
  await closing;
  await assert.rejects(running.deps.store.getEnrollment('INFLIGHT-MAC'), 'the store is closed last');
});

test('readyz: 503 with the reason when the database is gone or migrations are missing; healthz stays 200', async () => {
  const store = await openTestStore();
  const server = await startTestServer({ store });
  try {
    await store.close(); // the database is gone under the running server
    const r = await fetch(`${server.url}/readyz`);
    assert.equal(r.status, 503);
    assert.match(((await r.json()) as { reason: string }).reason, /^database unreachable: /);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'the process is up all the same');
  } finally {
    await server.close();
  }
  const other = await openTestStore();
  const missing = await startTestServer({ store: { ...other, pendingMigrations: async () => ['099_future'] } });
  try {
    const r = await fetch(`${missing.url}/readyz`);
    assert.equal(r.status, 503);
    assert.deepEqual(await r.json(), { status: 'not ready', reason: 'migrations not applied', pending_migrations: ['099_future'] });
  } finally {
    await missing.close();
    await other.close();
  }
});
