// PostgreSQL unreachable under load (through a TCP proxy the test cuts: established connections
// dropped as a restart drops them, new ones refused): MDM requests get 503 meanwhile (never 401),
// an API write refused with 503 leaves nothing half-written, the server recovers by itself once the
// database is back (the pool reconnects), and the webhook worker resumes. UPDRAFT_OUTAGE_SECONDS
// sets the outage (default 8; the figure in docs/operations.md is from 30).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { DEFAULT_BODY_LIMIT } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { testDatabase, testDbLabel } from '../helpers/store.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { TEST_API_KEY } from '../helpers/server.js';
import { commandOf, TestDevice } from '../helpers/device.js';
import { webhookReceiver } from './crash-ledger.js';
import { waitFor } from '../osupdate/campaign-resume.js';

const OUTAGE_S = Number(process.env.UPDRAFT_OUTAGE_SECONDS ?? 8);
const skip = testDbLabel !== 'postgres' ? 'PostgreSQL only (SQLite: see sqlite-full.test.ts)' : false;

let database: Awaited<ReturnType<typeof testDatabase>>;
let proxy: TcpProxy;
let hooks: Awaited<ReturnType<typeof webhookReceiver>>;
let server: RunningServer;

before(async () => {
  if (skip) return;
  database = await testDatabase();
  const target = new URL(database.db);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  target.host = `127.0.0.1:${proxy.port}`;
  hooks = await webhookReceiver();
  server = await startServer({
    listen: '127.0.0.1:0', dataDir: database.dataDir, db: target.toString(), apiKey: TEST_API_KEY, webhookUrl: hooks.url, webhookSecret: null,
    publicUrl: 'https://mdm.example.test', tlsCert: null, tlsKey: null, pushTopic: null, bodyLimit: DEFAULT_BODY_LIMIT,
    retentionDays: 0, logLevel: 'silent', certHeader: null, identityOptional: true, inventoryIntervalSeconds: 0, ddmAuto: false,
    webhookTimeoutSeconds: 2,
  }, { logger: pino({ level: process.env.UPDRAFT_TEST_LOG ?? 'silent' }) });
});
after(async () => {
  if (skip) return;
  proxy.restore();
  await server?.close();
  await hooks?.close();
  await proxy?.close();
  await database?.remove();
});

const api = (method: string, path: string, body?: unknown) => fetch(server.url + path, {
  method, headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
});

test(`PostgreSQL unreachable for ${OUTAGE_S} s under load: 503s, nothing half-written, recovers by itself, workers resume`, { skip }, async () => {
  const devices = Array.from({ length: 4 }, (_, i) => new TestDevice(server.url, { ids: { UDID: `OUTAGE-${i}` } }));
  for (const d of devices) await d.enroll();
  const statuses = new Map<number, number>();
  let load = true;
  const loops = devices.map(async (d) => {
    while (load) {
      const r = await d.idle().catch(() => null);
      if (r) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      await new Promise((res) => setTimeout(res, 50));
    }
  });
  await new Promise((r) => setTimeout(r, 500));

  proxy.cut();
  const cutAt = Date.now();
  const during = await api('POST', '/v1/enqueue', { ids: ['OUTAGE-0'], command: { request_type: 'ProfileList' } });
  assert.equal(during.status, 503, 'an API write while the database is away: 503');
  assert.ok(during.headers.get('retry-after'));
  await new Promise((r) => setTimeout(r, OUTAGE_S * 1000 - (Date.now() - cutAt)));
  const outage = new Map(statuses);
  statuses.clear();
  proxy.restore();
  const restoredAt = Date.now();
  await waitFor('an MDM request answered again', async () => ((await devices[0]!.idle()).status === 200 ? true : null), 60_000);
  const recoverS = (Date.now() - restoredAt) / 1000;
  load = false;
  await Promise.all(loops);

  console.log(`pg outage ${OUTAGE_S} s: during ${JSON.stringify(Object.fromEntries(outage))}, after ${JSON.stringify(Object.fromEntries(statuses))}; recovered ${recoverS.toFixed(2)} s after the database came back`);
  assert.equal(outage.get(401) ?? 0, 0, 'never 401');
  for (const status of outage.keys()) assert.ok(status === 200 || status === 503, `only 503 during the outage (and 200 before the cut), got ${status}`);
  assert.ok((outage.get(503) ?? 0) > 0, 'the outage was felt');
  assert.ok(recoverS < 10, `recovered in ${recoverS} s`);

  // Nothing half-written: every stored command is queued for someone, and the refused one is not there.
  for (const d of devices) assert.deepEqual(await server.deps.store.listQueue(String(d.opts.ids.UDID), { includeDone: true }), []);
  // The workers resume: a command queued now is fetched, and its result reaches the webhook receiver.
  const res = await api('POST', '/v1/enqueue', { ids: ['OUTAGE-1'], command: { request_type: 'ProfileList' } });
  // Queued; the push fails (no push certificate here), which NanoMDM's answer reports as a 500.
  const { command_uuid } = (await res.json()) as { command_uuid: string };
  assert.ok(command_uuid, `queued after the outage: ${res.status}`);
  const got = commandOf(await devices[1]!.idle());
  assert.equal(got?.uuid, command_uuid);
  assert.equal((await devices[1]!.result('Acknowledged', command_uuid, { ProfileList: [] })).status, 200);
  await waitFor('the webhook event', async () => ([...hooks.acks.keys()].some((k) => k.includes(command_uuid.toLowerCase())) ? true : null), 20_000);
});
