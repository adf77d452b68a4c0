// `updraft os-update …` and `updraft cmd` end to end: the CLI as a subprocess against a whole Updraft
// (pushes through the fake APNs) and a simulated Mac replaying the seed post (mojave-2018 scenario):
// scan, the updates it offers, the installer notification installed, error 74 without DEP and 12008
// for NotifyOnly (explained), the Mojave download's progress; then a profile installed and removed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Fleet } from '../../src/sim/fleet.js';
import { loadScenario } from '../../src/sim/scenario.js';
import type { DeviceState } from '../../src/sim/device.js';
import { startHarness, type Harness } from '../sim/harness.js';
import { TEST_API_KEY } from '../helpers/server.js';
import { fixturePath } from '../helpers/fixtures.js';
import { scheduleItem } from '../../src/cli/os-update.js';
import { runCli } from './run.js';

let h: Harness;
let fleet: Fleet;
let mac: DeviceState;
let env: Record<string, string>;

before(async () => {
  h = await startHarness();
  fleet = await Fleet.start({ server: h.url, count: 1, scenario: loadScenario('mojave-2018'), clockFactor: 100, wakeUrl: h.fake.wakeUrl, keyPoolSize: 1 });
  mac = fleet.devices[0]!;
  env = { UPDRAFT_SERVER: h.url, UPDRAFT_API_KEY: TEST_API_KEY };
});
after(async () => {
  await fleet.stop();
  await h.close();
});

const cli = (...args: string[]) => runCli([...args, '--timeout', '30'], env);
const row = (...cells: string[]) => new RegExp(cells.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+'));

test('the legacy OS update flow of the seed, from the command line', async () => {
  const scan = await cli('os-update', 'scan', mac.udid, '--force', '--wait');
  assert.equal(scan.code, 0, scan.stderr);
  assert.match(scan.stdout, row(mac.udid, 'yes'));

  const before = await cli('os-update', 'available', mac.udid, '--wait');
  assert.equal(before.code, 0, before.stderr);
  assert.match(before.stdout, /^AvailableOSUpdates [0-9a-f-]{36}$/m);
  assert.match(before.stdout, /ENROLLMENT\s+PRODUCT KEY\s+NAME\s+VERSION\s+BUILD\s+SIZE\s+FLAGS/);
  assert.match(before.stdout, row(mac.udid, '041-14451', 'macOS Installer Notification', '2.0', '-', '-', 'config-data'));

  const notification = await cli('os-update', 'schedule', mac.udid, '--product-key', '041-14451', '--install-action', 'InstallASAP', '--wait');
  assert.equal(notification.code, 0, notification.stderr);
  assert.match(notification.stdout, row(mac.udid, '041-14451', 'InstallASAP', 'Installing'));

  assert.equal((await cli('os-update', 'scan', mac.udid, '--force', '--wait')).code, 0);
  const after = await cli('os-update', 'available', mac.udid, '--wait', '--json');
  assert.equal(after.code, 0, after.stderr);
  const [entry] = JSON.parse(after.stdout).enrollments;
  const mojave = entry.result_typed.response.available_os_updates.find((u: { product_key: string }) => u.product_key === '_OSX_18A391');
  assert.deepEqual(
    [mojave.human_readable_name, mojave.version, mojave.build, mojave.download_size, mojave.is_major_os_update, mojave.restart_required],
    ['macOS Mojave', null, '18A391', 12_000_000_000, true, true],
  );

  const e74 = await cli('os-update', 'schedule', mac.udid, '--product-key', '_OSX_18A391', '--install-action', 'InstallASAP', '--wait');
  assert.equal(e74.code, 1);
  assert.match(e74.stdout, row(mac.udid, 'error MDMClientError 74'));
  assert.match(e74.stdout, new RegExp(`${mac.udid}: MDMClientError 74: Command requires DEP enrollment: ScheduleOSUpdate`));
  assert.match(e74.stdout, /not enrolled through Automated Device Enrollment/);
  assert.match(e74.stdout, /What to do: Enroll the Mac through Apple Business Manager/);
  assert.match(e74.stderr, /1 of 1 enrollments answered with an error/);

  await fleet.reenroll(mac, { ade: true, supervised: true });
  const e12008 = await cli('os-update', 'schedule', mac.udid, '--product-key', '_OSX_18A391', '--install-action', 'notifyonly', '--wait');
  assert.equal(e12008.code, 1);
  assert.match(e12008.stdout, /MCMDMErrorDomain 12008: Unsupported InstallAction for this ProductKey/);
  assert.match(e12008.stdout, /What to do: Send ScheduleOSUpdate again with InstallASAP or Default/);

  const go = await cli('os-update', 'schedule', mac.udid, '--product-key', '_OSX_18A391', '--install-action', 'InstallASAP', '--wait');
  assert.equal(go.code, 0, go.stderr);
  const status = await cli('os-update', 'status', mac.udid, '--wait');
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /ENROLLMENT\s+PRODUCT KEY\s+STATUS\s+DOWNLOADED\s+PROGRESS/);
  assert.match(status.stdout, new RegExp(`${mac.udid}\\s+_OSX_18A391\\s+(Idle|Downloading|Installing)\\s+(yes|no)\\s+\\d+%`));
});

test('schedule checks its options against Apple\'s schema before sending', () => {
  assert.throws(() => scheduleItem({ productKey: 'k', installAction: 'Soonish' }), /--install-action must be one of Default, DownloadOnly, InstallASAP, NotifyOnly, InstallLater, InstallForceRestart/);
  assert.throws(() => scheduleItem({}), /give --product-key .* or --product-version/);
  assert.throws(() => scheduleItem({ productVersion: '14.6.1', maxUserDeferrals: '3' }), /--max-user-deferrals only applies with --install-action InstallLater/);
  assert.throws(() => scheduleItem({ productKey: 'k', priority: 'urgent' }), /--priority must be one of Low, High/);
  assert.deepEqual(scheduleItem({ productVersion: '14.6.1', installAction: 'installlater', maxUserDeferrals: '0', priority: 'high' }), {
    ProductKey: undefined, ProductVersion: '14.6.1', InstallAction: 'InstallLater', MaxUserDeferrals: 0, Priority: 'High',
  });
});

test('cmd: a .mobileconfig installed, listed and removed by identifier; removing it again is explained', async () => {
  const install = await cli('cmd', 'InstallProfile', mac.udid, '--file', fixturePath('nanocmd/utils_mobileconfig_testdata_test.mobileconfig'), '--wait');
  assert.equal(install.code, 0, install.stderr);
  assert.match(install.stdout, row(mac.udid, 'acknowledged'));
  const list = await cli('cmd', 'ProfileList', mac.udid, '--wait', '--json');
  const profiles = JSON.parse(list.stdout).enrollments[0].result_typed.response.profile_list as Array<{ payload_identifier: string; payload_display_name: string }>;
  assert.ok(profiles.some((p) => p.payload_identifier === '0DA6B871-623D-400A-B0EB-3BE489E39F2A' && p.payload_display_name === 'Google Chrome Default Browser'));

  const remove = await cli('cmd', 'RemoveProfile', mac.udid, '--identifier', '0DA6B871-623D-400A-B0EB-3BE489E39F2A', '--wait');
  assert.equal(remove.code, 0, remove.stderr);
  const again = await cli('cmd', 'RemoveProfile', mac.udid, '--identifier', '0DA6B871-623D-400A-B0EB-3BE489E39F2A', '--wait');
  assert.equal(again.code, 1);
  assert.match(again.stdout, /MCMDMErrorDomain 12075/);
  assert.match(again.stdout, /No profile with that identifier is installed/);
});
