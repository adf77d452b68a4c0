// `updraft cmd`: any command of the catalog with its keys as typed flags, run as a subprocess against a
// real server and a test device that shows exactly what the CLI queued.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPlist, type PlistDict } from '../../src/plist/index.js';
import { commandKeys, listCommands } from '../../src/commands/index.js';
import { RESERVED } from '../../src/cli/cmd-args.js';
import { squash } from '../../src/cli/cmd-help.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { TestDevice, commandOf } from '../helpers/device.js';
import { fixture, fixturePath } from '../helpers/fixtures.js';
import { RecordingPusher } from '../api/helpers.js';
import { runCli } from './run.js';

let server: TestServer;
let env: Record<string, string>;
let mac: TestDevice;
const MAC = 'CMD00000-1111-2222-3333-444455556666';
const PROFILE = 'nanocmd/utils_mobileconfig_testdata_test.mobileconfig';
const dir = mkdtempSync(join(tmpdir(), 'updraft-cmd-'));

before(async () => {
  server = await startTestServer({ pusher: new RecordingPusher() });
  env = { UPDRAFT_SERVER: server.url, UPDRAFT_API_KEY: TEST_API_KEY };
  mac = new TestDevice(server.url, { ids: { UDID: MAC } });
  await mac.authenticate({ OSVersion: '14.6.1', ProductName: 'MacBookPro18,3', SerialNumber: 'C02CMD' });
  await mac.tokenUpdate();
});
after(async () => server.close());

/** Runs the CLI, then takes the one command it queued off the device's queue (answering it Acknowledged). */
async function sent(args: string[]): Promise<{ out: string; command: PlistDict }> {
  const r = await runCli(['cmd', ...args], env);
  assert.equal(r.code, 0, r.stderr);
  const cmd = commandOf(await mac.idle());
  assert.ok(cmd, `a command was queued by: updraft cmd ${args.join(' ')}`);
  await mac.result('Acknowledged', cmd.uuid);
  return { out: r.stdout, command: cmd.command };
}

