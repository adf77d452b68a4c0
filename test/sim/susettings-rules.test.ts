// How a device combines several softwareupdate.settings declarations and which keys it applies
// (no server needed: the end-to-end behaviour is in susettings.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newDevice, type DeviceState } from '../../src/sim/device.js';
import { Rng } from '../../src/sim/random.js';
import { ScenarioSchema } from '../../src/sim/scenario.js';
import { automatic, betaProgram, settingsOf, SETTINGS, validity } from '../../src/sim/susettings.js';

function device(platform: 'macos' | 'ios', os: string, supervised = true, payloads: Array<Record<string, unknown>> = []): DeviceState {
  const group = ScenarioSchema.parse({ name: 't', fleet: [{ platform, os: [os], models: [platform === 'macos' ? 'Mac15,12' : 'iPhone16,1'], supervised: supervised ? 1 : 0, ade: supervised ? 1 : 0 }] }).fleet[0];
  const d = newDevice(0, group, new Rng(1), 0);
  const ids = payloads.map((_, i) => `s${i}`);
  payloads.forEach((payload, i) => { d.ddm.declarations[ids[i]] = { type: SETTINGS, kind: 'configuration', serverToken: `t${i}`, payload }; });
  d.ddm.declarations.act = { type: 'com.apple.activation.simple', kind: 'activation', serverToken: 'a', payload: { StandardConfigurations: ids } };
  return d;
}

test('several declarations combine by the schema rules: deferral max, AlwaysOff over AlwaysOn, booleans and', () => {
  const d = device('macos', '26.5', true, [
    { Deferrals: { MinorPeriodInDays: 10, MajorPeriodInDays: 60 }, AutomaticActions: { InstallOSUpdates: 'AlwaysOn' }, Notifications: true },
    { Deferrals: { MinorPeriodInDays: 30 }, AutomaticActions: { InstallOSUpdates: 'AlwaysOff' }, Notifications: false },
  ]);
  const s = settingsOf(d)!;
  assert.deepEqual(s.deferrals, { combined: 0, major: 60, minor: 30, system: 0 });
  assert.equal(s.installOS, 'AlwaysOff');
  assert.equal(s.notifications, false);
  assert.deepEqual(automatic(d, s, ScenarioSchema.parse({ name: 't', fleet: [{ platform: 'macos', os: ['26.5'] }] })), { download: false, installOS: false, installSecurity: false });
});

test('keys a platform lacks are ignored; an unsupervised iPhone ignores the supervised-only ones', () => {
  const mac = settingsOf(device('macos', '26.5', true, [{ Deferrals: { CombinedPeriodInDays: 20 }, RecommendedCadence: 'Newest' }]))!;
  assert.equal(mac.deferrals.combined, 0, 'CombinedPeriodInDays is iOS only');
  assert.equal(mac.cadence, 'All', 'RecommendedCadence is iOS only');
  const supervised = settingsOf(device('ios', '18.7.8', true, [{ Deferrals: { CombinedPeriodInDays: 20, MinorPeriodInDays: 5 } }]))!;
  assert.deepEqual(supervised.deferrals, { combined: 20, major: 0, minor: 0, system: 0 });
  const byod = settingsOf(device('ios', '18.7.8', false, [{ Deferrals: { CombinedPeriodInDays: 20 }, RecommendedCadence: 'Oldest' }]))!;
  assert.equal(byod.deferrals.combined, 0, 'deferrals need supervision on iOS');
  assert.equal(byod.cadence, 'Oldest');
});

test('the reasons a device gives: unknown type on an older OS, bad values, an unsupervised Mac', () => {
  const old = device('ios', '17.7.11');
  assert.equal(validity(old, SETTINGS, {})[0].code, 'Error.UnknownDeclarationType');
  assert.equal(settingsOf(device('ios', '17.7.11', true, [{ RecommendedCadence: 'Newest' }])), null, 'an invalid declaration does nothing');
  const mac = device('macos', '26.5');
  assert.deepEqual(validity(mac, SETTINGS, { Deferrals: { MinorPeriodInDays: 120 }, AutomaticActions: { Download: 'Sometimes' } })[0].details, { InvalidKeys: ['Deferrals.MinorPeriodInDays', 'AutomaticActions.Download'] });
  assert.deepEqual(validity(mac, SETTINGS, { Deferrals: { MinorPeriodInDays: 90 } }), []);
  const unsupervisedMac = device('macos', '26.5', false);
  assert.equal(validity(unsupervisedMac, SETTINGS, {})[0].code, 'Error.ConfigurationCannotBeApplied');
});

test('beta: AlwaysOn with a required program enrolls the iPhone in it; AlwaysOff in none', () => {
  const program = { Description: 'Acme iOS Seeds', Token: 'tok' };
  assert.equal(betaProgram(settingsOf(device('ios', '18.7.8', true, [{ Beta: { ProgramEnrollment: 'AlwaysOn', RequireProgram: program } }]))!), 'Acme iOS Seeds');
  assert.equal(betaProgram(settingsOf(device('ios', '18.7.8', true, [{ Beta: { ProgramEnrollment: 'AlwaysOn', RequireProgram: program } }, { Beta: { ProgramEnrollment: 'AlwaysOff' } }]))!), '');
});
