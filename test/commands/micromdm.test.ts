// MicroMDM's POST /v1/commands JSON, as the curl scripts in its tools/api/commands send it (jq output,
// including jq's quirks), converts to the command plist Apple's schema describes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromMicroMDMJson, toMicroMDMJson, buildCommand, CommandValidationError, microMDMName } from '../../src/commands/index.js';
import { buildPlist, parsePlist, type PlistDict } from '../../src/plist/index.js';
import { fixture } from '../helpers/fixtures.js';

const UDID = '564DA875-35DE-E49B-7FCF-6A8FFBE52EF7';
const b64 = (b: Buffer) => b.toString('base64');
const profile = fixture('mdmb/commands-sent/testprofile.mobileconfig');
/** A password hash as macOS stores it: a plist with SALTED-SHA512-PBKDF2 entropy, salt, iterations. */
const passwordHash = Buffer.from(buildPlist({
  'SALTED-SHA512-PBKDF2': { entropy: Buffer.alloc(128, 7), iterations: 30486, salt: Buffer.alloc(32, 9) },
}));
const appConfig = Buffer.from(buildPlist({ ServerURL: 'https://chat.example.com', Port: 8443, Beta: false }));

/** The Command dictionary a device would read, after building the wire plist. */
function wireCommandOf(body: Record<string, unknown>): PlistDict {
  const m = fromMicroMDMJson(body);
  assert.equal(m.udid, body.udid);
  const wire = buildCommand(m.requestType, m.payload);
  return (parsePlist(wire.xml) as PlistDict).Command as PlistDict;
}

interface ScriptCase {
  script: string;
  body: Record<string, unknown>;
  command: PlistDict;
}

const bare = (script: string, requestType: string): ScriptCase => ({
  script, body: { udid: UDID, request_type: requestType }, command: { RequestType: requestType },
});

