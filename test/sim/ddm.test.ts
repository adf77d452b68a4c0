// DDM end to end: a supervised Mac on macOS 26.5 gets a software update enforcement through the
// server's declaration API; it syncs (tokens, declaration-items, each declaration), reports
// install-state through downloading → prepared → installing, installs at TargetLocalDateTime in its
// own time zone, comes back on 26.6.2 and reports it; legacy ScheduleOSUpdate is refused meanwhile.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Fleet } from '../../src/sim/fleet.js';
import { ScenarioSchema } from '../../src/sim/scenario.js';
import type { CommandResult } from '../../src/sim/result.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
let fleet: Fleet;
const results: Array<{ rt: string; result: CommandResult }> = [];
const scenario = ScenarioSchema.parse({
  name: 'ddm-test', seed: 7, clockFactor: 200,
  fleet: [{ platform: 'macos', models: ['Mac15,12'], os: ['26.5'], utcOffsetHours: [9] }],
  timing: { downloadSeconds: 60, prepareSeconds: 30, installSeconds: 120 },
});

before(async () => {
  h = await startHarness();
  fleet = await Fleet.start({ server: h.url, count: 1, scenario, wakeUrl: h.fake.wakeUrl, keyType: 'ec', keyPoolSize: 1, onResult: (_d, rt, result) => results.push({ rt, result }) });
});
after(async () => {
  await fleet.stop();
  await h.close();
});

const until = async (what: string, ok: () => boolean | Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

test('an enforcement declaration walks the Mac to the target version at its local time', async () => {
  const mac = fleet.devices[0];
  const seen = new Set<string>();
  const watch = setInterval(() => seen.add(mac.ddm.installState), 5);
  // The target time, in the Mac's own zone (UTC+9), 10 simulated minutes from now.
  const local = new Date(fleet.now() + 9 * 3_600_000 + 600_000).toISOString().slice(0, 19);
  const decls = [
    { Type: 'com.apple.configuration.softwareupdate.enforcement.specific', Identifier: 'sim.test.enforce', Payload: { TargetOSVersion: '26.6.2', TargetLocalDateTime: local } },
    { Type: 'com.apple.configuration.management.status-subscriptions', Identifier: 'sim.test.subs', Payload: { StatusItems: [{ Name: 'softwareupdate.install-state' }, { Name: 'softwareupdate.pending-version' }, { Name: 'device.operating-system.version' }] } },
    { Type: 'com.apple.activation.simple', Identifier: 'sim.test.activation', Payload: { StandardConfigurations: ['sim.test.enforce', 'sim.test.subs'] } },
  ];
  for (const d of decls) assert.ok((await h.api('PUT', '/v1/ddm/declarations', d)).ok);
  assert.ok((await h.api('POST', '/v1/ddm/sets/sim-test/declarations', { add: decls.map((d) => d.Identifier) })).ok);
  assert.ok((await h.api('PUT', `/v1/ddm/sets/sim-test/enrollments/${mac.udid}`)).ok);

  await until('the enforcement', () => mac.ddm.pending?.version === '26.6.2');
  assert.equal(mac.ddm.pending?.targetLocalDateTime, local);
  await h.enqueue([mac.udid], { request_type: 'ScheduleOSUpdate', updates: [{ product_key: 'MSU_UPDATE_25G83_patch_26.6.2_minor', install_action: 'InstallASAP' }] });
  await until('the legacy refusal', () => results.some((r) => r.rt === 'ScheduleOSUpdate'));
  assert.equal(results.find((r) => r.rt === 'ScheduleOSUpdate')!.result.status, 'Error');

  await until('the new OS', () => mac.osVersion === '26.6.2');
  clearInterval(watch);
  for (const state of ['downloading', 'prepared', 'waiting', 'installing']) assert.ok(seen.has(state), `went through ${state}: ${[...seen]}`);
  const view = async () => JSON.stringify(await (await h.api('GET', `/v1/ddm/enrollments/${mac.udid}/status?prefix=device.operating-system`)).json());
  await until('the new version reported to the server', async () => (await view()).includes('26.6.2') && mac.ddm.reported['device.operating-system.version'] === '26.6.2');
});