test('--help <RequestType>: Apple\'s description, each key with type, presence, allowed values and platforms', async () => {
  const r = await runCli(['cmd', '--help', 'ScheduleOSUpdate']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /This command allows the server to schedule an OS update\./);
  assert.match(r.stdout, /--updates {2}array of dictionaries; required/);
  assert.match(r.stdout, /InstallAction {2}string; required; one of: Default, DownloadOnly, InstallASAP, NotifyOnly, InstallLater, InstallForceRestart/);
  assert.match(r.stdout, /'InstallForceRestart' may result in data loss\./);
  assert.match(r.stdout, /MaxUserDeferrals {2}integer; macOS 12\.0\+; not on iOS, tvOS/);
  assert.match(r.stdout, /macOS 10\.11\+ \(supervised; deprecated 26\.0; device channel/);
  assert.match(r.stdout, /update_results \(UpdateResults\)/);
  const same = await runCli(['cmd', 'scheduleosupdate', '--help']);
  assert.equal(same.stdout, r.stdout, 'the RequestType in any case, --help before or after');
});

test('--list names every command of the catalog; unknown commands and keys get close matches', async () => {
  const [list, json, badType, badKey] = await Promise.all([
    runCli(['cmd', '--list']),
    runCli(['cmd', '--list', '--json']),
    runCli(['cmd', 'ScheduleOSUpdates', MAC], env),
    runCli(['cmd', 'RemoveProfile', MAC, '--identifer', 'com.example'], env),
  ]);
  assert.equal(list.code, 0);
  for (const c of listCommands()) assert.match(list.stdout, new RegExp(`^${c.requestType} `, 'm'));
  assert.equal(JSON.parse(json.stdout).length, listCommands().length);
  assert.equal(badType.code, 1);
  assert.match(badType.stderr, /unknown command "ScheduleOSUpdates": did you mean ScheduleOSUpdate/);
  assert.equal(badKey.code, 1);
  assert.match(badKey.stderr, /RemoveProfile has no key --identifer: did you mean --identifier\?/);
});

test('no command key is shadowed by one of the CLI\'s own options', () => {
  const reserved = new Set(Object.keys(RESERVED).map(squash));
  for (const c of listCommands()) {
    for (const k of commandKeys(c)) assert.ok(!reserved.has(squash(k.key)), `${c.requestType}.${k.key}`);
  }
});

test('InstallProfile --file sends the .mobileconfig bytes as Payload <data>, unsigned or signed', async () => {
  const unsigned = await sent(['InstallProfile', MAC, '--file', fixturePath(PROFILE)]);
  assert.deepEqual(unsigned.command.Payload, fixture(PROFILE));
  assert.match(unsigned.out, /^profile 0DA6B871-623D-400A-B0EB-3BE489E39F2A \(unsigned\)$/m);

  // Signed as an admin would, with openssl (an independent CMS signer).
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=Profile Signer', '-days', '1', '-keyout', 'k.pem', '-out', 'c.pem'], { cwd: dir, stdio: 'ignore' });
  execFileSync('openssl', ['smime', '-sign', '-nodetach', '-outform', 'der', '-signer', 'c.pem', '-inkey', 'k.pem', '-in', fixturePath(PROFILE), '-out', 'signed.mobileconfig'], { cwd: dir, stdio: 'ignore' });
  const signed = await sent(['InstallProfile', MAC, '--payload', `@${join(dir, 'signed.mobileconfig')}`]);
  assert.deepEqual(signed.command.Payload, execFileSync('cat', [join(dir, 'signed.mobileconfig')]));
  assert.match(signed.out, /^profile 0DA6B871-623D-400A-B0EB-3BE489E39F2A \(signed\)$/m);
});

test('RemoveProfile --identifier; booleans stand alone or negate; arrays by repeating the flag', async () => {
  assert.deepEqual((await sent(['RemoveProfile', MAC, '--identifier', 'com.example.wifi'])).command, { RequestType: 'RemoveProfile', Identifier: 'com.example.wifi' });
  assert.equal((await sent(['ScheduleOSUpdateScan', MAC, '--force'])).command.Force, true);
  assert.equal((await sent(['ScheduleOSUpdateScan', '--no-force', MAC])).command.Force, false);
  assert.deepEqual((await sent(['DeviceInformation', MAC, '--queries', 'OSVersion', '--queries', 'BuildVersion'])).command.Queries, ['OSVersion', 'BuildVersion']);
  const update = await sent(['ScheduleOSUpdate', MAC, '--updates', '[{"product_key":"MSU_UPDATE_23G93_patch_14.6.1_minor","install_action":"InstallLater","max_user_deferrals":"3"}]']);
  assert.deepEqual(update.command.Updates, [{ ProductKey: 'MSU_UPDATE_23G93_patch_14.6.1_minor', InstallAction: 'InstallLater', MaxUserDeferrals: 3 }]);
});

test('--json FILE: the payload as JSON (snake_case or Apple names) or as a plist; flags add to a JSON payload', async () => {
  writeFileSync(join(dir, 'info.json'), JSON.stringify({ Queries: ['UDID'], device_attestation_nonce: Buffer.from('nonce').toString('base64') }));
  const fromJson = await sent(['DeviceInformation', MAC, '--json', join(dir, 'info.json'), '--queries', 'SerialNumber']);
  assert.deepEqual(fromJson.command.Queries, ['SerialNumber'], 'the flag wins over the file');
  assert.deepEqual(fromJson.command.DeviceAttestationNonce, Buffer.from('nonce'));
  writeFileSync(join(dir, 'erase.plist'), buildPlist({ PIN: '123456', PreserveDataPlan: true }));
  const fromPlist = await sent(['EraseDevice', MAC, '--json', join(dir, 'erase.plist')]);
  assert.deepEqual(fromPlist.command, { RequestType: 'EraseDevice', PIN: '123456', PreserveDataPlan: true });
});

test('values the schema refuses are named before anything is queued', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['ScheduleOSUpdate', MAC, '--updates', '[{"install_action":"Sometimes"}]'], /updates\[0\]\.install_action: must be one of Default, DownloadOnly/],
    [['RemoveProfile', MAC], /identifier: is required/],
    [['DeviceLock', MAC, '--pin'], /--pin needs a value/],
    [['InstallProfile', MAC, '--file', join(dir, 'missing.mobileconfig')], /cannot read --file .*missing\.mobileconfig: ENOENT/],
    [['RemoveProfile', '--identifier', 'x'], /give at least one enrollment ID/],
    [['ProfileList', MAC, '--managed-only=perhaps'], /managed_only: must be a boolean/],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(['cmd', ...args], env)));
  results.forEach((r, i) => {
    assert.equal(r.code, 1, cases[i]![0].join(' '));
    assert.match(r.stderr, cases[i]![1]);
  });
  assert.equal(commandOf(await mac.idle()), null, 'nothing was queued');
});

test('--wait prints each enrollment\'s typed result once the device answers', async () => {
  const running = runCli(['cmd', 'SecurityInfo', MAC, '--wait', '--timeout', '20'], env);
  let cmd = null;
  for (let i = 0; i < 100 && !cmd; i++) {
    cmd = commandOf(await mac.idle());
    if (!cmd) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(cmd, 'the CLI queued SecurityInfo');
  await mac.result('Acknowledged', cmd.uuid, { SecurityInfo: { PasscodePresent: 'true', FDE_Enabled: true, BootstrapTokenAllowedForAuthentication: 'allowed' } });
  const r = await running;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`${MAC}\\s+acknowledged`));
  assert.match(r.stdout, /"passcode_present": true/);
  assert.match(r.stdout, /"fde_enabled": true/);
});
