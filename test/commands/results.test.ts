// Typed command results: the seed's OS update results and errors, real error results from other clients,
// lenient reading of device data that strays from the schema, and every command of the catalog.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Real, buildPlist, parsePlist, type PlistDict, type PlistValue } from '../../src/plist/index.js';
import { knownErrors, listCommands, microMDMName, typedResult, typedResultOf, type KeySpec } from '../../src/commands/index.js';
import { fixture } from '../helpers/fixtures.js';
import { seedAvailable, seedError12008, seedError74, seedScheduled, seedStatus } from '../helpers/seed-blog.js';

const UUID = '7A3B2C1D-0000-4000-8000-000000000001';
const UDID = 'A1B2C3D4-0000-5000-9000-000000000002';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const response = (r: { response: Record<string, unknown> | null }): Json => r.response as Json;

test('AvailableOSUpdates (seed): both items typed; DownloadSize sent as <real> is bytes; the Version holding a build is the build', () => {
  const r = typedResultOf('AvailableOSUpdates', seedAvailable(UUID, UDID));
  assert.equal(r.status, 'Acknowledged');
  assert.equal(r.error_chain, null);
  const [config, mojave] = response(r).available_os_updates;
  assert.equal(config.product_key, '041-14451');
  assert.equal(config.human_readable_name, 'macOS Installer Notification');
  assert.equal(config.version, '2.0');
  assert.equal(config.is_config_data_update, true);
  assert.equal(config.allows_install_later, true);
  assert.equal(config.restart_required, false);
  assert.equal(config.metadata_url, 'http://swcdn.apple.com/[...]/macOSInstallerNotification_GM.smd');
  assert.deepEqual(config.app_identifiers_to_close, []);

  assert.equal(mojave.product_key, '_OSX_18A391');
  assert.equal(mojave.human_readable_name, 'macOS Mojave');
  assert.equal(mojave.download_size, 12_000_000_000);
  assert.equal(mojave.build, '18A391');
  assert.equal(mojave.version, null, 'the marketing version is not known from this item');
  assert.equal(mojave.is_major_os_update, true);
  assert.equal(mojave.restart_required, true);
  assert.equal(mojave.is_critical, false);
  assert.equal(mojave.allows_install_later, false, 'the schema default of an absent key');
  assert.equal(mojave.metadata_url, null);

  // A Mac that sends the build in both Version and Build (as the simulator's majors do): still no marketing version.
  const both = typedResult('AvailableOSUpdates', { Status: 'Acknowledged', AvailableOSUpdates: [{ ProductKey: '_OSX_18A391', HumanReadableName: 'macOS Mojave', Version: '18A391', Build: '18A391' }] });
  assert.deepEqual([response(both).available_os_updates[0].version, response(both).available_os_updates[0].build], [null, '18A391']);

  // The config-data item came without Build, which the schema requires of every item: a mismatch, said once.
  assert.deepEqual(r.warnings, ['AvailableOSUpdates[0].Build: required key missing']);
});

test('OSUpdateStatus (seed): DownloadPercentComplete is the 0.0–1.0 real; every field present', () => {
  const r = typedResultOf('OSUpdateStatus', seedStatus(UUID, UDID));
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(response(r).os_update_status, [{
    product_key: '_OSX_18A391', status: 'Idle', is_downloaded: false, download_percent_complete: 0,
    max_deferrals: null, deferrals_remaining: null, next_scheduled_install: null, past_notifications: [], error_chain: null,
  }]);
  const half = parsePlist(buildPlist({
    Status: 'Acknowledged',
    OSUpdateStatus: [{
      ProductKey: 'MSU_UPDATE_23G93_patch_14.6.1_minor', IsDownloaded: false, DownloadPercentComplete: new Real(0.42), Status: 'Downloading',
      MaxDeferrals: 5, DeferralsRemaining: 3, NextScheduledInstall: new Date('2026-12-01T10:00:00Z'), PastNotifications: [new Date('2026-11-30T10:00:00Z')],
    }],
  }));
  const item = response(typedResult('OSUpdateStatus', half)).os_update_status[0];
  assert.equal(item.download_percent_complete, 0.42);
  assert.equal(item.deferrals_remaining, 3);
  assert.equal(item.next_scheduled_install, '2026-12-01T10:00:00.000Z');
  assert.deepEqual(item.past_notifications, ['2026-11-30T10:00:00.000Z']);
});

