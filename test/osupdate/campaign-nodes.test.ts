// Two `updraft serve` processes on one database run one campaign: each device talks to one node, both
// nodes' timers move the devices, and every device reaches the target with no command sent twice.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Fleet } from '../../src/sim/fleet.js';
import { openStore } from '../../src/storage/index.js';
import { testDatabase } from '../helpers/store.js';
import { assertNoDuplicates, devices, fakeApns, scenario, waitFor } from './campaign-resume.js';
import { startServeProcess, type ServeProcess } from './serve-process.js';

let database: Awaited<ReturnType<typeof testDatabase>>;
let apns: Awaited<ReturnType<typeof fakeApns>>;
const nodes: ServeProcess[] = [];
const fleets: Fleet[] = [];

before(async () => {
  database = await testDatabase();
  apns = await fakeApns(database.dataDir);
});
after(async () => {
  for (const f of fleets) await f.stop();
  for (const n of nodes) await n.kill('SIGTERM');
  await apns.fake.close();
  await database.remove();
});

test('two server processes on one database run one campaign without duplicates', async () => {
  const start = () => startServeProcess({ db: database.db, dataDir: database.dataDir, apnsUrl: apns.fake.url, apnsCa: apns.ca, args: ['--campaign-poll-seconds', '1'] });
  // The first node makes the CA and migrates; the second shares its data dir and database.
  nodes.push(await start());
  nodes.push(await start());
  const [a, b] = nodes as [ServeProcess, ServeProcess];
  assert.equal((await a.api('PUT', '/v1/pushcert', apns.pushcert)).status, 200);
  fleets.push(await Fleet.start({ server: a.url, count: 4, scenario, wakeUrl: apns.fake.wakeUrl, interval: 2, keyPoolSize: 2 }));
  fleets.push(await Fleet.start({ server: b.url, count: 4, offset: 4, scenario, wakeUrl: apns.fake.wakeUrl, interval: 2, keyPoolSize: 2 }));

  const created = await b.api('POST', '/v1/campaigns', { name: 'two nodes', select: { all: true }, target: { version: '26.6.2' } });
  assert.equal(created.status, 201, await created.clone().text());
  const { id, devices: count } = (await created.json()) as { id: string; devices: number };
  assert.equal(count, 8);

  let last: Array<Record<string, unknown>> = [];
  const final = await waitFor('every device done', async () => {
    last = await devices(a.api, id);
    return last.every((d) => d.state === 'done') ? last : null;
  }).catch((err) => { throw new Error(`${(err as Error).message}: ${JSON.stringify(last.map((d) => [d.state, d.reason]))}`); });
  assert.equal(final.length, 8);
  const all = fleets.flatMap((f) => f.devices);
  assert.ok(all.every((d) => d.osVersion === '26.6.2'));

  const store = await openStore({ db: database.db, dataDir: database.dataDir });
  try {
    await assertNoDuplicates(store, all.map((d) => d.udid));
  } finally {
    await store.close();
  }
  const seen = (await (await b.api('GET', `/v1/campaigns/${id}`)).json()) as { state: string };
  assert.ok(seen.state === 'done' || seen.state === 'running', 'both nodes see the one campaign');
});
