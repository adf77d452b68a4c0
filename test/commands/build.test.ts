// Building wire commands from typed payloads (validated against Apple's schema) and reading raw ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCommand, parseRawCommand, CommandValidationError } from '../../src/commands/index.js';
import { Real, parsePlist, buildBinaryPlist, type PlistDict } from '../../src/plist/index.js';
import { fixture } from '../helpers/fixtures.js';

/** The Command dictionary as a device reads it from the wire XML. */
function wireCommand(xml: Buffer): PlistDict {
  const top = parsePlist(xml) as PlistDict;
  return top.Command as PlistDict;
}

function rejects(fn: () => unknown, field: string, reason: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CommandValidationError, `CommandValidationError, got ${String(e)}`);
    assert.equal(e.field, field);
    assert.match(e.reason, reason);
    assert.ok(e.message.startsWith(field), 'the message names the field');
    return true;
  });
}

test('ScheduleOSUpdate builds the envelope devices expect, with the UUID given', () => {
  const cmd = buildCommand('ScheduleOSUpdate', {
    Updates: [{ ProductKey: 'MSU_UPDATE_23G93_patch_14.6.1_major', InstallAction: 'InstallLater', MaxUserDeferrals: 3, Priority: 'High' }],
  }, { uuid: 'B4F9C1E2-0000-4000-8000-000000000001' });
  assert.equal(cmd.uuid, 'B4F9C1E2-0000-4000-8000-000000000001');
  assert.equal(cmd.requestType, 'ScheduleOSUpdate');
  const top = parsePlist(cmd.xml) as PlistDict;
  assert.deepEqual(top, {
    CommandUUID: 'B4F9C1E2-0000-4000-8000-000000000001',
    Command: {
      RequestType: 'ScheduleOSUpdate',
      Updates: [{ ProductKey: 'MSU_UPDATE_23G93_patch_14.6.1_major', InstallAction: 'InstallLater', MaxUserDeferrals: 3, Priority: 'High' }],
    },
  });
  assert.deepEqual(cmd.plist, top);
  assert.match(cmd.xml.toString(), /<key>MaxUserDeferrals<\/key>\s*<integer>3<\/integer>/);
});

