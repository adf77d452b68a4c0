// Two `updraft serve` processes on one PostgreSQL database with the simulator split across them:
// a third of the devices talk to node A, a third to node B, and a third go through a round-robin
// balancer (another node at every request). Commands are queued on the node the device is not
// talking to. Every command is delivered exactly once and its result recorded, every enqueue is
// pushed once (by the node that took it), every result's webhook event is delivered once, the
// re-push worker runs on one node only (its schedule is not doubled), and when the node holding
// the re-push lease is killed the other takes it over and serves everything on its own.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { Fleet } from '../../src/sim/fleet.js';
import { ScenarioSchema } from '../../src/sim/scenario.js';
import { openStore } from '../../src/storage/index.js';
import type { Store } from '../../src/storage/types.js';
import { testDatabase, testDbLabel } from '../helpers/store.js';
import { startBalancer, type Balancer } from '../helpers/balancer.js';
import { fakeApns, waitFor } from '../osupdate/campaign-resume.js';
import { startServeProcess, type ServeProcess } from '../osupdate/serve-process.js';
import { checkLedger, Ledger, webhookReceiver } from './crash-ledger.js';

const skip = testDbLabel !== 'postgres' ? 'several nodes share one PostgreSQL database (docs/operations.md): PostgreSQL pass only' : false;
const PER_GROUP = 5;
const COMMANDS = ['SecurityInfo', 'ProfileList', 'CertificateList'];
const scenario = ScenarioSchema.parse({
  name: 'two-nodes', seed: 21, clockFactor: 60,
  fleet: [{ platform: 'macos', models: ['Mac14,2', 'Macmini9,1'], os: ['13.7.8'], supervised: 1, locked: 0 }],
});

let database: Awaited<ReturnType<typeof testDatabase>>;
let apns: Awaited<ReturnType<typeof fakeApns>>;
let hooks: Awaited<ReturnType<typeof webhookReceiver>>;
let balancer: Balancer;
let store: Store;
const nodes: ServeProcess[] = [];
const fleets: Fleet[] = [];

before(async () => {
  if (skip) return;
  database = await testDatabase();
  apns = await fakeApns(database.dataDir);
  hooks = await webhookReceiver();
});
after(async () => {
  if (skip) return;
  for (const f of fleets) await f.stop();
  for (const n of nodes) await n.kill('SIGTERM');
  await store?.close();
  await balancer?.close();
  await hooks.close();
  await apns.fake.close();
  await database.remove();
});

/** The owner of a named lease (`host:pid:random`), read straight from the shared database. */
async function leaseOwner(name: string): Promise<string | null> {
  const url = new URL(database.db);
  const schema = url.searchParams.get('schema')!;
  url.searchParams.delete('schema');
  url.searchParams.delete('options');
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rows } = await client.query<{ owner: string }>(`SELECT owner FROM "${schema}".leases WHERE name = $1 AND until > $2`, [name, Date.now()]);
    return rows[0]?.owner ?? null;
  } finally {
    await client.end();
  }
}

const gaps = (ats: number[]) => ats.slice(1).map((t, i) => t - ats[i]!);

