// The CLI commands that talk to a running server over its API, run as subprocesses, with and without --json.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { TestDevice, commandOf } from '../helpers/device.js';
import { fixture } from '../helpers/fixtures.js';
import { RecordingPusher } from '../api/helpers.js';
import { runCli } from './run.js';

let server: TestServer;
let env: Record<string, string>;
let mac: TestDevice;
const pusher = new RecordingPusher();
const MAC = 'CLI00000-1111-2222-3333-444455556666';

before(async () => {
  server = await startTestServer({ pusher });
  env = { UPDRAFT_SERVER: server.url, UPDRAFT_API_KEY: TEST_API_KEY };
  mac = new TestDevice(server.url, { ids: { UDID: MAC } });
  await mac.authenticate({ OSVersion: '14.6.1', ProductName: 'MacBookPro18,3', Model: 'MacBookPro18,3', SerialNumber: 'C02CLI' });
  await mac.tokenUpdate();
});
after(async () => server.close());

test('--help lists the commands; each command documents its flags', async () => {
  const [top, enqueue] = await Promise.all([runCli(['--help']), runCli(['enqueue', '--help'])]);
  assert.equal(top.code, 0);
  for (const cmd of ['serve', 'devices', 'enqueue', 'push', 'queue', 'results']) assert.match(top.stdout, new RegExp(`\\n  ${cmd} `));
  for (const flag of ['--type', '--payload', '--nopush', '--expires-in', '--server', '--api-key', '--json']) assert.ok(enqueue.stdout.includes(flag), flag);
});

test('devices: an aligned table, or the API JSON with --json; filters are passed on', async () => {
  const [human, json, none, bad] = await Promise.all([
    runCli(['devices'], env),
    runCli(['devices', '--json', '--platform', 'macOS', '--os-version', '14.'], env),
    runCli(['devices', '--platform', 'tvOS'], env),
    runCli(['devices', '--platform', 'Windows'], env),
  ]);
  assert.equal(human.code, 0, human.stderr);
  const [header, row] = human.stdout.trimEnd().split('\n');
  assert.match(header!, /^ID\s+TYPE\s+SERIAL\s+PLATFORM\s+OS\s+MODEL/);
  assert.ok(row!.startsWith(MAC));
  assert.equal(header!.indexOf('SERIAL'), row!.indexOf('C02CLI'), 'columns line up');

  assert.equal(json.code, 0, json.stderr);
  const api = await fetch(`${server.url}/v1/enrollments?platform=macOS&os_version=14.`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
  assert.deepEqual(JSON.parse(json.stdout), await api.json());

  assert.equal(none.stdout.trim(), 'no enrollments');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /platform/);
});

test('enqueue --type with a payload, then results after the device answers', async () => {
  pusher.pushed.length = 0;
  const r = await runCli(['enqueue', MAC, '--type', 'DeviceInformation', '--payload', '{"queries":["OSVersion","BuildVersion"]}'], env);
  assert.equal(r.code, 0, r.stderr);
  const [first] = r.stdout.split('\n');
  const uuid = /^DeviceInformation ([0-9a-f-]{36})$/.exec(first!)?.[1];
  assert.ok(uuid, r.stdout);
  assert.match(r.stdout, new RegExp(`${MAC}\\s+yes\\s+sent`));
  assert.deepEqual(pusher.pushed, [[MAC]]);

  const cmd = commandOf(await mac.idle());
  assert.equal(cmd?.uuid, uuid);
  assert.deepEqual(cmd?.command.Queries, ['OSVersion', 'BuildVersion']);
  await mac.result('Acknowledged', uuid!, { QueryResponses: { OSVersion: '14.6.1', BuildVersion: '23G93' } });

  const [human, json] = await Promise.all([runCli(['results', uuid!], env), runCli(['results', uuid!, '--json'], env)]);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, new RegExp(`${MAC}\\s+acknowledged`));
  assert.match(human.stdout, /"BuildVersion": "23G93"/);
  const body = JSON.parse(json.stdout);
  assert.equal(body.enrollments[0].result.QueryResponses.OSVersion, '14.6.1');
});