test('each command gets a fresh UUID when none is given; payload-free commands build', () => {
  const a = buildCommand('AvailableOSUpdates', {});
  const b = buildCommand('AvailableOSUpdates', {});
  assert.match(a.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(a.uuid, b.uuid);
  assert.deepEqual(wireCommand(a.xml), { RequestType: 'AvailableOSUpdates' });
  assert.deepEqual(wireCommand(buildCommand('ScheduleOSUpdateScan', { Force: true }).xml), { RequestType: 'ScheduleOSUpdateScan', Force: true });
});

test('<data> fields go out as <data> from Buffers and Uint8Arrays, never as base64 strings', () => {
  const profile = fixture('mdmb/commands-sent/testprofile.mobileconfig');
  const cmd = buildCommand('InstallProfile', { Payload: new Uint8Array(profile) });
  const payload = wireCommand(cmd.xml).Payload;
  assert.ok(Buffer.isBuffer(payload));
  assert.deepEqual(payload, profile);
  assert.match(cmd.xml.toString(), /<key>Payload<\/key>\s*<data>/);
  rejects(() => buildCommand('InstallProfile', { Payload: profile.toString('base64') }), 'Payload', /must be data/);
  rejects(() => buildCommand('ClearPasscode', { UnlockToken: 'abc' }), 'UnlockToken', /must be data/);
});

test('integer and real are typed by the schema, not by the JS value', () => {
  const cmd = buildCommand('ScheduleOSUpdate', { Updates: [{ ProductVersion: '14.7', InstallAction: 'InstallLater', MaxUserDeferrals: new Real(2) }] });
  assert.match(cmd.xml.toString(), /<integer>2<\/integer>/);
  assert.doesNotMatch(cmd.xml.toString(), /<real>/);
  rejects(() => buildCommand('ScheduleOSUpdate', { Updates: [{ InstallAction: 'InstallLater', MaxUserDeferrals: 2.5 }] }),
    'Updates[0].MaxUserDeferrals', /must be an integer/);
  const settings = buildCommand('Settings', { Settings: [{ Item: 'PasscodeLockGracePeriod', PasscodeLockGracePeriod: 300 }] });
  assert.match(settings.xml.toString(), /<integer>300<\/integer>/);
  // free-form values keep their own type: an app configuration with a real and an integer
  const app = buildCommand('InstallApplication', { iTunesStoreID: 361309726, Configuration: { Ratio: new Real(1), Count: 2 } });
  const conf = wireCommand(app.xml).Configuration as PlistDict;
  assert.deepEqual(conf, { Ratio: new Real(1), Count: 2 });
  assert.equal(wireCommand(app.xml).iTunesStoreID, 361309726);
});

test('validation errors name the offending key path and the reason', () => {
  rejects(() => buildCommand('ScheduleOSUpdate', { Updates: [{ ProductKey: 'X', InstallAction: 'InstallNow' }] }),
    'Updates[0].InstallAction', /must be one of Default, DownloadOnly, InstallASAP, NotifyOnly, InstallLater, InstallForceRestart \(got InstallNow\)/);
  rejects(() => buildCommand('ScheduleOSUpdate', { Updates: [{ ProductKey: 'X', InstallAction: 'Default' }, { ProductKey: 'Y' }] }),
    'Updates[1].InstallAction', /is required/);
  rejects(() => buildCommand('ScheduleOSUpdate', {}), 'Updates', /is required/);
  rejects(() => buildCommand('ScheduleOSUpdate', { Updates: { ProductKey: 'X' } }), 'Updates', /must be an array/);
  rejects(() => buildCommand('ScheduleOSUpdate', { Updates: ['X'] }), 'Updates[0]', /must be a dictionary/);
  rejects(() => buildCommand('ScheduleOSUpdate', { Updates: [{ InstallAction: 'Default', Prority: 'High' }] }),
    'Updates[0].Prority', /unknown key \(expected ProductKey, ProductVersion, InstallAction, MaxUserDeferrals, Priority\)/);
  rejects(() => buildCommand('ScheduleOSUpdateScan', { Force: 'yes' }), 'Force', /must be a boolean/);
  rejects(() => buildCommand('RestartDevice', { NotifyUser: true, Reboot: true }), 'Reboot', /unknown key/);
  rejects(() => buildCommand('DeviceInformation', { Queries: ['OSVersion', 7] }), 'Queries[1]', /must be a string/);
  rejects(() => buildCommand('Settings', { Settings: [{ Item: 'PasscodeLockGracePeriod', PasscodeLockGracePeriod: 30 }] }),
    'Settings[0].PasscodeLockGracePeriod', /must be one of 0, 60, 300, 900, 3600, 14400/);
  rejects(() => buildCommand('Settings', { Settings: [{ Item: 'Brightness', Level: 3 }] }), 'Settings[0].Item', /must be one of Wallpaper, .*DeviceName/);
  rejects(() => buildCommand('Settings', { Settings: [{ Item: 'DeviceName' }] }), 'Settings[0].DeviceName', /is required/);
  rejects(() => buildCommand('ReformatDisk', {}), 'RequestType', /unknown command "ReformatDisk"/);
  rejects(() => buildCommand('RestartDevice', { RequestType: 'ShutDownDevice' }), 'RequestType', /is ShutDownDevice but the command is RestartDevice/);
});

test('keys free-form by the schema (ANY) pass; the common RequestRequiresNetworkTether is allowed everywhere', () => {
  const cmd = buildCommand('InstallEnterpriseApplication', {
    ManifestURL: 'https://example.com/app.plist',
    Manifest: { items: [{ assets: [{ kind: 'software-package', url: 'https://example.com/a.pkg' }] }] },
    RequestRequiresNetworkTether: false,
  });
  const c = wireCommand(cmd.xml);
  assert.deepEqual(c.Manifest, { items: [{ assets: [{ kind: 'software-package', url: 'https://example.com/a.pkg' }] }] });
  assert.equal(c.RequestRequiresNetworkTether, false);
  // Settings variants each keep their own keys
  const s = buildCommand('Settings', { Settings: [
    { Item: 'DeviceName', DeviceName: 'Lab Mac 7' },
    { Item: 'MDMOptions', MDMOptions: { BootstrapTokenAllowed: true } },
    { Item: 'Bluetooth', Enabled: false },
  ] });
  assert.deepEqual(wireCommand(s.xml).Settings, [
    { Item: 'DeviceName', DeviceName: 'Lab Mac 7' },
    { Item: 'MDMOptions', MDMOptions: { BootstrapTokenAllowed: true } },
    { Item: 'Bluetooth', Enabled: false },
  ]);
});

test('parseRawCommand reads the commands mdmb was sent through NanoMDM', () => {
  const cases: Array<[string, string, (c: PlistDict) => void]> = [
    ['devinfo.plist', 'DeviceInformation', (c) => assert.deepEqual(c.Queries, ['DeviceName', 'SerialNumber', 'UDID', 'OSVersion'])],
    ['installprofile.plist', 'InstallProfile', (c) => {
      assert.ok(Buffer.isBuffer(c.Payload));
      assert.match((c.Payload as Buffer).toString(), /com\.example\.peers\.test/);
    }],
    ['profilelist.plist', 'ProfileList', () => {}],
    ['restart.plist', 'RestartDevice', (c) => assert.deepEqual(Object.keys(c), ['RequestType'])],
  ];
  for (const [file, requestType, check] of cases) {
    const body = fixture(`mdmb/commands-sent/${file}`);
    const raw = parseRawCommand(body);
    assert.equal(raw.uuid, 'CMDUUID', file);
    assert.equal(raw.requestType, requestType, file);
    assert.equal(raw.xml, body, 'XML bodies are kept byte for byte');
    check(raw.plist.Command as PlistDict);
  }
});

test('parseRawCommand accepts vendor commands and binary plists, and says what is missing', () => {
  const vendor = { CommandUUID: 'v-1', Command: { RequestType: 'com.example.Custom', Anything: 1 } };
  const bin = parseRawCommand(buildBinaryPlist(vendor));
  assert.equal(bin.requestType, 'com.example.Custom');
  assert.deepEqual(parsePlist(bin.xml), vendor);
  const xml = (v: unknown) => Buffer.from(`<?xml version="1.0"?><plist version="1.0">${v}</plist>`);
  rejects(() => parseRawCommand(xml('<dict><key>Command</key><dict><key>RequestType</key><string>RestartDevice</string></dict></dict>')),
    'CommandUUID', /non-empty string/);
  rejects(() => parseRawCommand(xml('<dict><key>CommandUUID</key><string>u</string></dict>')), 'Command', /must be a dictionary/);
  rejects(() => parseRawCommand(xml('<dict><key>CommandUUID</key><string>u</string><key>Command</key><dict/></dict>')),
    'Command.RequestType', /non-empty string/);
  rejects(() => parseRawCommand(xml('<array/>')), '', /must be a plist dictionary/);
  rejects(() => parseRawCommand(Buffer.from('{"udid":"x"}')), '', /not a valid plist/);
});