test('two nodes, the simulator split across them: each command delivered once, one push per enqueue, webhooks once, leases handed over', { skip }, async () => {
  const start = () => startServeProcess({
    db: database.db, dataDir: database.dataDir, apnsUrl: apns.fake.url, apnsCa: apns.ca,
    args: ['--webhook-url', hooks.url, '--webhook-timeout', '2', '--ddm-auto', 'off', '--inventory-interval', '0', '--repush-interval', '4'],
  });
  nodes.push(await start()); // makes the CA and migrates; the second shares its data dir and database
  nodes.push(await start());
  const [a, b] = nodes as [ServeProcess, ServeProcess];
  assert.equal((await a.api('PUT', '/v1/pushcert', apns.pushcert)).status, 200);
  balancer = await startBalancer([a.url, b.url]);
  const ledger = new Ledger();
  const common = {
    count: PER_GROUP, scenario, wakeUrl: apns.fake.wakeUrl, interval: 1, keyPoolSize: 2,
    onDelivered: (d: { udid: string }, uuid: string) => ledger.onDelivered(d.udid, uuid),
    onAnswered: (d: { udid: string }, uuid: string, status: string) => ledger.onAnswered(d.udid, uuid, status),
  };
  for (const [i, server] of [a.url, b.url, balancer.url].entries()) fleets.push(await Fleet.start({ ...common, server, offset: i * PER_GROUP }));
  const [onA, onB, moving] = fleets.map((f) => f.devices.map((d) => d.udid)) as [string[], string[], string[]];
  const everyone = [...onA, ...onB, ...moving];
  const tokens = new Map(fleets.flatMap((f) => f.devices.map((d) => [d.udid, d.token.toLowerCase()] as const)));
  store = await openStore({ db: database.db, dataDir: database.dataDir });

  // Queue on the node the device does not talk to (the moving devices: on both), targets in turn.
  const expectedPushes = new Map<string, number>();
  const pushesBefore = apns.fake.pushes().length;
  let turn = 0;
  for (let i = 0; i < 36; i++) {
    const udid = everyone[turn++ % everyone.length]!;
    const via = onA.includes(udid) ? b : onB.includes(udid) ? a : i % 2 ? a : b;
    const res = await via.api('POST', '/v1/enqueue', { ids: [udid], command: { request_type: COMMANDS[i % COMMANDS.length] } });
    assert.equal(res.status, 200, await res.clone().text());
    ledger.accepted.set(((await res.json()) as { command_uuid: string }).command_uuid, [udid]);
    expectedPushes.set(tokens.get(udid)!, (expectedPushes.get(tokens.get(udid)!) ?? 0) + 1);
    await new Promise((r) => setTimeout(r, 100));
  }
  // A device that never answers: only the re-push worker wakes it (after 4 s, then 8 s, 16 s…).
  // (An interval long enough that the answering devices, polling every second, never meet it.)
  const silent = await Fleet.start({ count: 1, scenario, server: a.url, offset: 3 * PER_GROUP, interval: 0, wakeUrl: null, keyPoolSize: 2 });
  await silent.stop();
  const silentToken = silent.devices[0]!.token.toLowerCase();
  assert.equal((await b.api('POST', '/v1/enqueue', { ids: [silent.devices[0]!.udid], command: { request_type: 'ProfileList' }, nopush: true })).status, 200);

  await waitFor('every queue drained', async () => {
    for (const udid of everyone) if ((await store.listQueue(udid, { limit: 1 })).length > 0) return null;
    return true;
  }, 60_000);
  // A delivery slower than --webhook-timeout on a loaded machine is retried after a backoff: give it time.
  await waitFor('every webhook delivered', async () => (await store.outboxPending()) === 0 || null, 90_000);
  const figures = await checkLedger(store, ledger, hooks.acks, everyone);
  assert.equal(figures.commands, 36);
  assert.deepEqual([...ledger.delivered].filter(([, n]) => n !== 1), [], 'every command handed to its device exactly once');
  const resultEvents = [...hooks.acks].filter(([k]) => !k.endsWith(' Idle')); // Idle reports are events too
  assert.deepEqual(resultEvents.filter(([, n]) => n !== 1), [], 'every result\'s webhook event delivered once');
  assert.equal(resultEvents.length, 36);
  const pushed = new Map<string, number>();
  for (const p of apns.fake.pushes().slice(pushesBefore)) if (p.token !== silentToken) pushed.set(p.token, (pushed.get(p.token) ?? 0) + 1);
  assert.deepEqual([...pushed].sort(), [...expectedPushes].sort(), 'one push per enqueue and target, from the node that took it');
  assert.ok((balancer.sent.get(a.url) ?? 0) > 0 && (balancer.sent.get(b.url) ?? 0) > 0, 'the moving devices talked to both nodes');

  // The re-push schedule (4 s, then 8 s) is kept by one node: two would push the silent device at once.
  const silentPushes = await waitFor('three re-pushes of the silent device', async () => {
    const ats = apns.fake.pushes({ token: silentToken }).map((p) => p.at);
    return ats.length >= 3 ? ats : null;
  }, 45_000);
  assert.ok(gaps(silentPushes).every((g) => g >= 3000), `re-push gaps ${gaps(silentPushes)} ms: 4 s, then 8 s`);

  // Kill the node holding the re-push lease: the other takes the lease over and serves every device.
  const owner = await leaseOwner('repush');
  assert.ok(owner, 'a node holds the re-push lease');
  const [dead, alive] = owner.split(':')[1] === String(a.child.pid) ? [a, b] : [b, a];
  for (const [i, f] of fleets.entries()) if ([a, b][i] === dead) await f.stop();
  balancer.backends = [alive.url];
  const killedAt = Date.now();
  await dead.kill('SIGKILL');
  const survivors = [...(dead === a ? onB : onA), ...moving];
  const after = new Ledger();
  for (const [i, udid] of survivors.entries()) {
    const res = await alive.api('POST', '/v1/enqueue', { ids: [udid], command: { request_type: COMMANDS[i % COMMANDS.length] } });
    assert.equal(res.status, 200);
    after.accepted.set(((await res.json()) as { command_uuid: string }).command_uuid, [udid]);
  }
  await waitFor('every command after the kill answered', async () => {
    for (const udid of survivors) if ((await store.listQueue(udid, { limit: 1 })).length > 0) return null;
    return true;
  }, 60_000);
  await waitFor('the re-push lease taken over by the surviving node', async () => (await leaseOwner('repush'))?.split(':')[1] === String(alive.child.pid) || null, 30_000);
  await waitFor('the silent device re-pushed by the surviving node', async () => apns.fake.pushes({ token: silentToken }).some((p) => p.at > killedAt) || null, 45_000);
  for (const [uuid, [udid]] of after.accepted) {
    const res = await alive.api('GET', `/v1/commands/${uuid}/results?enrollment_id=${udid}`);
    assert.equal(((await res.json()) as { enrollments: Array<{ status: string }> }).enrollments[0]?.status, 'acknowledged');
    await waitFor(`the webhook event of ${uuid}`, async () => hooks.acks.has(`${udid} ${uuid.toLowerCase()} Acknowledged`) || null, 30_000);
  }
  console.log(`two nodes: ${figures.commands} commands queued across nodes, each delivered once; ${[...expectedPushes.values()].reduce((x, y) => x + y, 0)} pushes for as many enqueues; balancer sent ${[...balancer.sent.values()]} requests to A and B; re-push gaps ${gaps(silentPushes)} ms; lease taken over ${Date.now() - killedAt} ms after the kill at most`);
});