test('enqueue a plist file (or stdin) with --nopush and --json; queue, cancel and clear', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'updraft-cli-'));
  const uuid = randomUUID();
  const file = join(dir, 'restart.plist');
  writeFileSync(file, fixture('mdmb/commands-sent/restart.plist').toString().replace('CMDUUID', uuid));
  pusher.pushed.length = 0;
  const stdinUuid = randomUUID();
  const [r, viaStdin] = await Promise.all([
    runCli(['enqueue', MAC, file, '--nopush', '--json', '--expires-in', '3600'], env),
    runCli(['enqueue', MAC, '-', '--nopush'], env, fixture('mdmb/commands-sent/profilelist.plist').toString().replace('CMDUUID', stdinUuid)),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { no_push: true, command_uuid: uuid, request_type: 'RestartDevice' });
  assert.deepEqual(pusher.pushed, []);
  assert.equal(viaStdin.code, 0, viaStdin.stderr);
  assert.match(viaStdin.stdout, new RegExp(`^ProfileList ${stdinUuid}`));
  assert.match(viaStdin.stdout, /not requested/);

  const [queue, queueJsonRun] = await Promise.all([runCli(['queue', MAC], env), runCli(['queue', MAC, '--json'], env)]);
  assert.match(queue.stdout, /^COMMAND UUID\s+REQUEST TYPE\s+STATUS/);
  assert.match(queue.stdout, new RegExp(`${uuid}\\s+RestartDevice\\s+queued`));
  const queueJson = JSON.parse(queueJsonRun.stdout);
  assert.ok(queueJson.commands.find((c: { command_uuid: string }) => c.command_uuid === uuid).expires_at);

  const cancel = await runCli(['queue', MAC, '--cancel', uuid], env);
  assert.equal(cancel.stdout.trim(), 'cancelled 1 command');
  const again = await runCli(['queue', MAC, '--cancel', uuid], env);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /409.*cancelled/);
  const clear = await runCli(['queue', MAC, '--clear', '--json'], env);
  assert.deepEqual(JSON.parse(clear.stdout), { cancelled: 1 });
  assert.deepEqual(await server.store.listQueue(MAC), []);
});

test('enqueue errors: unknown enrollment, invalid payload field, missing command', async () => {
  const [unknown, invalid, nothing] = await Promise.all([
    runCli(['enqueue', `${MAC},GHOST`, '--type', 'ProfileList', '--nopush'], env),
    runCli(['enqueue', MAC, '--type', 'ScheduleOSUpdate', '--payload', '{"updates":[{"install_action":"Later"}]}'], env),
    runCli(['enqueue', MAC], env),
  ]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stdout, /GHOST\s+no: /);
  assert.match(unknown.stderr, /not queued for 1 of 2/);
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /400 .*install_action/);
  assert.equal(nothing.code, 1);
  assert.match(nothing.stderr, /--type/);
});

test('push: a table per id, --json, and a failing push exits 1', async () => {
  const ok = await runCli(['push', MAC], env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, new RegExp(`${MAC}\\s+sent apns-${MAC}`));
  pusher.failing.add(MAC);
  try {
    const failed = await runCli(['push', MAC, '--json'], env);
    assert.equal(failed.code, 1);
    assert.deepEqual(JSON.parse(failed.stdout), { status: { [MAC]: { push_error: 'BadDeviceToken' } } });
  } finally {
    pusher.failing.clear();
  }
});

test('clear errors for a wrong key and an unreachable server; flags win over variables', async () => {
  const keyDir = mkdtempSync(join(tmpdir(), 'updraft-key-'));
  writeFileSync(join(keyDir, 'api-key'), `${TEST_API_KEY}\n`);
  const [wrong, down, flagWins, fromDataDir] = await Promise.all([
    runCli(['devices'], { ...env, UPDRAFT_API_KEY: 'nope' }),
    runCli(['devices', '--server', 'http://127.0.0.1:9'], env),
    runCli(['devices', '--api-key', TEST_API_KEY, '--server', server.url], { UPDRAFT_API_KEY: 'nope', UPDRAFT_SERVER: 'http://127.0.0.1:9' }),
    runCli(['devices', '--data-dir', keyDir], { UPDRAFT_SERVER: server.url }),
  ]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /refused the API key/);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /cannot reach the Updraft server at http:\/\/127\.0\.0\.1:9/);
  assert.equal(flagWins.code, 0, flagWins.stderr);
  assert.equal(fromDataDir.code, 0, fromDataDir.stderr);
});
