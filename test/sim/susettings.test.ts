// softwareupdate.settings end to end: declarations go through the server's API and sync to
// simulated Macs and iPhones, which change what they do. AutomaticActions InstallOSUpdates AlwaysOn
// updates a Mac by itself to the newest minor (install-reason auto-update); a 30-day deferral hides
// a release 10 simulated days old but not one 40 days old; AlwaysOff keeps a Mac put whose user
// turned automatic updates on; an enforcement still installs a deferred release; a Mac on macOS 14
// reports the declaration invalid (Error.UnknownDeclarationType); RecommendedCadence picks the offer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlistDict } from '../../src/plist/index.js';
import type { DeviceState } from '../../src/sim/device.js';
import { Fleet } from '../../src/sim/fleet.js';
import type { CommandResult } from '../../src/sim/result.js';
import { ScenarioSchema } from '../../src/sim/scenario.js';
import { startHarness, type Harness } from './harness.js';

const START = Date.parse('2026-08-27T12:00:00Z');
const daysAgo = (n: number) => new Date(START - n * 86_400_000).toISOString().slice(0, 10);
const timing = { downloadSeconds: 600, prepareSeconds: 300, installSeconds: 1200, autoCheckSeconds: 3600 };
const mac = (seed: number, os: string, extra: Record<string, unknown> = {}, quirks: Record<string, number> = {}) => ScenarioSchema.parse({
  name: `settings-${seed}`, seed, clockFactor: 1000, start: new Date(START).toISOString(), timing, quirks,
  fleet: [{ platform: 'macos', models: ['Mac15,12'], os: [os], ...extra }],
  catalog: {
    macos: [
      { version: '26.6', build: '25G72', released: daysAgo(40) },
      { version: '26.6.2', build: '25G83', released: daysAgo(10) },
      { version: '27.0', build: '26A5000', released: daysAgo(60) },
    ],
  },
});

let h: Harness;
const fleets: Fleet[] = [];
let macs: Fleet; // three Macs on 26.5, automatic updates left to policy (their users did not turn them on)
let keen: Fleet; // two Macs on 26.5 on battery whose users turned automatic downloads and installs on
let sonoma: Fleet; // a Mac on macOS 14
let phones: Fleet; // an iPhone on iOS 18
const results: Array<{ udid: string; rt: string; result: CommandResult }> = [];

before(async () => {
  h = await startHarness();
  const start = async (scenario: ReturnType<typeof mac>, count: number) => {
    const f = await Fleet.start({ server: h.url, count, scenario, wakeUrl: h.fake.wakeUrl, keyType: 'ec', keyPoolSize: 1, onResult: (d, rt, result) => results.push({ udid: d.udid, rt, result }) });
    fleets.push(f);
    return f;
  };
  macs = await start(mac(31, '26.5'), 3);
  keen = await start(mac(32, '26.5', { acPower: 0 }, { userAutoDownload: 1, userAutoInstall: 1 }), 2);
  sonoma = await start(mac(33, '14.8.7'), 1);
  phones = await start(ScenarioSchema.parse({ name: 'settings-ios', seed: 34, clockFactor: 1000, start: new Date(START).toISOString(), timing, fleet: [{ platform: 'ios', models: ['iPhone16,1'], os: ['18.7.8'] }] }), 1);
});
after(async () => {
  for (const f of fleets) await f.stop();
  await h.close();
});

