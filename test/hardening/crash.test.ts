// kill -9 under load, again and again: a real `updraft serve` process is SIGKILLed at random moments
// while the simulator's devices fetch and answer commands, the API queues more and a webhook receiver
// takes events; it is started again on the same database each time. At the end every command's
// state is checked against what the devices saw (Ledger): nothing queued, answered or emitted is
// lost, and no command is handed again to a device after the server took its final answer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Fleet } from '../../src/sim/fleet.js';
import { ScenarioSchema } from '../../src/sim/scenario.js';
import { Rng } from '../../src/sim/random.js';
import { openStore } from '../../src/storage/index.js';
import { testDatabase } from '../helpers/store.js';
import { fakeApns, waitFor } from '../osupdate/campaign-resume.js';
import { freePort, startServeProcess, type ServeProcess } from '../osupdate/serve-process.js';
import { checkLedger, Ledger, webhookReceiver } from './crash-ledger.js';

const ROUNDS = Number(process.env.UPDRAFT_CRASH_ROUNDS ?? 3);
const DEVICES = 10;
const COMMANDS = ['DeviceInformation', 'SecurityInfo', 'ProfileList', 'CertificateList', 'InstalledApplicationList'];
const scenario = ScenarioSchema.parse({
  name: 'crash', seed: 13, clockFactor: 60,
  fleet: [{ platform: 'macos', models: ['Mac14,2', 'Macmini9,1'], os: ['13.7.8'], supervised: 1, locked: 0.3 }],
  lock: { unlockAfterSeconds: 240 },
});

let database: Awaited<ReturnType<typeof testDatabase>>;
let apns: Awaited<ReturnType<typeof fakeApns>>;
let hooks: Awaited<ReturnType<typeof webhookReceiver>>;
let server: ServeProcess | null = null;
let fleet: Fleet | null = null;

before(async () => {
  database = await testDatabase();
  apns = await fakeApns(database.dataDir);
  hooks = await webhookReceiver();
});
after(async () => {
  await fleet?.stop();
  await server?.kill('SIGTERM');
  await hooks.close();
  await apns.fake.close();
  await database.remove();
});

test(`kill -9 under load, ${ROUNDS} rounds: no command, result or webhook event lost, nothing handed again after its answer`, async () => {
  const rng = new Rng(ROUNDS * 7919);
  const port = await freePort();
  const start = () => startServeProcess({
    db: database.db, dataDir: database.dataDir, apnsUrl: apns.fake.url, apnsCa: apns.ca, port,
    args: ['--webhook-url', hooks.url, '--webhook-timeout', '1', '--ddm-auto', 'off', '--inventory-interval', '0', '--repush-interval', '2'],
  });
  server = await start();
  assert.equal((await server.api('PUT', '/v1/pushcert', apns.pushcert)).status, 200);
  const ledger = new Ledger();
  fleet = await Fleet.start({
    server: server.url, count: DEVICES, scenario, wakeUrl: apns.fake.wakeUrl, interval: 1, keyPoolSize: 2,
    onDelivered: (d, uuid) => ledger.onDelivered(d.udid, uuid),
    onAnswered: (d, uuid, status) => ledger.onAnswered(d.udid, uuid, status),
    onError: () => undefined, // the server is down now and then: the device tries again at its next poll
  });
  const udids = fleet.devices.map((d) => d.udid);

  // Queue commands for random devices, all the time, through whichever server process is up.
  let queueing = true;
  const queuer = (async () => {
    while (queueing) {
      const ids = [rng.pick(udids), rng.pick(udids)].filter((v, i, a) => a.indexOf(v) === i);
      const body = { ids, command: { request_type: rng.pick(COMMANDS) } };
      const res = await server!.api('POST', '/v1/enqueue', body).catch(() => null);
      if (res?.ok) {
        const { command_uuid } = (await res.json()) as { command_uuid: string };
        ledger.accepted.set(command_uuid, ids);
      }
      await new Promise((r) => setTimeout(r, 40));
    }
  })();

  let survived = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const before = ledger.accepted.size;
    await new Promise((r) => setTimeout(r, rng.int(500, 2500)));
    // Under load, not merely during a restart: on a slow machine a restart can take most of that time.
    await waitFor('commands accepted before the kill', async () => (ledger.accepted.size >= before + 5 ? true : null), 60_000);
    await server.kill('SIGKILL');
    server = await start();
    survived++;
  }
  queueing = false;
  await queuer;

  // Let every device finish its queue and every event reach the receiver.
  const store = await openStore({ db: database.db, dataDir: database.dataDir });
  try {
    await waitFor('every queue drained', async () => {
      for (const udid of udids) if ((await store.listQueue(udid, { limit: 1 })).length > 0) return null;
      return true;
    }, 60_000);
    await waitFor('every webhook delivered', async () => (await store.outboxPending()) === 0 ? true : null, 30_000).catch(() => undefined);
    const figures = await waitFor('the ledger holds', async () => {
      try {
        return await checkLedger(store, ledger, hooks.acks, udids);
      } catch {
        return null;
      }
    }, 30_000).catch(() => checkLedger(store, ledger, hooks.acks, udids)); // the last attempt's assertion is the failure
    console.log(`crash: ${survived} kill -9 rounds survived; ${figures.commands} commands accepted, ${figures.results} results taken, ${ledger.delivered.size} deliveries, ${figures.webhookDuplicates} webhook events delivered twice (at least once by design)`);
    assert.ok(figures.commands >= ROUNDS * 5, `load: ${figures.commands} commands`);
  } finally {
    await store.close();
  }
});
