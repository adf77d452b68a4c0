// Waves and a maintenance window on a simulated clock shared by server and devices: nothing starts
// before the window opens, the second wave waits until the first is done, and then everyone updates.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Fleet } from '../../src/sim/fleet.js';
import { ScenarioSchema } from '../../src/sim/scenario.js';
import { localClock } from '../../src/osupdate/campaign/window.js';
import { startHarness, type Harness } from '../sim/harness.js';

const FACTOR = 1200;
const t0 = Date.now();
const clock = () => new Date(t0 + (Date.now() - t0) * FACTOR);
let h: Harness;
let fleet: Fleet;

before(async () => {
  h = await startHarness({ config: { campaignPollSeconds: 300 }, clock, campaignTickMs: 100 });
  const scenario = ScenarioSchema.parse({
    name: 'waves', seed: 11, clockFactor: FACTOR, start: new Date(t0).toISOString(),
    fleet: [{ platform: 'macos', models: ['Mac14,2', 'Macmini9,1'], os: ['13.7.8'], supervised: 1, ade: 1, acPower: 1 }],
    timing: { downloadSeconds: 600, installSeconds: 900 },
  });
  fleet = await Fleet.start({ server: h.url, count: 6, scenario, clockFactor: FACTOR, wakeUrl: h.fake.wakeUrl, keyPoolSize: 2 });
});
after(async () => {
  await fleet?.stop();
  await h?.close();
});

type Row = { enrollment_id: string; state: string; reason: string; wave: number };
const rows = async (id: string): Promise<Row[]> => ((await (await h.api('GET', `/v1/campaigns/${id}/devices`)).json()) as { devices: Row[] }).devices;

test('a window that opens later holds everyone; wave 2 waits for wave 1', async () => {
  // A daily window opening two simulated hours from now (UTC), four hours long.
  const open = localClock(new Date(clock().getTime() + 2 * 3600_000), 'UTC');
  const start = open.minute;
  const hh = (m: number) => `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  const window = `daily ${hh(start)}-${hh(start + 240)} UTC`;
  const created = await h.api('POST', '/v1/campaigns', { name: 'waves', select: { all: true }, target: { version: '26.6.2' }, waves: ['50%', '100%'], window, promotion: { success_rate: 1 } });
  assert.equal(created.status, 201, await created.clone().text());
  const { id } = (await created.json()) as { id: string };

  // About half a simulated hour; on a loaded machine the timer may need longer to look at every device.
  let list: Row[] = [];
  for (const until = Date.now() + 4000; ;) {
    await new Promise((r) => setTimeout(r, 500));
    list = await rows(id);
    if (Date.now() > until || list.filter((r) => r.wave === 1).every((r) => /outside the maintenance window/.test(r.reason))) break;
  }
  assert.ok(list.every((r) => r.state === 'pending'), JSON.stringify(list.map((r) => r.state)));
  assert.ok(list.filter((r) => r.wave === 1).every((r) => /outside the maintenance window/.test(r.reason)), JSON.stringify(list.map((r) => r.reason)));
  assert.deepEqual(list.map((r) => r.wave).sort(), [1, 1, 1, 2, 2, 2]);

  // Once the window opens, wave 1 moves while wave 2 waits for it.
  const end = Date.now() + 90_000;
  let sawWaiting = false;
  for (;;) {
    list = await rows(id);
    const w1 = list.filter((r) => r.wave === 1);
    const w2 = list.filter((r) => r.wave === 2);
    if (w1.some((r) => r.state !== 'pending') && !w1.every((r) => r.state === 'done')) {
      assert.ok(w2.every((r) => r.state === 'pending'), `wave 2 started before wave 1 finished: ${JSON.stringify(w2)}`);
      if (w2.some((r) => /waiting for wave 2/.test(r.reason))) sawWaiting = true;
    }
    if (list.every((r) => r.state === 'done')) break;
    assert.ok(Date.now() < end, `not done: ${JSON.stringify(list.map((r) => [r.wave, r.state, r.reason]))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(sawWaiting, 'wave 2 devices said they wait for wave 2');
  const c = (await (await h.api('GET', `/v1/campaigns/${id}`)).json()) as { wave: number };
  assert.equal(c.wave, 2);
});