test('ScheduleOSUpdate (seed): UpdateResults typed; errors 74 and 12008 explained for this command', () => {
  const ok = typedResultOf('ScheduleOSUpdate', seedScheduled(UUID, UDID));
  assert.deepEqual(response(ok).update_results, [{ product_key: '_OSX_18A391', install_action: 'InstallASAP', status: 'Installing', error_chain: null }]);
  assert.deepEqual(ok.warnings, []);

  const e74 = typedResultOf('ScheduleOSUpdate', seedError74(UUID, UDID));
  assert.equal(e74.status, 'Error');
  assert.equal(e74.response, null);
  const [first] = e74.error_chain!;
  assert.equal(first!.code, 74);
  assert.equal(first!.domain, 'MDMClientError');
  assert.equal(first!.description, 'Command requires DEP enrollment: ScheduleOSUpdate <MDMClientError:74>');
  assert.match(first!.explanation!, /Automated Device Enrollment/);
  assert.match(first!.explanation!, /major upgrade/);
  assert.match(first!.action!, /Apple Business Manager/);

  const e12008 = typedResultOf('ScheduleOSUpdate', seedError12008(UUID, UDID));
  assert.equal(e12008.error_chain![0]!.description, 'Unsupported InstallAction for this ProductKey');
  assert.match(e12008.error_chain![0]!.explanation!, /InstallAction/);
  assert.match(e12008.error_chain![0]!.action!, /InstallASAP or Default/);
  // The same code answering another command is Apple's generic reading.
  const other = typedResult('InstallProfile', { Status: 'Error', ErrorChain: [{ ErrorCode: 12008, ErrorDomain: 'MCMDMErrorDomain', LocalizedDescription: 'x' }] });
  assert.match(other.error_chain![0]!.explanation!, /malformed/);
});

test('real error results: 12021 from mdmb (RequestType in the result), an unknown code keeps the device text', () => {
  const unknown = typedResultOf(null, fixture('mdmb/conversation-nanomdm/12-PUT-mdm-Error-RestartDevice.body.plist'));
  assert.equal(unknown.request_type, 'RestartDevice');
  assert.equal(unknown.error_chain![0]!.code, 12021);
  assert.match(unknown.error_chain![0]!.explanation!, /does not know this command/);
  assert.match(unknown.error_chain![0]!.action!, /updraft cmd --help/);

  const odd = typedResultOf('InstallProfile', fixture('nanocmd/workflow_certprof_testdata_resp-error.plist'));
  assert.deepEqual(odd.error_chain, [{
    code: -909, domain: 'NSOSStatusErrorDomain', description: ' <NSOSStatusErrorDomain:-909>', us_english_description: null, explanation: null, action: null,
  }]);
  assert.deepEqual(odd.warnings, []);
});

test('lenient: string booleans, reals for integers, huge integers, unknown keys kept; mismatches are warnings, never throws', () => {
  const r = typedResult('AvailableOSUpdates', {
    Status: 'Acknowledged',
    AvailableOSUpdates: [{
      ProductKey: 'iOSUpdate22A3354', HumanReadableName: 'iOS 18.0', Version: '18.0', Build: '22A3354',
      IsCritical: 'true', RestartRequired: 'NO', DownloadSize: new Real(6e9), InstallSize: new Real(1.2e10), FutureKey: { Nested: [1, 2] },
    }, 'not a dict'],
  }, { platform: 'iOS', osVersion: '18.0' });
  const [item] = response(r).available_os_updates;
  assert.equal(item.is_critical, true);
  assert.equal(item.restart_required, false);
  assert.equal(item.download_size, 6e9);
  assert.equal(item.install_size, 12_000_000_000);
  assert.equal(item.FutureKey, undefined);
  assert.deepEqual(item.future_key, { Nested: [1, 2] }, 'a key newer than the schema is kept');
  const generic = typedResult('InstalledApplicationList', { Status: 'Acknowledged', InstalledApplicationList: [{ Identifier: 'a', BundleSize: 2n ** 60n }] });
  assert.equal(response(generic).installed_application_list[0].bundle_size, (2n ** 60n).toString());
  // ProductName is required on iOS: an iOS device that leaves it out is named; a dict that is a string is kept.
  assert.ok(r.warnings.includes('AvailableOSUpdates[0].ProductName: required key missing'), r.warnings.join('\n'));
  assert.ok(r.warnings.some((w) => w.startsWith('AvailableOSUpdates[1]: expected a dictionary')), r.warnings.join('\n'));

  const odd = typedResult('ScheduleOSUpdate', {
    Status: 'Acknowledged', UpdateResults: [{ ProductKey: 42, InstallAction: 'Scheduled', Status: 'Waiting' }],
  });
  assert.deepEqual(response(odd).update_results[0], { product_key: '42', install_action: 'Scheduled', status: 'Waiting', error_chain: null });
  assert.deepEqual(odd.warnings, [
    'UpdateResults[0].ProductKey: expected a string, got the number 42',
    'UpdateResults[0].InstallAction: "Scheduled" is not a value the schema lists (Error, DownloadOnly, InstallASAP, NotifyOnly, InstallLater, InstallForceRestart)',
    'UpdateResults[0].Status: "Waiting" is not a value the schema lists (Idle, Downloading, DownloadFailed, DownloadRequiresComputer, DownloadInsufficientSpace, DownloadInsufficientPower, DownloadInsufficientNetwork, Installing, InstallInsufficientSpace, InstallInsufficientPower, InstallPhoneCallInProgress, InstallFailed)',
  ]);

  const pct = typedResult('OSUpdateStatus', { Status: 'Acknowledged', OSUpdateStatus: [{ ProductKey: 'k', IsDownloaded: 'false', DownloadPercentComplete: 55, Status: 'Downloading' }] });
  assert.equal(response(pct).os_update_status[0].is_downloaded, false);
  assert.deepEqual(pct.warnings, ['OSUpdateStatus[0].DownloadPercentComplete: 55 is outside 0.0–1.0 (it is a fraction, not a percentage)']);

  assert.deepEqual(typedResult('SecurityInfo', 'nonsense').warnings, ['expected a dictionary, got the string "nonsense"']);
  assert.match(typedResultOf('SecurityInfo', Buffer.from('<plist><dict>')).warnings[0]!, /not a readable plist/);
});

