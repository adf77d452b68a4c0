// The catalog generated from Apple's schema: what it says about the commands an OS-update server relies on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandSpec, listCommands, osSupport, unsupportedReason, unsupportedKeys, compareVersions } from '../../src/commands/index.js';
import type { CommandSpec, KeySpec } from '../../src/commands/index.js';
import type { PlistDict } from '../../src/plist/index.js';
import { renderCatalog, renderDescriptions } from '../../scripts/gen-commands.js';
import { repoRoot, sharedDir } from '../helpers/fixtures.js';

function spec(requestType: string): CommandSpec {
  const s = commandSpec(requestType);
  assert.ok(s, `${requestType} is in the catalog`);
  return s;
}

function key(keys: readonly KeySpec[] | undefined, name: string): KeySpec {
  const k = keys?.find((x) => x.key === name);
  assert.ok(k, `key ${name}`);
  return k;
}

test('the catalog holds every command of the schema release, each once', () => {
  const types = listCommands().map((c) => c.requestType);
  assert.equal(types.length, 66);
  assert.equal(new Set(types).size, types.length);
  for (const t of ['DeviceInformation', 'InstallProfile', 'ScheduleOSUpdate', 'DeclarativeManagement', 'Settings']) {
    assert.ok(types.includes(t), t);
  }
  assert.equal(commandSpec('NoSuchCommand'), undefined);
});

test('ScheduleOSUpdate: device channel only, forbidden on User Enrollment, supervised, InstallAction rangelist', () => {
  const s = spec('ScheduleOSUpdate');
  assert.deepEqual(Object.keys(s.os).sort(), ['iOS', 'macOS', 'tvOS']);
  for (const os of Object.values(s.os)) {
    assert.equal(os.deviceChannel, true);
    assert.equal(os.userChannel, false);
    assert.equal(os.supervised, true);
  }
  assert.equal(s.os.iOS?.userEnrollment, 'forbidden');
  assert.equal(s.os.macOS?.userEnrollment, 'forbidden');
  assert.equal(s.os.iOS?.accessRights, 'AllowAppInstallation');
  assert.deepEqual(s.os.iOS?.sharedIPad, { mode: 'allowed', deviceChannel: true, userChannel: false });
  assert.equal(s.os.macOS?.introduced, '10.11');
  // Apple's 2026 documentation ends the legacy OS-update commands at 26.0.
  assert.equal(s.os.macOS?.deprecated, '26.0');

  const updates = key(s.payload, 'Updates');
  assert.equal(updates.type, 'array');
  assert.equal(updates.required, true);
  const item = updates.items?.[0];
  assert.equal(item?.type, 'dictionary');
  const action = key(item?.keys, 'InstallAction');
  assert.equal(action.required, true);
  assert.deepEqual(action.values, ['Default', 'DownloadOnly', 'InstallASAP', 'NotifyOnly', 'InstallLater', 'InstallForceRestart']);
  const deferrals = key(item?.keys, 'MaxUserDeferrals');
  assert.equal(deferrals.type, 'integer');
  assert.equal(deferrals.required, undefined);
  assert.deepEqual(deferrals.os, { iOS: false, macOS: { introduced: '12.0' }, tvOS: false });
  assert.deepEqual(key(item?.keys, 'Priority').values, ['Low', 'High']);
  assert.equal(key(item?.keys, 'Priority').default, 'Low');
});

test('the other legacy OS-update commands carry their platform facts', () => {
  assert.deepEqual(Object.keys(spec('ScheduleOSUpdateScan').os), ['macOS']);
  assert.equal(spec('ScheduleOSUpdateScan').os.macOS?.supervised, true);
  assert.equal(key(spec('ScheduleOSUpdateScan').payload, 'Force').type, 'boolean');
  assert.equal(spec('AvailableOSUpdates').os.macOS?.supervised, undefined, 'not supervised-only on macOS');
  assert.equal(spec('AvailableOSUpdates').os.iOS?.supervised, true);
  assert.equal(spec('OSUpdateStatus').os.macOS?.introduced, '10.11.5');
  assert.deepEqual(spec('OSUpdateStatus').payload, []);
});

test('response key trees are typed, down to array items', () => {
  const status = key(spec('OSUpdateStatus').response, 'OSUpdateStatus');
  const item = status.items?.[0];
  assert.equal(key(item?.keys, 'DownloadPercentComplete').type, 'real');
  assert.equal(key(item?.keys, 'IsDownloaded').type, 'boolean');
  assert.equal(key(item?.keys, 'PastNotifications').items?.[0]?.type, 'date');
  const results = key(spec('ScheduleOSUpdate').response, 'UpdateResults').items?.[0];
  assert.ok(key(results?.keys, 'Status').values?.includes('DownloadInsufficientPower'));
  // ErrorChain items are free-form dictionaries (ANY)
  assert.equal(key(key(results?.keys, 'ErrorChain').items?.[0]?.keys, 'ANY').type, 'any');
});

test('DeviceInformation names its queries; channels and User Enrollment are per platform', () => {
  const s = spec('DeviceInformation');
  const queries = key(s.payload, 'Queries');
  assert.equal(queries.items?.[0]?.type, 'string');
  for (const q of ['UDID', 'OSVersion', 'BuildVersion', 'SoftwareUpdateDeviceID', 'SupplementalBuildVersion']) {
    assert.ok(queries.items?.[0]?.known?.includes(q), q);
  }
  assert.equal(s.os.macOS?.userChannel, true);
  assert.equal(s.os.iOS?.userEnrollment, 'allowed');
  assert.equal(key(s.payload, 'DeviceAttestationNonce').type, 'data');
});