const SCRIPTS: ScriptCase[] = [
  bare('available_os_updates', 'AvailableOSUpdates'),
  bare('os_update_status', 'OSUpdateStatus'),
  bare('profile_list', 'ProfileList'),
  bare('provisioning_profile_list', 'ProvisioningProfileList'),
  bare('certificate_list', 'CertificateList'),
  bare('installed_application_list', 'InstalledApplicationList'),
  bare('security_info', 'SecurityInfo'),
  bare('restart_device', 'RestartDevice'),
  bare('shutdown_device', 'ShutDownDevice'),
  bare('device_configured', 'DeviceConfigured'),
  bare('enable_remote_desktop', 'EnableRemoteDesktop'),
  bare('disable_remote_desktop', 'DisableRemoteDesktop'),
  bare('clear_activation_lock_bypass_code', 'ClearActivationLockBypassCode'),
  {
    script: 'schedule_os_update_scan', // --argjson force "$2"
    body: { udid: UDID, request_type: 'ScheduleOSUpdateScan', force: true },
    command: { RequestType: 'ScheduleOSUpdateScan', Force: true },
  },
  {
    // jq's `.updates = [ .product_key = $p | … ]` builds the item from the request object, so it also
    // carries udid and request_type; `--arg max_user_deferrals` makes the number a string.
    script: 'schedule_os_update',
    body: {
      udid: UDID, request_type: 'ScheduleOSUpdate',
      updates: [{ udid: UDID, request_type: 'ScheduleOSUpdate', product_key: 'MSU_UPDATE_23H124_patch_14.7_minor', install_action: 'InstallLater', max_user_deferrals: '3' }],
    },
    command: { RequestType: 'ScheduleOSUpdate', Updates: [{ ProductKey: 'MSU_UPDATE_23H124_patch_14.7_minor', InstallAction: 'InstallLater', MaxUserDeferrals: 3 }] },
  },
  {
    script: 'schedule_os_update (product_version, priority)',
    body: { udid: UDID, request_type: 'ScheduleOSUpdate', updates: [{ product_version: '15.1', install_action: 'InstallASAP', priority: 'High' }] },
    command: { RequestType: 'ScheduleOSUpdate', Updates: [{ ProductVersion: '15.1', InstallAction: 'InstallASAP', Priority: 'High' }] },
  },
  {
    script: 'device_information',
    body: { udid: UDID, request_type: 'DeviceInformation', queries: ['OSVersion', 'BuildVersion', 'SoftwareUpdateDeviceID', 'SerialNumber'] },
    command: { RequestType: 'DeviceInformation', Queries: ['OSVersion', 'BuildVersion', 'SoftwareUpdateDeviceID', 'SerialNumber'] },
  },
  {
    script: 'install_profile', // --arg payload $(cat $2|openssl base64 -A)
    body: { udid: UDID, payload: b64(profile), request_type: 'InstallProfile' },
    command: { RequestType: 'InstallProfile', Payload: profile },
  },
  {
    script: 'remove_profile',
    body: { udid: UDID, identifier: 'com.example.peers.test', request_type: 'RemoveProfile' },
    command: { RequestType: 'RemoveProfile', Identifier: 'com.example.peers.test' },
  },
  {
    script: 'install_provisioning_profile',
    body: { udid: UDID, provisioning_profile: b64(profile), request_type: 'InstallProvisioningProfile' },
    command: { RequestType: 'InstallProvisioningProfile', ProvisioningProfile: profile },
  },
  {
    script: 'remove_provisioning_profile',
    body: { udid: UDID, uuid: '0C6B7F0E-3E1A-4F55-8A0B-7C9D2E1F3A22', request_type: 'RemoveProvisioningProfile' },
    command: { RequestType: 'RemoveProvisioningProfile', UUID: '0C6B7F0E-3E1A-4F55-8A0B-7C9D2E1F3A22' },
  },
  {
    script: 'device_lock',
    body: { udid: UDID, pin: '123456', message: 'Return to IT', phone_number: '+1 555 0100', request_type: 'DeviceLock' },
    command: { RequestType: 'DeviceLock', PIN: '123456', Message: 'Return to IT', PhoneNumber: '+1 555 0100' },
  },
  {
    script: 'erase_device',
    body: { udid: UDID, pin: '654321', request_type: 'EraseDevice' },
    command: { RequestType: 'EraseDevice', PIN: '654321' },
  },
  {
    script: 'clear_passcode',
    body: { udid: UDID, request_type: 'ClearPasscode', unlock_token: b64(Buffer.from('unlock-token-bytes')) },
    command: { RequestType: 'ClearPasscode', UnlockToken: Buffer.from('unlock-token-bytes') },
  },
  {
    script: 'install_application',
    body: { udid: UDID, request_type: 'InstallApplication', manifest_url: 'https://example.com/manifest.plist' },
    command: { RequestType: 'InstallApplication', ManifestURL: 'https://example.com/manifest.plist' },
  },
  {
    script: 'install_enterprise_application',
    body: { udid: UDID, request_type: 'InstallEnterpriseApplication', manifest_url: 'https://example.com/pkg.plist' },
    command: { RequestType: 'InstallEnterpriseApplication', ManifestURL: 'https://example.com/pkg.plist' },
  },
  {
    script: 'install_vpp_application', // ($itunes_store_id|tonumber), options.purchase_method
    body: { udid: UDID, request_type: 'InstallApplication', itunes_store_id: 361309726, options: { purchase_method: 1 } },
    command: { RequestType: 'InstallApplication', iTunesStoreID: 361309726, Options: { PurchaseMethod: 1 } },
  },
  {
    script: 'account_configuration',
    body: {
      udid: UDID, skip_primary_setup_account_creation: false, set_primary_setup_account_as_regular_user: false,
      request_type: 'AccountConfiguration',
      auto_setup_admin_accounts: [{ short_name: 'groob', full_name: 'Groob G', password_hash: b64(passwordHash) }],
    },
    command: {
      RequestType: 'AccountConfiguration', SkipPrimarySetupAccountCreation: false, SetPrimarySetupAccountAsRegularUser: false,
      AutoSetupAdminAccounts: [{ shortName: 'groob', fullName: 'Groob G', passwordHash }],
    },
  },
  {
    script: 'account_configuration_populate_user',
    body: {
      udid: UDID, skip_primary_setup_account_creation: false, set_primary_setup_account_as_regular_user: false,
      dont_auto_populate_primary_account_info: false, lock_primary_account_info: true,
      primary_account_full_name: 'Ada Lovelace', primary_account_user_name: 'ada', request_type: 'AccountConfiguration',
    },
    command: {
      RequestType: 'AccountConfiguration', SkipPrimarySetupAccountCreation: false, SetPrimarySetupAccountAsRegularUser: false,
      DontAutoPopulatePrimaryAccountInfo: false, LockPrimaryAccountInfo: true,
      PrimaryAccountFullName: 'Ada Lovelace', PrimaryAccountUserName: 'ada',
    },
  },
  {
    script: 'set_auto_admin_password',
    body: { udid: UDID, request_type: 'SetAutoAdminPassword', guid: 'FDCF8014-6754-49C2-B4C6-5A909217E827', password_hash: b64(passwordHash) },
    command: { RequestType: 'SetAutoAdminPassword', GUID: 'FDCF8014-6754-49C2-B4C6-5A909217E827', passwordHash },
  },
  {
    script: 'lom_reset', // note MicroMDM's own spelling primary_id_v6_address_list
    body: {
      udid: UDID, request_type: 'LOMDeviceRequest',
      request_list: [{
        device_dns_name: 'bmc.example.com', device_request_type: 'Reset', device_request_uuid: '9F1C5C8E-6B3A-4D52-9A57-0D1E2F3A4B5C',
        lom_protocol_version: 1, primary_id_v6_address_list: ['fe80::1'], secondary_ip_v6_address_list: [],
      }],
    },
    command: {
      RequestType: 'LOMDeviceRequest',
      RequestList: [{
        DeviceDNSName: 'bmc.example.com', DeviceRequestType: 'Reset', DeviceRequestUUID: '9F1C5C8E-6B3A-4D52-9A57-0D1E2F3A4B5C',
        LOMProtocolVersion: 1, PrimaryIPv6AddressList: ['fe80::1'], SecondaryIPv6AddressList: [],
      }],
    },
  },
  {
    script: 'settings_application_configuration', // configuration = base64 of a plist file
    body: {
      udid: UDID, request_type: 'Settings',
      settings: [{ item: 'ApplicationConfiguration', identifier: 'com.example.chat', configuration: b64(appConfig) }],
    },
    command: {
      RequestType: 'Settings',
      Settings: [{ Item: 'ApplicationConfiguration', Identifier: 'com.example.chat', Configuration: { ServerURL: 'https://chat.example.com', Port: 8443, Beta: false } }],
    },
  },
  {
    script: 'settings_bootstrap_token_allowed',
    body: { udid: UDID, request_type: 'Settings', settings: [{ item: 'MDMOptions', mdm_options: { BootstrapTokenAllowed: true } }] },
    command: { RequestType: 'Settings', Settings: [{ Item: 'MDMOptions', MDMOptions: { BootstrapTokenAllowed: true } }] },
  },
];