test('a device\'s "__proto__" key stays a key', () => {
  const plist = parsePlist(Buffer.from('<plist><dict><key>Status</key><string>Acknowledged</string><key>__proto__</key><dict><key>polluted</key><true/></dict><key>ScanInitiated</key><true/></dict></plist>'));
  const r = typedResult('ScheduleOSUpdateScan', plist);
  const out = response(r);
  assert.equal(out.scan_initiated, true);
  assert.equal(({} as Json).polluted, undefined);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.ok(Object.hasOwn(out, '__proto__'));
});

/** A value the schema accepts for `spec` (every optional key included, one item per array variant). */
function sample(spec: KeySpec): PlistValue {
  switch (spec.type) {
    case 'string':
      return spec.values ? String(spec.values[0]) : 'text';
    case 'integer':
      return typeof spec.values?.[0] === 'number' ? spec.values[0] : spec.range?.min ?? 3;
    case 'real':
      return new Real(0.5);
    case 'boolean':
      return true;
    case 'date':
      return new Date('2026-01-02T03:04:05Z');
    case 'data':
      return Buffer.from('bytes');
    case 'any':
      return 'anything';
    case 'array':
      return (spec.items ?? []).map(sample);
    case 'dictionary': {
      const d: PlistDict = {};
      for (const k of spec.keys ?? []) d[k.key === 'ANY' ? 'com.example.item' : k.key] = sample(k);
      return d;
    }
  }
}

test('every command with a response schema reads a valid result, as a device sends it, without warnings', () => {
  const withResponse = listCommands().filter((c) => c.response);
  assert.ok(withResponse.length >= 30, `${withResponse.length} commands have a response`);
  for (const c of withResponse) {
    const body: PlistDict = { CommandUUID: UUID, UDID, Status: 'Acknowledged' };
    for (const k of c.response!) body[k.key] = sample(k);
    const r = typedResultOf(c.requestType, Buffer.from(buildPlist(body)));
    assert.deepEqual(r.warnings, [], c.requestType);
    assert.equal(r.status, 'Acknowledged', c.requestType);
    for (const k of c.response!) {
      assert.ok(Object.hasOwn(r.response!, k.key === 'ErrorChain' ? 'error_chain' : microMDMName(k.key)), `${c.requestType}: ${k.key}`);
    }
    assert.equal(JSON.stringify(r.response).includes('"CommandUUID"'), false, `${c.requestType}: envelope keys are not response keys`);
  }
});

test('the error table: one entry per (domain, code), each with its source', () => {
  const seen = new Set<string>();
  for (const e of knownErrors()) {
    const key = `${e.domain}#${e.code}`;
    assert.ok(!seen.has(key), key);
    seen.add(key);
  }
  assert.ok(seen.has('MDMClientError#74') && seen.has('MCMDMErrorDomain#12008') && seen.has('MCMDMErrorDomain#12021') && seen.has('MCMDMErrorDomain#12081'));
});