const until = async (what: string, ok: () => boolean | Promise<boolean>, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** Puts declarations (plus an activation of them) in a set of their own and assigns it to the device. */
async function assign(d: DeviceState, set: string, configs: Array<{ Type: string; Identifier: string; Payload: Record<string, unknown> }>): Promise<void> {
  const decls = [...configs, { Type: 'com.apple.activation.simple', Identifier: `${set}.activation`, Payload: { StandardConfigurations: configs.map((c) => c.Identifier) } }];
  for (const decl of decls) {
    const res = await h.api('PUT', '/v1/ddm/declarations', decl);
    assert.ok(res.ok, `PUT ${decl.Identifier}: ${res.status} ${await res.text()}`);
  }
  assert.ok((await h.api('POST', `/v1/ddm/sets/${set}/declarations`, { add: decls.map((x) => x.Identifier) })).ok);
  assert.ok((await h.api('PUT', `/v1/ddm/sets/${set}/enrollments/${d.udid}`)).ok);
  await until(`${set} synced to the device`, () => decls.every((x) => d.ddm.declarations[x.Identifier]));
}
const settings = (id: string, Payload: Record<string, unknown>) => ({ Type: 'com.apple.configuration.softwareupdate.settings', Identifier: id, Payload });

/** Sends a command through the API and waits for this device's answer. */
async function send(d: DeviceState, requestType: string, payload: Record<string, unknown> = {}): Promise<CommandResult> {
  const seen = results.length;
  await h.enqueue([d.udid], { request_type: requestType, ...payload });
  await until(`${requestType} answered`, () => results.slice(seen).some((r) => r.udid === d.udid && r.rt === requestType));
  return results.slice(seen).find((r) => r.udid === d.udid && r.rt === requestType)!.result;
}
const offeredVersions = async (d: DeviceState) =>
  ((await send(d, 'AvailableOSUpdates')).body!.AvailableOSUpdates as PlistDict[]).map((i) => String(i.Version));

async function history(d: DeviceState, name: string): Promise<unknown[]> {
  const res = await h.api('GET', `/v1/ddm/enrollments/${d.udid}/status/history?name=${name}`);
  return ((await res.json()) as { history: Array<{ value: unknown }> }).history.map((x) => x.value);
}

test('InstallOSUpdates AlwaysOn: the Mac updates itself to the newest minor and reports auto-update', async () => {
  const d = macs.devices[0];
  assert.equal(d.ddm.installState, 'none', 'no automatic update before the policy');
  await assign(d, 'auto-on', [settings('auto-on.settings', { AutomaticActions: { InstallOSUpdates: 'AlwaysOn' } })]);
  await until('26.6.2 installed by the Mac itself', () => d.osVersion === '26.6.2');
  assert.equal(d.build, '25G83');
  await until('install-reason auto-update reported', async () => (await history(d, 'softwareupdate.install-reason')).some((v) => JSON.stringify(v) === '{"reason":["auto-update"]}'));
  await until('the new version reported', async () => (await history(d, 'device.operating-system.version')).includes('26.6.2'));
  assert.equal(d.ddm.reported['softwareupdate.device-id'], 'J613AP', 'macOS 15+ reports the board ID');
  const info = (await send(d, 'DeviceInformation', { queries: ['OSUpdateSettings', 'SoftwareUpdateSettings'] })).body!.QueryResponses as PlistDict;
  assert.equal((info.OSUpdateSettings as PlistDict).AutomaticOSInstallationEnabled, true, 'DeviceInformation shows the enforced setting');
  assert.equal(d.osVersion, '26.6.2', 'no major upgrade by itself');
});

test('a 30-day minor deferral hides the release 10 days old, not the one 40 days old; an enforcement still installs it', async () => {
  const d = macs.devices[1];
  assert.ok((await offeredVersions(d)).includes('26.6.2'), 'offered without a deferral');
  await assign(d, 'defer', [settings('defer.settings', { Deferrals: { MinorPeriodInDays: 30 } })]);
  const versions = await offeredVersions(d);
  assert.ok(versions.includes('26.6'), `40 days old: offered (${versions})`);
  assert.ok(!versions.includes('26.6.2'), `10 days old: hidden (${versions})`);
  assert.ok(versions.includes('26A5000'), 'the major is not deferred by MinorPeriodInDays');
  assert.equal(d.osVersion, '26.5');

  const local = new Date(macs.now() + 600_000).toISOString().slice(0, 19); // UTC+0 device, 10 simulated minutes on
  const enforcement = { Type: 'com.apple.configuration.softwareupdate.enforcement.specific', Identifier: 'defer.enforce', Payload: { TargetOSVersion: '26.6.2', TargetLocalDateTime: local } };
  await assign(d, 'defer-enforce', [enforcement]);
  await until('the enforcement installs the deferred release', () => d.osVersion === '26.6.2');
  await until('install-reason declaration reported', async () =>
    (await history(d, 'softwareupdate.install-reason')).some((v) => JSON.stringify(v) === '{"reason":["declaration"],"declaration-id":"defer.enforce"}'));
});

test('a deferral with automatic installs: the Mac takes the newest release that is not deferred', async () => {
  const d = macs.devices[2];
  await assign(d, 'defer-auto', [settings('defer-auto.settings', { Deferrals: { MinorPeriodInDays: 30 }, AutomaticActions: { InstallOSUpdates: 'AlwaysOn' } })]);
  await until('26.6 installed', () => d.osVersion === '26.6');
  await new Promise((r) => setTimeout(r, 4000)); // past an automatic check (3600 simulated seconds)
  assert.equal(d.osVersion, '26.6', '26.6.2 stays deferred');
});

test('AlwaysOff keeps a Mac put whose user turned automatic updates on; without it the same Mac updates', async () => {
  const [off, control] = keen.devices;
  await until('both started an automatic download, waiting for power', () => off.ddm.installState === 'downloading' && control.ddm.installState === 'downloading');
  await assign(off, 'always-off', [settings('always-off.settings', { AutomaticActions: { Download: 'AlwaysOff', InstallOSUpdates: 'AlwaysOff' } })]);
  await until('AlwaysOff stops the download', () => off.ddm.installState === 'none' && off.ddm.pending === null);
  const seen = new Set<string>();
  const watch = setInterval(() => seen.add(off.ddm.installState), 5);
  keen.setPower(off, true);
  keen.setPower(control, true);
  await until('the control Mac updates itself', () => control.osVersion === '26.6.2');
  await new Promise((r) => setTimeout(r, 4000)); // and past an automatic check
  clearInterval(watch);
  assert.equal(off.osVersion, '26.5');
  assert.deepEqual([...seen], ['none'], 'never downloaded nor installed');
  const info = (await send(off, 'DeviceInformation', { queries: ['OSUpdateSettings'] })).body!.QueryResponses as PlistDict;
  assert.equal((info.OSUpdateSettings as PlistDict).AutomaticOSInstallationEnabled, false);
});

test('macOS 14 does not know softwareupdate.settings: invalid with the reason, and no effect', async () => {
  const d = sonoma.devices[0];
  await assign(d, 'sonoma', [settings('sonoma.settings', { AutomaticActions: { InstallOSUpdates: 'AlwaysOn' } })]);
  const status = async () => {
    const view = (await (await h.api('GET', `/v1/ddm/enrollments/${d.udid}`)).json()) as { declarations: Array<{ identifier: string; status: { valid: string; active: boolean; reasons: Array<{ code: string }> | null } | null }> };
    return view.declarations.find((x) => x.identifier === 'sonoma.settings')?.status;
  };
  await until('the declaration status reported', async () => (await status())?.valid === 'invalid');
  const s = (await status())!;
  assert.equal(s.active, false);
  assert.equal(s.reasons?.[0].code, 'Error.UnknownDeclarationType');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(d.osVersion, '14.8.7');
  assert.equal(d.ddm.installState, 'none');
  assert.ok(!('softwareupdate.device-id' in d.ddm.reported), 'macOS 14 has no softwareupdate.device-id');
});

test('RecommendedCadence: an iPhone offered two versions shows all, the oldest or the newest', async () => {
  const d = phones.devices[0];
  assert.deepEqual((await offeredVersions(d)).sort(), ['18.7.10', '26.6.1']);
  await assign(d, 'oldest', [settings('cadence.settings', { RecommendedCadence: 'Oldest' })]);
  assert.deepEqual(await offeredVersions(d), ['18.7.10']);
  const info = (await send(d, 'DeviceInformation', { queries: ['OSUpdateSettings', 'SoftwareUpdateSettings'] })).body!.QueryResponses as PlistDict;
  assert.deepEqual(info.SoftwareUpdateSettings, { RecommendationsCadence: 1 });
  assert.ok((await h.api('PUT', '/v1/ddm/declarations', settings('cadence.settings', { RecommendedCadence: 'Newest' }))).ok);
  await until('the change synced', () => d.ddm.declarations['cadence.settings']?.payload.RecommendedCadence === 'Newest');
  assert.deepEqual(await offeredVersions(d), ['26.6.1']);
});