for (const { script, body, command } of SCRIPTS) {
  test(`tools/api/commands/${script} converts to the schema's plist`, () => {
    const got = wireCommandOf(body);
    assert.deepEqual(Object.keys(got).sort(), Object.keys(command).sort());
    for (const [k, v] of Object.entries(command)) assert.deepEqual(got[k], v, k);
  });
}

test('the MicroMDM InstallProfile fixture: JSON and plist forms are the same command', () => {
  const json = JSON.parse(fixture('micromdm/mdm_mdm_testdata_InstallProfile.json').toString()) as {
    command_uuid: string; command: { request_type: string; payload: string };
  };
  const expected = parsePlist(fixture('micromdm/mdm_mdm_testdata_InstallProfile.plist')) as PlistDict;
  const m = fromMicroMDMJson({ udid: UDID, command_uuid: json.command_uuid, ...json.command });
  assert.equal(m.uuid, json.command_uuid);
  assert.ok(Buffer.isBuffer(m.payload.Payload));
  assert.equal((m.payload.Payload as Buffer).toString(), 'foobarbaz');
  const wire = buildCommand(m.requestType, m.payload, { uuid: m.uuid });
  assert.deepEqual(parsePlist(wire.xml), expected);
  // and back: the command object MicroMDM echoes
  assert.deepEqual(toMicroMDMJson(m.requestType, m.payload), json.command);
});

