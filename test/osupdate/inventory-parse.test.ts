// The inventory's parsers: DeviceInformation and SecurityInfo answers (real fixtures, and the lenient
// types devices send), DDM status items, legacy OS update results (the seed post's fragments), and
// which queries a device is asked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePlist, Real, type PlistDict } from '../../src/plist/index.js';
import { fromDeviceInformation, fromSecurityInfo } from '../../src/osupdate/inventory/parse.js';
import { ddmAttempt, fromStatusItems } from '../../src/osupdate/inventory/ddm.js';
import { fromUpdateResult, versionOfProductKey } from '../../src/osupdate/inventory/update-results.js';
import { inventoryQueries, INVENTORY_QUERIES } from '../../src/osupdate/inventory/queries.js';
import { renderQueries } from '../../scripts/gen-inventory-queries.js';
import { parseReport } from '../../src/mdm/report.js';
import { fixture, repoRoot, sharedDir } from '../helpers/fixtures.js';

const T = new Date('2026-03-01T10:00:00Z');

/** A seed-blog fragment: keys wrapped in a dict as the fixtures README says, or a whole <dict> item as it is. */
function fragment(name: string): PlistDict {
  const body = readFileSync(join(sharedDir, 'fixtures', 'seed-blog', name), 'utf8').replace(/<!--[\s\S]*?-->/g, '').trim();
  const value = body.startsWith('<dict>') ? body : `<dict>${body}</dict>`;
  return parsePlist(Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><plist version="1.0">${value}</plist>`)) as PlistDict;
}

test('the DeviceInformation fixtures give the fields they answer, and nothing else', () => {
  const nano = parsePlist(fixture('nanomdm/mdm_testdata_DeviceInformation.1.plist')) as PlistDict;
  assert.deepEqual(fromDeviceInformation(nano.QueryResponses), {}, 'HostName and UDID are not inventory fields');
  const mdmb = parsePlist(fixture('mdmb/conversation-nanomdm/08-PUT-mdm-Acknowledged-DeviceInformation.body.plist')) as PlistDict;
  assert.deepEqual(fromDeviceInformation(mdmb.QueryResponses), { serialNumber: 'B8Y4575TBPAZ', deviceName: "B8Y4575TBPAZ's Computer" });
});

test('a full macOS answer: model identifier, board ID from SoftwareUpdateDeviceID, lenient booleans and numbers', () => {
  const patch = fromDeviceInformation({
    OSVersion: '14.6.1', BuildVersion: '23G93', SupplementalBuildVersion: '23G93', SupplementalOSVersionExtra: '',
    ProductName: 'Mac14,2', Model: 'Mac14,2', ModelName: 'MacBook Air', ModelNumber: 'Z15S000CTLL/A',
    SoftwareUpdateDeviceID: 'J413AP', IsSupervised: 'true', IsAppleSilicon: 1, AvailableDeviceCapacity: new Real(412.5),
    DeviceCapacity: '494.38', OSUpdateSettings: { AutomaticOSInstallationEnabled: false, PreviousScanDate: new Date('2026-02-28T08:00:00Z') },
  });
  assert.deepEqual(patch, {
    platform: 'macOS', osVersion: '14.6.1', buildVersion: '23G93', supplementalBuildVersion: '23G93', supplementalOsVersionExtra: null,
    productName: 'Mac14,2', model: 'Mac14,2', modelName: 'MacBook Air', modelNumber: 'Z15S000CTLL/A',
    softwareUpdateDeviceId: 'J413AP', boardId: 'J413AP', isSupervised: true, isAppleSilicon: true,
    deviceCapacity: 494.38, availableDeviceCapacity: 412.5,
    osUpdateSettings: { AutomaticOSInstallationEnabled: false, PreviousScanDate: '2026-02-28T08:00:00.000Z' },
  });
});

test('an iPhone answer: the model identifier is ProductName (Model is a part number); no board ID; a -1 battery is unknown', () => {
  const patch = fromDeviceInformation({ ProductName: 'iPhone15,2', Model: 'MQ9T3LL/A', SoftwareUpdateDeviceID: 'iPhone15,2', BatteryLevel: new Real(-1), SupplementalOSVersionExtra: '(a)' });
  assert.deepEqual(patch, {
    platform: 'iOS', productName: 'iPhone15,2', model: 'iPhone15,2', softwareUpdateDeviceId: 'iPhone15,2', batteryLevel: null, supplementalOsVersionExtra: '(a)',
  });
  assert.equal(fromDeviceInformation({ BatteryLevel: new Real(0.62) }).batteryLevel, 0.62);
});

test('odd values are left out, never thrown on', () => {
  const odd = {
    OSVersion: { nested: true }, BuildVersion: '   ', IsSupervised: 'maybe', AvailableDeviceCapacity: 'lots', ProductName: ['x'],
    SerialNumber: Buffer.from('C02'), DeviceName: new Date(0), BatteryLevel: new Real(Number.NaN), OSUpdateSettings: 'on',
  } as unknown as PlistDict;
  assert.deepEqual(fromDeviceInformation(odd), {});
  for (const v of [undefined, 'text', 12, [], Buffer.from('x')]) assert.deepEqual(fromDeviceInformation(v as never), {});
  assert.equal(fromDeviceInformation({ OSVersion: 17 }).osVersion, '17', 'an integer version is taken as its text');
});

test('SecurityInfo: bootstrap token need and ManagementStatus, booleans as strings too', () => {
  assert.deepEqual(fromSecurityInfo({
    BootstrapTokenAllowedForAuthentication: 'allowed', BootstrapTokenRequiredForSoftwareUpdate: 'true',
    ManagementStatus: { EnrolledViaDEP: true, IsUserEnrollment: false, UserApprovedEnrollment: true },
  }), { bootstrapTokenRequiredForSoftwareUpdate: true, enrolledViaDep: true, isUserEnrollment: false });
  assert.deepEqual(fromSecurityInfo({ ManagementStatus: 'nope', BootstrapTokenRequiredForSoftwareUpdate: 2 } as never), {});
});

test('DDM status items: OS, model and software update fields; "a" extra is "(a)"; family gives the platform', () => {
  const { patch, update } = fromStatusItems([
    { name: 'device.operating-system.version', value: '17.5.1' },
    { name: 'device.operating-system.build-version', value: '21F90' },
    { name: 'device.operating-system.supplemental.build-version', value: '21F90a' },
    { name: 'device.operating-system.supplemental.extra-version', value: 'a' },
    { name: 'device.operating-system.family', value: 'iPadOS' },
    { name: 'device.operating-system.marketing-name', value: 'iPadOS 17' },
    { name: 'device.model.identifier', value: 'iPad13,18' },
    { name: 'device.model.number', value: 'MPQ03LL/A' },
    { name: 'device.model.marketing-name', value: 'iPad (10th generation)' },
    { name: 'softwareupdate.device-id', value: 'J271AP' },
    { name: 'softwareupdate.install-state', value: 'downloading' },
    { name: 'softwareupdate.pending-version', value: { 'os-version': '17.6', 'build-version': '21G80' } },
    { name: 'softwareupdate.install-reason', value: { reason: ['declaration'], 'declaration-id': 'com.example.update' } },
    { name: 'softwareupdate.failure-reason', value: { count: 0 } },
    { name: 'management.client-capabilities', value: { supported: true } },
  ]);
  assert.deepEqual(patch, {
    osVersion: '17.5.1', buildVersion: '21F90', supplementalBuildVersion: '21F90a', supplementalOsVersionExtra: '(a)', osMarketingName: 'iPadOS 17',
    model: 'iPad13,18', modelNumber: 'MPQ03LL/A', modelMarketingName: 'iPad (10th generation)', softwareUpdateDeviceId: 'J271AP', platform: 'iPadOS',
    pendingUpdate: { version: '17.6', build: '21G80', targetLocalDateTime: null },
  });
  assert.deepEqual(update, {
    installState: 'downloading', pending: { version: '17.6', build: '21G80', targetLocalDateTime: null },
    failure: { count: 0, reason: null, timestamp: null }, installReasons: ['declaration'],
  });
  // A Mac's softwareupdate.device-id is its board ID.
  assert.equal(fromStatusItems([{ name: 'softwareupdate.device-id', value: 'J413AP' }], 'macOS').patch.boardId, 'J413AP');
  // Empty pending versions mean nothing is pending; odd values are skipped.
  assert.deepEqual(fromStatusItems([
    { name: 'softwareupdate.pending-version', value: { 'os-version': '', 'build-version': '' } },
    { name: 'device.operating-system.version', value: 17 },
    { name: 'softwareupdate.install-state', value: ['x'] },
  ]).patch, { pendingUpdate: null });
});

test('DDM update attempt: incremental reports build on the last one; a failure count explains itself', () => {
  const first = ddmAttempt(null, { installState: 'downloading', pending: { version: '17.6', build: '21G80', targetLocalDateTime: null } }, T);
  assert.deepEqual(first, { at: T, source: 'ddm', status: 'downloading', productKey: null, version: '17.6', error: null });
  const later = new Date(T.getTime() + 60_000);
  const failed = ddmAttempt(first, { installState: 'failed', failure: { count: 2, reason: 'Insufficient storage', timestamp: null } }, later);
  assert.deepEqual(failed, { at: later, source: 'ddm', status: 'failed', productKey: null, version: '17.6', error: { code: null, domain: null, message: 'Insufficient storage' } });
  // A legacy attempt is not merged into.
  const legacy = { at: T, source: 'ScheduleOSUpdate' as const, status: 'Installing', productKey: 'X', version: '1', error: null };
  assert.equal(ddmAttempt(legacy, { installState: 'none' }, later).version, null);
});

test('ScheduleOSUpdate and OSUpdateStatus results (the seed post\'s): status, product key, explained errors', () => {
  const ok = fragment('ScheduleOSUpdate.UpdateResults.fragment.xml');
  assert.deepEqual(fromUpdateResult({ requestType: 'ScheduleOSUpdate', status: 'Acknowledged', dict: ok, errorChain: null, at: T }), {
    at: T, source: 'ScheduleOSUpdate', status: 'Installing', productKey: '_OSX_18A391', version: null, error: null,
  });
  for (const [file, code, pattern] of [
    ['ScheduleOSUpdate.error74.fragment.xml', 74, /Automated Device Enrollment/],
    ['ScheduleOSUpdate.error12008.fragment.xml', 12008, /InstallAction/],
  ] as const) {
    const dict = { ...fragment(file), Status: 'Error', CommandUUID: 'u', UDID: 'd' };
    const report = parseReport(dict);
    const command = { RequestType: 'ScheduleOSUpdate', Updates: [{ ProductKey: 'MSU_UPDATE_23G93_patch_14.6.1', InstallAction: 'InstallASAP' }] };
    const a = fromUpdateResult({ requestType: 'ScheduleOSUpdate', status: 'Error', dict, errorChain: report.errorChain, command, at: T })!;
    assert.deepEqual([a.status, a.productKey, a.version, a.error?.code], ['failed', 'MSU_UPDATE_23G93_patch_14.6.1', '14.6.1', code]);
    assert.match(a.error!.message, pattern);
  }
  const status = { OSUpdateStatus: [fragment('OSUpdateStatus.item.fragment.xml')] };
  assert.deepEqual(fromUpdateResult({ requestType: 'OSUpdateStatus', status: 'Acknowledged', dict: status, errorChain: null, at: T }), {
    at: T, source: 'OSUpdateStatus', status: 'Idle', productKey: '_OSX_18A391', version: null, error: null,
  });
  const failedItem = { UpdateResults: [{ ProductKey: 'MSU_UPDATE_23G93_patch_14.6.1', InstallAction: 'InstallASAP', Status: 'DownloadInsufficientSpace' }] };
  const f = fromUpdateResult({ requestType: 'ScheduleOSUpdate', status: 'Acknowledged', dict: failedItem, errorChain: null, at: T })!;
  assert.deepEqual([f.status, f.version, f.error?.message], ['DownloadInsufficientSpace', '14.6.1', 'the update failed: DownloadInsufficientSpace']);
  assert.equal(fromUpdateResult({ requestType: 'OSUpdateStatus', status: 'NotNow', dict: {}, errorChain: null, at: T }), null);
  assert.equal(fromUpdateResult({ requestType: 'OSUpdateStatus', status: 'Acknowledged', dict: { OSUpdateStatus: 'x' }, errorChain: null, at: T })?.status, 'Idle');
  assert.equal(versionOfProductKey('_OSX_18A391'), null);
});

test('the queries a device is asked follow Apple\'s schema: OS, version and User Enrollment', () => {
  const all = [...INVENTORY_QUERIES];
  assert.deepEqual(inventoryQueries({ platform: 'macOS', osVersion: '14.6', userEnrollment: false }), all.filter((q) => q !== 'TimeZone'), 'a current Mac answers every one but TimeZone (iOS only)');
  const oldMac = inventoryQueries({ platform: 'macOS', osVersion: '11.7', userEnrollment: false });
  for (const q of ['SoftwareUpdateDeviceID', 'IsAppleSilicon', 'ModelNumber', 'SupplementalBuildVersion', 'BatteryLevel']) {
    assert.ok(!oldMac.includes(q), `${q} is newer than macOS 11.7`);
  }
  assert.ok(oldMac.includes('OSUpdateSettings'));
  const ue = inventoryQueries({ platform: 'iOS', osVersion: '17.5', userEnrollment: true });
  for (const q of ['SerialNumber', 'SoftwareUpdateDeviceID']) assert.ok(!ue.includes(q), `User Enrollment forbids ${q}`);
  assert.ok(ue.includes('OSVersion') && ue.includes('BuildVersion'));
  const iphone = inventoryQueries({ platform: 'iOS', osVersion: '17.5', userEnrollment: false });
  assert.ok(iphone.includes('SoftwareUpdateDeviceID') && iphone.includes('BatteryLevel') && iphone.includes('TimeZone') && !iphone.includes('OSUpdateSettings') && !iphone.includes('IsAppleSilicon'));
  // Nothing known of the device: ask everything except what User Enrollment forbids anywhere.
  assert.deepEqual(inventoryQueries({ platform: null, osVersion: null, userEnrollment: false }), all);
});

test('queries.generated.ts is what the generator makes from the shared schema', () => {
  const { text } = renderQueries(join(sharedDir, 'apple-device-management'));
  assert.equal(readFileSync(join(repoRoot, 'src/osupdate/inventory/queries.generated.ts'), 'utf8'), text);
  assert.deepEqual(readFileSync(join(repoRoot, 'src/osupdate/inventory/APPLE-LICENSE.txt')), readFileSync(join(sharedDir, 'apple-device-management', 'LICENSE.txt')));
});
