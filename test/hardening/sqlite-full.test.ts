// A full disk on SQLite: the database is capped at its size (PRAGMA max_page_count through the
// test-only `sqliteConnection` hook) and filled to the last byte while a real server runs with its
// workers. MDM requests and API writes meanwhile get 507 with the reason (never 401, never a crash),
// a refused result leaves its command queued, and once space returns (the cap raised) the same
// server takes the writes again without a restart; integrity_check is ok, nothing acknowledged
// before the disk filled is lost, and every result's and every check-in's webhook event is delivered.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type Database from 'better-sqlite3';
import { DEFAULT_BODY_LIMIT } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { openStore } from '../../src/storage/index.js';
import { testDatabase, testDbLabel } from '../helpers/store.js';
import { TEST_API_KEY } from '../helpers/server.js';
import { commandOf, TestDevice } from '../helpers/device.js';
import { webhookReceiver } from './crash-ledger.js';
import { waitFor } from '../osupdate/campaign-resume.js';

const skip = testDbLabel !== 'sqlite' ? 'SQLite only (PostgreSQL out of space is SQLSTATE 53100, mapped to 507 the same way)' : false;
const FULL = /database or disk is full/;

let database: Awaited<ReturnType<typeof testDatabase>>;
let hooks: Awaited<ReturnType<typeof webhookReceiver>>;
let server: RunningServer;
let raw: Database.Database;

before(async () => {
  if (skip) return;
  database = await testDatabase();
  hooks = await webhookReceiver();
  const logger = pino({ level: process.env.UPDRAFT_TEST_LOG ?? 'silent' });
  const store = await openStore({ db: database.db, dataDir: database.dataDir, logger, sqliteConnection: (r) => (raw = r) });
  server = await startServer({
    listen: '127.0.0.1:0', dataDir: database.dataDir, db: database.db, apiKey: TEST_API_KEY, webhookUrl: hooks.url, webhookSecret: null,
    publicUrl: 'https://mdm.example.test', tlsCert: null, tlsKey: null, pushTopic: null, bodyLimit: DEFAULT_BODY_LIMIT,
    retentionDays: 0, logLevel: 'silent', certHeader: null, identityOptional: true, inventoryIntervalSeconds: 0, ddmAuto: false,
    webhookTimeoutSeconds: 2,
  }, { logger, store });
});
after(async () => {
  if (skip) return;
  await server?.close();
  await hooks?.close();
  await database?.remove();
});

const api = (method: string, path: string, body?: unknown) => fetch(server.url + path, {
  method, headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
});

async function enqueue(ids: string[], requestType = 'ProfileList'): Promise<Response> {
  return api('POST', '/v1/enqueue', { ids, command: { request_type: requestType }, nopush: true });
}

/** Fetch the device's next command and answer it; returns the command's UUID. */
async function answerNext(d: TestDevice, extra = {}): Promise<{ uuid: string; status: number; text: string }> {
  const idle = await d.idle();
  const cmd = commandOf(idle);
  assert.ok(cmd, `a command is queued for the device: ${idle.status} ${idle.text}`);
  const r = await d.result('Acknowledged', cmd.uuid, extra);
  return { uuid: cmd.uuid, status: r.status, text: r.text };
}

/** Cap the database at its size, then fill every page left with rows of shrinking size. */
function fillDisk(): number {
  raw.exec('CREATE TABLE IF NOT EXISTS test_disk_filler (b BLOB)');
  raw.pragma(`max_page_count = ${Number(raw.pragma('page_count', { simple: true }))}`);
  const insert = raw.prepare('INSERT INTO test_disk_filler (b) VALUES (?)');
  let rows = 0;
  for (const size of [65536, 4096, 512, 64, 8, 1]) {
    for (;;) {
      try {
        insert.run(Buffer.alloc(size));
        rows++;
      } catch (err) {
        assert.equal((err as { code?: string }).code, 'SQLITE_FULL');
        break;
      }
    }
  }
  return rows;
}