test('<data> fields come out as Buffers, never base64 strings; bad base64 is refused by name', () => {
  const m = fromMicroMDMJson({ udid: UDID, request_type: 'InstallProfile', payload: b64(profile) });
  assert.ok(Buffer.isBuffer(m.payload.Payload));
  assert.deepEqual(m.payload.Payload, profile);
  const pins = fromMicroMDMJson({
    udid: UDID, request_type: 'InstallEnterpriseApplication', manifest_url: 'https://e.com/m.plist',
    manifest_url_pinning_certs: [b64(Buffer.from('cert-1')), b64(Buffer.from('cert-2'))],
  });
  assert.deepEqual(pins.payload.ManifestURLPinningCerts, [Buffer.from('cert-1'), Buffer.from('cert-2')]);
  assertField(() => fromMicroMDMJson({ udid: UDID, request_type: 'InstallProfile', payload: 'not base64!' }), 'payload', /base64/);
  assertField(() => fromMicroMDMJson({ udid: UDID, request_type: 'ClearPasscode', unlock_token: 12 }), 'unlock_token', /base64/);
});

test('integers and reals follow the schema: numeric strings become integers, fractions are refused', () => {
  const m = fromMicroMDMJson({ udid: UDID, request_type: 'Settings', settings: [{ item: 'PasscodeLockGracePeriod', passcode_lock_grace_period: '300' }] });
  assert.deepEqual(m.payload, { Settings: [{ Item: 'PasscodeLockGracePeriod', PasscodeLockGracePeriod: 300 }] });
  assertField(() => fromMicroMDMJson({ udid: UDID, request_type: 'ScheduleOSUpdate', updates: [{ install_action: 'InstallLater', max_user_deferrals: 2.5 }] }),
    'updates[0].max_user_deferrals', /must be an integer/);
  const xml = buildCommand('Settings', fromMicroMDMJson({
    udid: UDID, request_type: 'Settings',
    settings: [{ item: 'ApplicationConfiguration', identifier: 'com.example.x', configuration: { Ratio: 0.5, Count: 2 } }],
  }).payload).xml.toString();
  assert.match(xml, /<key>Ratio<\/key>\s*<real>0\.5<\/real>/);
  assert.match(xml, /<key>Count<\/key>\s*<integer>2<\/integer>/);
});

function assertField(fn: () => unknown, field: string, reason: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CommandValidationError, String(e));
    assert.equal(e.field, field);
    assert.match(e.reason, reason);
    return true;
  });
}

test('validation errors name the field as the JSON sender wrote it', () => {
  const base = { udid: UDID, request_type: 'ScheduleOSUpdate' };
  assertField(() => fromMicroMDMJson({ ...base, updates: [{ product_key: 'X', install_action: 'InstallNow' }] }),
    'updates[0].install_action', /must be one of Default, .*InstallForceRestart \(got InstallNow\)/);
  assertField(() => fromMicroMDMJson({ ...base, updates: [{ product_key: 'X' }] }), 'updates[0].install_action', /is required/);
  assertField(() => fromMicroMDMJson({ ...base, updates: [{ install_action: 'Default', prodct_key: 'X' }] }),
    'updates[0].prodct_key', /unknown key \(expected product_key, product_version, install_action, max_user_deferrals, priority\)/);
  assertField(() => fromMicroMDMJson(base), 'updates', /is required/);
  assertField(() => fromMicroMDMJson({ udid: UDID, request_type: 'DeviceInformation' }), 'queries', /is required/);
  assertField(() => fromMicroMDMJson({ udid: UDID, request_type: 'ScheduleOSUpdateScan', force: 'maybe' }), 'force', /must be a boolean/);
  assertField(() => fromMicroMDMJson({ udid: UDID, request_type: 'Settings', settings: [{ item: 'Brightness' }] }), 'settings[0].item', /must be one of/);
  assertField(() => fromMicroMDMJson({ udid: UDID, request_type: 'Settings', settings: [{ item: 'ApplicationConfiguration', identifier: 'x', configuration: 'AAAA' }] }),
    'settings[0].configuration', /base64-encoded plist dictionary/);
  assertField(() => fromMicroMDMJson({ request_type: 'RestartDevice' }), 'udid', /non-empty string/);
  assertField(() => fromMicroMDMJson({ udid: UDID }), 'request_type', /non-empty string/);
  assertField(() => fromMicroMDMJson([1]), '', /JSON object/);
  assertField(() => fromMicroMDMJson(JSON.parse('{"udid":"u","request_type":"InstallApplication","itunes_store_id":1,"configuration":{"__proto__":{"x":1}}}')),
    'configuration.__proto__', /not an allowed key name/);
  // SetBootstrapToken is a check-in message, not a command a device accepts (MicroMDM forwarded it anyway)
  assertField(() => fromMicroMDMJson({ udid: UDID, request_type: 'SetBootstrapToken', bootstrap_token: 'x' }), 'request_type', /unknown command/);
});

