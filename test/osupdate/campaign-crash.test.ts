// A server killed with SIGKILL mid-campaign and started again on the same database resumes every
// device where it was: all reach the target, and no command was sent twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Fleet } from '../../src/sim/fleet.js';
import { openStore } from '../../src/storage/index.js';
import { assertNoDuplicates, devices, scenario, serveRig, waitFor } from './campaign-resume.js';
import { freePort, startServeProcess, type ServeProcess } from './serve-process.js';

let server: ServeProcess | null = null;
let fleet: Fleet | null = null;
const rig = serveRig(() => ({ server, fleet }));

test('kill -9 mid-campaign, start again: every device finishes, no command twice', async () => {
  const { database, apns } = rig;
  const port = await freePort();
  const start = () => startServeProcess({ db: database.db, dataDir: database.dataDir, apnsUrl: apns.fake.url, apnsCa: apns.ca, port, args: ['--campaign-poll-seconds', '1'] });
  server = await start();
  assert.equal((await server.api('PUT', '/v1/pushcert', apns.pushcert)).status, 200);
  fleet = await Fleet.start({ server: server.url, count: 8, scenario, wakeUrl: apns.fake.wakeUrl, interval: 2, keyPoolSize: 2 });

  const created = await server.api('POST', '/v1/campaigns', { name: 'crash', select: { all: true }, target: { version: '26.6.2' } });
  assert.equal(created.status, 201, await created.clone().text());
  const { id } = (await created.json()) as { id: string };

  let last: Array<Record<string, unknown>> = [];
  // Kill it while devices are mid-way (scheduled, downloading or installing).
  await waitFor('devices mid-update', async () => {
    const list = await devices(server!.api, id);
    last = list;
    return list.filter((d) => ['scheduling', 'downloading', 'installing'].includes(String(d.state))).length >= 3 ? list : null;
  }).catch((err) => { throw new Error(`${(err as Error).message}: ${JSON.stringify(last.map((d) => [d.state, d.reason]))}`); });
  await server.kill('SIGKILL');
  server = await start();

  const final = await waitFor('every device done', async () => {
    const list = await devices(server!.api, id);
    last = list;
    return list.every((d) => d.state === 'done') ? list : null;
  }).catch((err) => { throw new Error(`${(err as Error).message}: ${JSON.stringify(last.map((d) => [d.state, d.reason]))}`); });
  assert.equal(final.length, 8);
  for (const d of final) assert.match(String(d.reason), /^done: 26\.6\.2 \(25G83\)/);
  assert.ok(fleet.devices.every((d) => d.osVersion === '26.6.2'));

  const store = await openStore({ db: database.db, dataDir: database.dataDir });
  try {
    const sent = await assertNoDuplicates(store, fleet.devices.map((d) => d.udid));
    assert.ok(sent >= 8 * 4, `at least scan, list, schedule and a status poll each (${sent})`);
  } finally {
    await store.close();
  }
});