test('SQLite disk full: 507 with the reason on MDM and API writes, no crash, recovery without a restart, no corruption', { skip }, async () => {
  const devices = Array.from({ length: 4 }, (_, i) => new TestDevice(server.url, { ids: { UDID: `FULL-${i}` } }));
  for (const d of devices) await d.enroll();
  const udids = devices.map((d) => d.opts.ids.UDID as string);

  // Before: every device acknowledges one command; a second is queued for each.
  const first = await enqueue(udids);
  assert.equal(first.status, 200, await first.text());
  const acked: Array<[udid: string, uuid: string]> = [];
  for (const d of devices) {
    const a = await answerNext(d);
    assert.equal(a.status, 200, a.text);
    acked.push([d.opts.ids.UDID as string, a.uuid]);
  }
  // A second command for each, fetched by the device: its answer will meet the full disk.
  assert.equal((await enqueue(udids, 'SecurityInfo')).status, 200);
  const pending: string[] = [];
  for (const d of devices) pending.push(commandOf(await d.idle())!.uuid);

  // The disk fills up.
  assert.ok(fillDisk() > 0);
  // Results that cannot be stored, from every device at once (they share one commit): all 507.
  const padding = { Padding: 'x'.repeat(20_000) };
  const acks = await Promise.all(devices.map((d, i) => d.result('Acknowledged', pending[i]!, padding)));
  for (const a of acks) {
    assert.equal(a.status, 507, `a result that cannot be stored: ${a.status} ${a.text}`);
    assert.match(a.text, FULL);
  }
  // New enrollments and commands fit in the room left inside the pages already there, until it runs out.
  // A check-in answered 200 has its webhook event (written after it: when that write fails, the check-in does).
  const checkedIn: string[] = [];
  let stranger: TestDevice | null = null;
  for (let i = 0; i < 300 && !stranger; i++) {
    const d = new TestDevice(server.url, { ids: { UDID: `FULL-NEW-${i}` } });
    const auth = await d.authenticate();
    assert.ok(auth.status === 200 || auth.status === 507, `a new enrollment: ${auth.status} ${auth.text}`);
    if (auth.status === 507) (assert.match(auth.text, FULL), (stranger = d));
    else checkedIn.push(`FULL-NEW-${i} mdm.Authenticate`);
  }
  assert.ok(stranger, 'new enrollments are refused once the disk is full');
  let refused: string | null = null;
  for (let i = 0; i < 300 && refused === null; i++) {
    const res = await enqueue(udids);
    assert.ok(res.status === 200 || res.status === 507, `an enqueue: ${res.status} ${await res.clone().text()}`);
    if (res.status === 507) refused = ((await res.json()) as { error: string }).error;
  }
  assert.match(refused ?? 'never refused', FULL, 'API writes are refused with 507 and the reason');
  // Under load meanwhile: every MDM answer is a 200 (nothing to store) or a 507, never 401 or 500.
  const statuses = new Set<number>();
  for (let round = 0; round < 5; round++) {
    for (const r of await Promise.all([...devices.map((d) => d.idle()), devices[1]!.tokenUpdate()])) statuses.add(r.status);
  }
  assert.deepEqual([...statuses].filter((s) => s !== 200 && s !== 507), [], `statuses while full: ${[...statuses]}`);
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'the server is up');

  // Space returns: the same server stores again, and the refused result is taken when the device resends it.
  raw.pragma('max_page_count = 1073741823');
  for (const [i, d] of devices.entries()) {
    const again = await d.result('Acknowledged', pending[i]!, padding);
    assert.equal(again.status, 200, again.text);
    acked.push([d.opts.ids.UDID as string, pending[i]!]); // taken now: the refused answer left it queued
  }
  assert.equal((await stranger.authenticate()).status, 200);
  assert.equal((await enqueue(udids)).status, 200);

  assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
  for (const [udid, uuid] of acked) {
    const res = await api('GET', `/v1/commands/${uuid}/results?enrollment_id=${udid}`);
    const body = (await res.json()) as { enrollments: Array<{ status: string }> };
    assert.equal(body.enrollments[0]?.status, 'acknowledged', `${udid}'s acknowledged ${uuid} is kept`);
  }
  // And every result's and check-in's webhook event goes out (the worker carried on through the full disk).
  await waitFor('a webhook event for every result', async () => acked.every(([udid, uuid]) => hooks.acks.has(`${udid} ${uuid.toLowerCase()} Acknowledged`)) || null, 20_000);
  assert.ok(checkedIn.length > 0);
  await waitFor('a webhook event for every check-in answered 200', async () => checkedIn.every((k) => hooks.checkins.has(k)) || null, 20_000)
    .catch(() => assert.deepEqual(checkedIn.filter((k) => !hooks.checkins.has(k)), [], 'check-ins answered 200 without their webhook event'));
});
