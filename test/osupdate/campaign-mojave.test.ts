// The seed post's Mojave upgrade (MicroMDM blog, 2018-10-16) run by a campaign with no hand-sent
// command: the engine installs the Installer Notification, scans again, schedules the major upgrade,
// reports the stalled download on battery, re-sends ScheduleOSUpdate once downloaded, and confirms
// 10.14 (18A391) after the restart, each command sent once per step.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Fleet } from '../../src/sim/fleet.js';
import { loadScenario } from '../../src/sim/scenario.js';
import { startHarness, type Harness } from '../sim/harness.js';

let h: Harness;
let fleet: Fleet;
const sent: string[] = [];

before(async () => {
  h = await startHarness({ config: { campaignPollSeconds: 1 } });
  fleet = await Fleet.start({
    server: h.url, count: 1, scenario: loadScenario('mojave-2018'), clockFactor: 100, wakeUrl: h.fake.wakeUrl, keyPoolSize: 1,
    onResult: (_d, rt) => { sent.push(rt); },
  });
});
after(async () => {
  await fleet.stop();
  await h.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function device(id: string): Promise<Record<string, unknown>> {
  const res = await h.api('GET', `/v1/campaigns/${id}/devices`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { devices: Array<Record<string, unknown>> }).devices[0]!;
}

async function until(id: string, what: string, ok: (d: Record<string, unknown>) => boolean, ms = 20_000): Promise<Record<string, unknown>> {
  const end = Date.now() + ms;
  let d = await device(id);
  while (!ok(d)) {
    if (Date.now() > end) assert.fail(`${what}: device is ${d.state} (${d.reason})`);
    await sleep(100);
    d = await device(id);
  }
  return d;
}

test('a campaign takes the seed\'s Mac to 10.14 (18A391) by itself', async () => {
  const mac = fleet.devices[0]!;
  await fleet.reenroll(mac, { ade: true, supervised: true }); // the seed: "We need a DEP enrollment"
  sent.length = 0;

  const created = await h.api('POST', '/v1/campaigns', { name: 'Mojave', select: { enrollment_ids: [mac.udid] }, target: { version: '10.14' } });
  assert.equal(created.status, 201, await created.clone().text());
  const c = (await created.json()) as { id: string; state: string; counts: Record<string, number> };
  assert.equal(c.state, 'running');
  assert.deepEqual(c.counts, { pending: 1 });

  const stalled = await until(c.id, 'stall on battery', (d) => /AC power/.test(String(d.reason)));
  assert.equal(stalled.state, 'downloading');
  assert.equal(stalled.path, 'legacy');
  assert.equal(mac.osVersion, '10.12.6');

  fleet.setPower(mac, true);
  const done = await until(c.id, 'done', (d) => d.state === 'done');
  assert.equal(done.reason, 'done: 10.14 (18A391)');
  assert.equal(done.os_version, '10.14');
  assert.equal(done.build_version, '18A391');
  assert.equal(mac.osVersion, '10.14');

  // The protocol's fewest commands for this Mac, and no step sent twice.
  const count = (rt: string) => sent.filter((x) => x === rt).length;
  assert.equal(count('ScheduleOSUpdateScan'), 2, `scans: ${sent.join(' ')}`);
  assert.equal(count('AvailableOSUpdates'), 2);
  assert.equal(count('ScheduleOSUpdate'), 3, 'notification, the upgrade, and the re-send that starts the install');
  assert.ok(count('DeviceInformation') >= 1);

  let campaign = { state: '', counts: {} as Record<string, number> };
  for (let i = 0; i < 50 && campaign.state !== 'done'; i++) {
    await sleep(100);
    campaign = (await (await h.api('GET', `/v1/campaigns/${c.id}`)).json()) as typeof campaign;
  }
  assert.equal(campaign.state, 'done', 'the campaign ends once its devices have');
  assert.deepEqual(campaign.counts, { done: 1 });
});
