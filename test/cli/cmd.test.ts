// `updraft cmd`: any command of the catalog with its keys as typed flags. The words after `cmd` are turned
// into the wire command in-process (what would be queued, exactly); a few runs of the real CLI against a
// server and a test device check the whole path: --help, --list, InstallProfile --file, --wait.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPlist, type PlistDict } from '../../src/plist/index.js';
import { commandKeys, listCommands } from '../../src/commands/index.js';
import { RESERVED } from '../../src/cli/cmd-args.js';
import { squash } from '../../src/cli/cmd-help.js';
import { buildFromArgs, parseTokens } from '../../src/cli/cmd.js';
import { describeProfile } from '../../src/cli/profile-file.js';
import { CliError } from '../../src/cli/client.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { COMMAND_CONTENT_TYPE, TestDevice, commandOf, put } from '../helpers/device.js';
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

/** The command dictionary `updraft cmd ARGS…` would queue, and the IDs it would go to. */
function built(...args: string[]): { command: PlistDict; ids: string[] } {
  const { spec, a } = parseTokens(args);
  assert.ok(spec, args.join(' '));
  return { command: buildFromArgs(spec, a).plist.Command as PlistDict, ids: a.ids };
}

function refused(args: string[], reason: RegExp): void {
  assert.throws(() => built(...args), (e: unknown) => e instanceof CliError && reason.test(e.message), args.join(' '));
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
});

test('--list names every command of the catalog', async () => {
  const list = await runCli(['cmd', '--list']);
  assert.equal(list.code, 0, list.stderr);
  for (const c of listCommands()) assert.match(list.stdout, new RegExp(`^${c.requestType} `, 'm'));
});

test('unknown commands and keys are refused with the closest names; the RequestType in any case', () => {
  assert.throws(() => parseTokens(['ScheduleOSUpdates', MAC]), /unknown command "ScheduleOSUpdates": did you mean ScheduleOSUpdate/);
  refused(['RemoveProfile', MAC, '--identifer', 'com.example'], /RemoveProfile has no key --identifer: did you mean --identifier\?/);
  assert.equal(parseTokens(['scheduleosupdatescan', MAC]).spec?.requestType, 'ScheduleOSUpdateScan');
});

test('no command key is shadowed by one of the CLI\'s own options', () => {
  const reserved = new Set(Object.keys(RESERVED).map(squash));
  for (const c of listCommands()) {
    for (const k of commandKeys(c)) assert.ok(!reserved.has(squash(k.key)), `${c.requestType}.${k.key}`);
  }
});

test('keys as flags: strings, booleans alone or negated, repeated arrays, JSON structures, @FILE data', () => {
  assert.deepEqual(built('RemoveProfile', MAC, '--identifier', 'com.example.wifi'), { command: { RequestType: 'RemoveProfile', Identifier: 'com.example.wifi' }, ids: [MAC] });
  assert.equal(built('ScheduleOSUpdateScan', MAC, '--force').command.Force, true);
  assert.equal(built('ScheduleOSUpdateScan', '--no-force', MAC).command.Force, false);
  assert.equal(built('ScheduleOSUpdateScan', MAC, '--force', 'false').command.Force, false);
  assert.deepEqual(built('ScheduleOSUpdateScan', MAC, '--force', 'ID2').ids, [MAC, 'ID2'], 'a bare boolean does not swallow an ID');
  assert.deepEqual(built('DeviceInformation', MAC, '--queries', 'OSVersion', '--queries', 'BuildVersion').command.Queries, ['OSVersion', 'BuildVersion']);
  assert.deepEqual(built('DeviceInformation', MAC, '--queries', '["UDID","SerialNumber"]').command.Queries, ['UDID', 'SerialNumber']);
  const update = built('ScheduleOSUpdate', MAC, '--updates', '[{"product_key":"MSU_UPDATE_23G93_patch_14.6.1_minor","install_action":"InstallLater","max_user_deferrals":"3"}]');
  assert.deepEqual(update.command.Updates, [{ ProductKey: 'MSU_UPDATE_23G93_patch_14.6.1_minor', InstallAction: 'InstallLater', MaxUserDeferrals: 3 }]);
  writeFileSync(join(dir, 'nonce'), 'nonce bytes');
  assert.deepEqual(built('DeviceInformation', MAC, '--queries', 'UDID', `--device-attestation-nonce=@${join(dir, 'nonce')}`).command.DeviceAttestationNonce, Buffer.from('nonce bytes'));
  assert.deepEqual(built('RemoveProfile', MAC, '--Identifier', 'x', '--request-requires-network-tether').command, { RequestType: 'RemoveProfile', Identifier: 'x', RequestRequiresNetworkTether: true });
});

test('--json FILE: the payload as JSON (snake_case or Apple names) or as a plist; flags add to a JSON payload', () => {
  writeFileSync(join(dir, 'info.json'), JSON.stringify({ Queries: ['UDID'], device_attestation_nonce: Buffer.from('nonce').toString('base64') }));
  const fromJson = built('DeviceInformation', MAC, '--json', join(dir, 'info.json'), '--queries', 'SerialNumber').command;
  assert.deepEqual(fromJson.Queries, ['SerialNumber'], 'the flag wins over the file');
  assert.deepEqual(fromJson.DeviceAttestationNonce, Buffer.from('nonce'));
  writeFileSync(join(dir, 'erase.plist'), buildPlist({ PIN: '123456', PreserveDataPlan: true }));
  assert.deepEqual(built('EraseDevice', MAC, '--json', join(dir, 'erase.plist')).command, { RequestType: 'EraseDevice', PIN: '123456', PreserveDataPlan: true });
  const { a } = parseTokens(['EraseDevice', MAC, '--json']);
  assert.deepEqual([a.opts.json, a.opts.payloadFile, a.ids], [true, undefined, [MAC]], '--json alone prints JSON');
});