test('Settings items are one of several dictionaries, each tagged by Item', () => {
  const items = key(spec('Settings').payload, 'Settings').items ?? [];
  assert.ok(items.length > 10);
  for (const alt of items) {
    assert.equal(alt.type, 'dictionary');
    assert.equal(key(alt.keys, 'Item').values?.length, 1);
  }
  const grace = items.find((a) => a.key === 'PasscodeLockGracePeriod');
  assert.deepEqual(key(grace?.keys, 'PasscodeLockGracePeriod').values, [0, 60, 300, 900, 3600, 14400]);
});

test('unsupportedReason applies platform, version, supervision, enrollment and channel', () => {
  const s = spec('ScheduleOSUpdate');
  assert.equal(unsupportedReason(s, { platform: 'macOS', osVersion: '14.6', supervised: true, channel: 'device' }), null);
  assert.equal(unsupportedReason(s, { platform: 'iPadOS', osVersion: '17.0', supervised: true }), null);
  assert.match(unsupportedReason(s, { platform: 'watchOS' })!, /not supported on watchOS/);
  assert.match(unsupportedReason(s, { platform: 'macOS', osVersion: '10.10.5' })!, /10\.11 or later/);
  assert.match(unsupportedReason(s, { platform: 'macOS', supervised: false })!, /supervised/);
  assert.match(unsupportedReason(s, { platform: 'iOS', userEnrollment: true })!, /User Enrollment/);
  assert.match(unsupportedReason(s, { platform: 'macOS', channel: 'user' })!, /user channel/);
  assert.match(unsupportedReason(s, { platform: 'iPadOS', sharedIPad: true, channel: 'user' })!, /user channel/);
  assert.equal(unsupportedReason(spec('AvailableOSUpdates'), { platform: 'macOS', supervised: false }), null);
  assert.equal(unsupportedReason(spec('DeviceInformation'), { platform: 'macOS', channel: 'user' }), null);
  assert.equal(osSupport(s, 'iPadOS'), s.os.iOS);
  assert.equal(compareVersions('10.11.5', '10.11'), 1);
  assert.equal(compareVersions('10.9', '10.11'), -1);
  assert.equal(compareVersions('26.0', '26'), 0);
});

test('unsupportedKeys finds payload keys and Settings items the target OS lacks', () => {
  const update = { Updates: [{ ProductVersion: '17.6', InstallAction: 'InstallLater', MaxUserDeferrals: 3, Priority: 'High' }] };
  const s = spec('ScheduleOSUpdate');
  assert.deepEqual(unsupportedKeys(s, update, { platform: 'iOS', osVersion: '17.5' }), ['Updates[0].MaxUserDeferrals', 'Updates[0].Priority']);
  assert.deepEqual(unsupportedKeys(s, update, { platform: 'macOS', osVersion: '12.1' }), ['Updates[0].Priority']);
  assert.deepEqual(unsupportedKeys(s, update, { platform: 'macOS', osVersion: '14.6' }), []);
  assert.deepEqual(unsupportedKeys(s, update, { platform: 'macOS' }), [], 'unknown version: only OS-level gaps count');
  assert.deepEqual(unsupportedKeys(s, update, { platform: 'macOS', osVersion: '11.7' }), ['Updates[0].ProductVersion', 'Updates[0].MaxUserDeferrals', 'Updates[0].Priority']);
  const settings: PlistDict = { Settings: [{ Item: 'Wallpaper', Image: Buffer.alloc(1), Where: 3 }, { Item: 'DeviceName', DeviceName: 'x' }] };
  assert.deepEqual(unsupportedKeys(spec('Settings'), settings, { platform: 'macOS', osVersion: '15.0' }), ['Settings[0]']);
  assert.deepEqual(unsupportedKeys(spec('Settings'), settings, { platform: 'iPadOS', osVersion: '17.0' }), []);
});

test('the committed catalog is what the generator makes from the schema, with Apple\'s licence beside it', () => {
  const schema = join(sharedDir, 'apple-device-management');
  const committed = readFileSync(join(repoRoot, 'src', 'commands', 'catalog.generated.ts'), 'utf8');
  assert.equal(renderCatalog(schema).text, committed);
  assert.match(committed, /Derived from Apple's device-management schema .*MIT/);
  assert.deepEqual(readFileSync(join(repoRoot, 'src', 'commands', 'APPLE-LICENSE.txt')), readFileSync(join(schema, 'LICENSE.txt')));
});

test('the committed descriptions are what the generator makes; every key of the catalog has its text path', async () => {
  const schema = join(sharedDir, 'apple-device-management');
  const committed = readFileSync(join(repoRoot, 'src', 'commands', 'descriptions.generated.ts'), 'utf8');
  assert.equal(renderDescriptions(schema), committed);
  const { DESCRIPTIONS } = await import('../../src/commands/descriptions.generated.js');
  const update = DESCRIPTIONS.ScheduleOSUpdate!;
  assert.equal(update.description, 'This command allows the server to schedule an OS update.');
  assert.match(update.payload['Updates[].InstallAction']!, /'InstallForceRestart' may result in data loss/);
  assert.match(update.response!['UpdateResults[].Status']!, /DownloadRequiresComputer/);
  assert.ok(DESCRIPTIONS.Settings!.payload['Settings[Wallpaper].Image'], 'items of several kinds are named');
  assert.deepEqual(Object.keys(DESCRIPTIONS).sort(), listCommands().map((c) => c.requestType).sort());
});