test('irregular MicroMDM names map both ways', () => {
  assert.equal(microMDMName('ProductKey'), 'product_key');
  assert.equal(microMDMName('MDMOptions'), 'mdm_options');
  assert.equal(microMDMName('ManifestURLPinningCerts'), 'manifest_url_pinning_certs');
  assert.equal(microMDMName('DeviceDNSName'), 'device_dns_name');
  assert.equal(microMDMName('iTunesStoreID'), 'itunes_store_id');
  assert.equal(microMDMName('ManagedAppsOnly'), 'managed_appd_only');
  const apps = fromMicroMDMJson({ udid: UDID, request_type: 'InstalledApplicationList', identifiers: ['com.apple.Safari'], managed_appd_only: true });
  assert.deepEqual(apps.payload, { Identifiers: ['com.apple.Safari'], ManagedAppsOnly: true });
  assert.deepEqual(toMicroMDMJson('InstalledApplicationList', apps.payload),
    { request_type: 'InstalledApplicationList', identifiers: ['com.apple.Safari'], managed_appd_only: true });
  const unlock = fromMicroMDMJson({ udid: UDID, request_type: 'UnlockUserAccount', username: 'ada' });
  assert.deepEqual(unlock.payload, { UserName: 'ada' });
  const host = fromMicroMDMJson({ udid: UDID, request_type: 'Settings', settings: [{ item: 'HostName', hostname: 'lab-7' }] });
  assert.deepEqual(host.payload, { Settings: [{ Item: 'HostName', HostName: 'lab-7' }] });
  assert.deepEqual(toMicroMDMJson('Settings', host.payload), { request_type: 'Settings', settings: [{ item: 'HostName', hostname: 'lab-7' }] });
  const fv = fromMicroMDMJson({
    udid: UDID, request_type: 'RotateFileVaultKey', key_type: 'personal',
    filevault_unlock: { password: 'old', private_key_export: b64(Buffer.from('p12')), private_key_export_password: 'x' },
  });
  assert.deepEqual(fv.payload, {
    KeyType: 'personal',
    FileVaultUnlock: { Password: 'old', PrivateKeyExport: Buffer.from('p12'), PrivateKeyExportPassword: 'x' },
  });
  const ext = fromMicroMDMJson({ udid: UDID, request_type: 'ActiveNSExtensions', filter_extensions_points: ['com.apple.share-services'] });
  assert.deepEqual(ext.payload, { FilterExtensionPoints: ['com.apple.share-services'] });
  const esim = fromMicroMDMJson({ udid: UDID, request_type: 'RefreshCellularPlans', esim_server_url: 'https://esim.example.com' });
  assert.deepEqual(esim.payload, { eSIMServerURL: 'https://esim.example.com' });
  // a vendor command (from a raw plist) still echoes, with snake_case keys and base64 data
  assert.deepEqual(toMicroMDMJson('com.example.Custom', { BlobData: Buffer.from('hi'), Count: 2 }),
    { request_type: 'com.example.Custom', blob_data: 'aGk=', count: 2 });
});

test('the echoed command object round-trips every script body', () => {
  for (const { script, body } of SCRIPTS) {
    const m = fromMicroMDMJson(body);
    const echo = toMicroMDMJson(m.requestType, m.payload);
    assert.equal(echo.request_type, m.requestType, script);
    assert.deepEqual(fromMicroMDMJson({ udid: UDID, ...echo }).payload, m.payload, script);
  }
});