test('InstallProfile: the .mobileconfig bytes, unsigned or signed, as Payload <data>', () => {
  assert.deepEqual(built('InstallProfile', MAC, '--file', fixturePath(PROFILE)).command.Payload, fixture(PROFILE));
  // Signed as an admin would, with openssl (an independent CMS signer).
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=Profile Signer', '-days', '1', '-keyout', 'k.pem', '-out', 'c.pem'], { cwd: dir, stdio: 'ignore' });
  execFileSync('openssl', ['smime', '-sign', '-nodetach', '-outform', 'der', '-signer', 'c.pem', '-inkey', 'k.pem', '-in', fixturePath(PROFILE), '-out', 'signed.mobileconfig'], { cwd: dir, stdio: 'ignore' });
  const signed = readFileSync(join(dir, 'signed.mobileconfig'));
  assert.deepEqual(built('InstallProfile', MAC, '--payload', `@${join(dir, 'signed.mobileconfig')}`).command.Payload, signed);
  assert.deepEqual(describeProfile(signed), { signed: true, identifier: '0DA6B871-623D-400A-B0EB-3BE489E39F2A', problem: null });
  assert.deepEqual(describeProfile(fixture(PROFILE)), { signed: false, identifier: '0DA6B871-623D-400A-B0EB-3BE489E39F2A', problem: null });
  assert.match(describeProfile(Buffer.from('hello')).problem!, /not a plist/);
});

test('values the schema refuses are named before anything is queued', () => {
  refused(['ScheduleOSUpdate', MAC, '--updates', '[{"install_action":"Sometimes"}]'], /updates\[0\]\.install_action: must be one of Default, DownloadOnly/);
  refused(['RemoveProfile', MAC], /identifier: is required/);
  refused(['ProfileList', MAC, '--managed-only=perhaps'], /managed_only: must be a boolean/);
  refused(['InstallProfile', MAC, '--file', join(dir, 'missing.mobileconfig')], /cannot read --file .*missing\.mobileconfig: ENOENT/);
  refused(['RemoveProfile', MAC, '--file', fixturePath(PROFILE)], /--file sets a command's one data key; RemoveProfile has none/);
  refused(['DeviceInformation', MAC, '--queries', 'A', '--json', join(dir, 'erase.plist')], /a plist payload file cannot be combined with key flags/);
  assert.throws(() => parseTokens(['DeviceLock', MAC, '--pin']), /--pin needs a value/);
});

test('through the server: InstallProfile --file reaches the device byte for byte; --wait prints the typed result; results explain errors', async () => {
  const install = await runCli(['cmd', 'InstallProfile', MAC, '--file', fixturePath(PROFILE)], env);
  assert.equal(install.code, 0, install.stderr);
  assert.match(install.stdout, /^profile 0DA6B871-623D-400A-B0EB-3BE489E39F2A \(unsigned\)$/m);
  assert.match(install.stdout, new RegExp(`${MAC}\\s+yes\\s+sent`));
  const cmd = commandOf(await mac.idle());
  assert.deepEqual(cmd?.command.Payload, fixture(PROFILE));
  await mac.result('Acknowledged', cmd!.uuid);

  const running = runCli(['cmd', 'SecurityInfo', MAC, '--wait', '--timeout', '60'], env);
  let info = null;
  for (let i = 0; i < 600 && !info; i++) {
    info = commandOf(await mac.idle());
    if (!info) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(info?.requestType, 'SecurityInfo');
  await mac.result('Acknowledged', info!.uuid, { SecurityInfo: { PasscodePresent: 'true', FDE_Enabled: true, BootstrapTokenAllowedForAuthentication: 'allowed' } });
  const r = await running;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`${MAC}\\s+acknowledged`));
  assert.match(r.stdout, /"passcode_present": true/);
  assert.match(r.stdout, /"fde_enabled": true/);

  // A device error, as mdmb answered RestartDevice: `updraft results` explains it.
  const restart = await runCli(['cmd', 'RestartDevice', MAC, '--nopush', '--json'], env);
  const uuid: string = JSON.parse(restart.stdout).command_uuid;
  const queued = commandOf(await mac.idle());
  assert.equal(queued?.uuid, uuid);
  const answer = fixture('mdmb/conversation-nanomdm/12-PUT-mdm-Error-RestartDevice.body.plist').toString()
    .replace('da50a87a-a059-4351-8ec3-1ca8f532deb5', uuid).replace('03ECD82D-9FBA-4ADC-B68D-2F7FF9F1AAE2', MAC);
  await put(server.url + '/mdm', answer, COMMAND_CONTENT_TYPE);
  const shown = await runCli(['results', uuid], env);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`${MAC}: MCMDMErrorDomain 12021: Unknown command: RestartDevice`));
  assert.match(shown.stdout, /The device does not know this command/);
});
