// Campaign engine behaviour found wrong while building the campaign CLI, each fixed since and guarded here.
// Both backends.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCampaignEngine, type CampaignEngine } from '../../src/osupdate/campaign/index.js';
import { installAction, legacyStep, type StepContext } from '../../src/osupdate/campaign/legacy.js';
import { parseCampaignRequest } from '../../src/osupdate/campaign/spec.js';
import { UnconfiguredPusher } from '../../src/push/unconfigured.js';
import type { Store } from '../../src/storage/types.js';
import { openTestStore } from '../helpers/store.js';

let store: Store;
let engine: CampaignEngine;
const T0 = new Date('2026-12-07T09:00:00Z');
const MACS = Array.from({ length: 20 }, (_, i) => `FIND0000-0000-0000-0000-${String(i).padStart(12, '0')}`);

before(async () => {
  store = await openTestStore();
  const unused = async () => { throw new Error('not used by a dry run or a create'); };
  engine = createCampaignEngine({
    store, pusher: new UnconfiguredPusher(), now: () => T0, pollMs: 1000,
    ddm: { applySet: unused, unassign: unused, deleteSet: unused, deleteDeclaration: unused, sync: unused },
  });
  for (const id of MACS) {
    await store.authenticate({
      id, type: 'Device', deviceId: id, udid: id, topic: 'com.apple.mgmt.test',
      inventory: { platform: 'macOS', model: 'MacBookAir10,1', productName: 'MacBookAir10,1', osVersion: '13.6', buildVersion: '22G120' }, at: T0,
    });
  }
});
after(() => store.close());

test('a dry run shows the waves the campaign then puts each device in', async () => {
  const body = { name: 'waves', select: { enrollment_ids: MACS }, target: { policy: 'latest-minor' }, waves: ['5%', '25%', '100%'] };
  const dry = await engine.create({ ...body, dry_run: true });
  assert.ok('dryRun' in dry);
  const planned = new Map(dry.dryRun.devices.map((d) => [d.deviceId, d.wave]));
  const made = await engine.create(body);
  assert.ok('created' in made);
  const rows = await store.campaignDevices(made.created.campaign.id, { limit: 100 });
  assert.equal(rows.length, MACS.length);
  for (const r of rows) assert.equal(r.wave, planned.get(r.deviceId), `${r.deviceId}: dry run said wave ${planned.get(r.deviceId)! + 1}, the campaign put it in wave ${r.wave + 1}`);
});

test('a ddm_settings payload Apple\'s schema refuses is refused when the campaign is created', async () => {
  const bad = { name: 'settings', select: { enrollment_ids: [MACS[0]] }, target: { version: '26.6.2' }, ddm_settings: { Deferrals: { MajorPeriodInDays: 'ninety' } } };
  await assert.rejects(engine.create({ ...bad, dry_run: true }), (err: Error & { field?: string }) => err.name === 'CampaignInputError' && /^ddm_settings/.test(err.field ?? ''));
});

test('"minimum" where the device decides installs the newest release of its major that meets the floor, not a major upgrade', () => {
  const { spec } = parseCampaignRequest({ name: 'floor', select: { all: true }, target: { policy: 'minimum', version: '13.7' } }, T0);
  const ctx: StepContext = { spec, macos: true, osVersion: '13.6', target: null, now: T0.getTime(), pollMs: 1000, deadline: null, forceRestartOk: true };
  // What a Mac on 13.6 lists (product keys in the shape macOS uses, releases from GDMF 2026-08).
  const offered = [
    { ProductKey: 'MSU_UPDATE_22H730_patch_13.7.8_minor', HumanReadableName: 'macOS Ventura 13.7.8', Version: '13.7.8', Build: '22H730' },
    { ProductKey: 'MSU_UPDATE_24G830_patch_15.7.9_major', HumanReadableName: 'macOS Sequoia 15.7.9', Version: '15.7.9', Build: '24G830', IsMajorOSUpdate: true },
  ];
  const r = legacyStep('listing', { pending: { uuid: 'U1', type: 'AvailableOSUpdates', sentAt: T0.getTime() } },
    { kind: 'result', requestType: 'AvailableOSUpdates', status: 'Acknowledged', body: { AvailableOSUpdates: offered }, error: null }, ctx);
  assert.equal(r.state, 'scheduling');
  assert.equal(r.memory.productKey, 'MSU_UPDATE_22H730_patch_13.7.8_minor', r.reason);
});

test('"install_action": "Default" schedules a Mac\'s update with Default', () => {
  const { spec } = parseCampaignRequest({ name: 'default', select: { all: true }, target: { version: '13.7.8' }, install_action: 'Default' }, T0);
  const ctx: StepContext = { spec, macos: true, osVersion: '13.6', target: { version: '13.7.8', build: '22H730' }, now: T0.getTime(), pollMs: 1000, deadline: null, forceRestartOk: true };
  assert.equal(installAction(ctx, {}), 'Default');
});

test('a "latest-minor" campaign with no catalog ends done once the Mac installs the update it listed', async () => {
  const { startHarness } = await import('../sim/harness.js');
  const { Fleet } = await import('../../src/sim/fleet.js');
  const { ScenarioSchema } = await import('../../src/sim/scenario.js');
  const h = await startHarness({ config: { campaignPollSeconds: 1 } });
  const scenario = ScenarioSchema.parse({
    name: 'minor', clockFactor: 100,
    fleet: [{ platform: 'macos', models: ['Mac14,2'], os: ['14.8.7'], supervised: 1, ade: 1, acPower: 1 }],
    timing: { downloadSeconds: 20, installSeconds: 30 },
  });
  const fleet = await Fleet.start({ server: h.url, count: 1, scenario, wakeUrl: h.fake.wakeUrl, keyPoolSize: 1 });
  try {
    const mac = fleet.devices[0]!;
    const res = await h.api('POST', '/v1/campaigns', { name: 'minor', select: { enrollment_ids: [mac.udid] }, target: { policy: 'latest-minor' } });
    assert.equal(res.status, 201, await res.clone().text());
    const { id } = (await res.json()) as { id: string };
    let d: Record<string, unknown> = {};
    for (let i = 0; i < 300 && mac.osVersion === '14.8.7'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(mac.osVersion, '14.8.9', 'the Mac installed the minor update it listed');
    for (let i = 0; i < 100; i++) {
      d = ((await (await h.api('GET', `/v1/campaigns/${id}/devices`)).json()) as { devices: Array<Record<string, unknown>> }).devices[0]!;
      if (['done', 'blocked', 'failed', 'not_eligible', 'cancelled'].includes(String(d.state))) break; // a loaded machine may still be taking earlier answers
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(d.state, 'done', `${d.state}: ${d.reason}`);
  } finally {
    await fleet.stop();
    await h.close();
  }
});
