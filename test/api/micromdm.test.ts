// MicroMDM-compatible API, called as MicroMDM's tools/api scripts call it: JSON built by jq and posted
// with `curl -u micromdm:KEY -d@-` (so Content-Type is application/x-www-form-urlencoded).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TestDevice, commandOf } from '../helpers/device.js';
import { fixture } from '../helpers/fixtures.js';
import type { PlistDict } from '../../src/plist/index.js';
import { RecordingPusher, basicAuth, call } from './helpers.js';

let server: TestServer;
let device: TestDevice;
const pusher = new RecordingPusher();
const UDID = 'C0FFEE00-1111-2222-3333-444455556666';
const FORM = { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth('micromdm') };

before(async () => {
  server = await startTestServer({ pusher });
  device = new TestDevice(server.url, { ids: { UDID }, checkinPath: '/mdm/checkin', connectPath: '/mdm/connect' });
  await device.enroll();
});
after(async () => server.close());

/** POST /v1/commands as curl -d@- does, expecting MicroMDM's 201 {"payload":{command_uuid, command}}. */
async function postCommand(body: object): Promise<{ uuid: string; command: Record<string, unknown> }> {
  const r = await call(server.url, 'POST', '/v1/commands', JSON.stringify(body), FORM);
  assert.equal(r.status, 201, r.text);
  const { command_uuid, command } = r.json.payload;
  assert.match(command_uuid, /^[0-9a-f-]{36}$/);
  return { uuid: command_uuid, command };
}

/** The next command the device gets on the connect endpoint, acknowledged right away. */
async function nextCommand(): Promise<{ uuid: string; requestType: string; command: PlistDict }> {
  const reply = await device.idle();
  const cmd = commandOf(reply);
  assert.ok(cmd, `expected a command, got ${reply.status} ${reply.text}`);
  await device.result('Acknowledged', cmd.uuid);
  return cmd;
}

test('the OS update commands and DeviceInformation, InstallProfile: queued, pushed, delivered as Apple expects', async () => {
  pusher.pushed.length = 0;
  const scan = await postCommand({ udid: UDID, request_type: 'ScheduleOSUpdateScan', force: true });
  assert.deepEqual(scan.command, { request_type: 'ScheduleOSUpdateScan', force: true });
  const available = await postCommand({ udid: UDID, request_type: 'AvailableOSUpdates' });
  const schedule = await postCommand({
    udid: UDID,
    request_type: 'ScheduleOSUpdate',
    updates: [{ product_key: 'MSU_UPDATE_22G120_patch_13.6.1', install_action: 'InstallASAP', max_user_deferrals: '3' }],
  });
  assert.equal((schedule.command.updates as Record<string, unknown>[])[0]!.product_key, 'MSU_UPDATE_22G120_patch_13.6.1');
  const status = await postCommand({ udid: UDID, request_type: 'OSUpdateStatus' });
  const info = await postCommand({ udid: UDID, request_type: 'DeviceInformation', queries: ['OSVersion', 'BuildVersion', 'SoftwareUpdateDeviceID'] });
  const profileBytes = fixture('mdmb/commands-sent/testprofile.mobileconfig');
  const profile = await postCommand({ udid: UDID, request_type: 'InstallProfile', payload: profileBytes.toString('base64') });
  assert.equal(profile.command.payload, profileBytes.toString('base64'));
  assert.equal(pusher.pushed.length, 6, 'each command is followed by a push, as MicroMDM does');

  let cmd = await nextCommand();
  assert.deepEqual([cmd.uuid, cmd.requestType, cmd.command.Force], [scan.uuid, 'ScheduleOSUpdateScan', true]);
  cmd = await nextCommand();
  assert.deepEqual([cmd.uuid, cmd.requestType, Object.keys(cmd.command)], [available.uuid, 'AvailableOSUpdates', ['RequestType']]);
  cmd = await nextCommand();
  assert.equal(cmd.uuid, schedule.uuid);
  assert.deepEqual(cmd.command.Updates, [{ ProductKey: 'MSU_UPDATE_22G120_patch_13.6.1', InstallAction: 'InstallASAP', MaxUserDeferrals: 3 }]);
  cmd = await nextCommand();
  assert.deepEqual([cmd.uuid, cmd.requestType], [status.uuid, 'OSUpdateStatus']);
  cmd = await nextCommand();
  assert.deepEqual([cmd.uuid, cmd.command.Queries], [info.uuid, ['OSVersion', 'BuildVersion', 'SoftwareUpdateDeviceID']]);
  cmd = await nextCommand();
  assert.equal(cmd.uuid, profile.uuid);
  assert.ok(Buffer.isBuffer(cmd.command.Payload), 'InstallProfile Payload is <data>');
  assert.ok((cmd.command.Payload as Buffer).equals(profileBytes));
  assert.equal((await device.idle()).body.length, 0, 'queue drained');
});

test('the InstallProfile fixture: MicroMDM JSON in, the fixture plist out', async () => {
  const json = JSON.parse(fixture('micromdm/mdm_mdm_testdata_InstallProfile.json').toString()) as { command_uuid: string; command: Record<string, unknown> };
  const r = await call(server.url, 'POST', '/v1/commands', JSON.stringify({ udid: UDID, command_uuid: json.command_uuid, ...json.command }), FORM);
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json, { payload: json });
  const cmd = await nextCommand();
  assert.equal(cmd.uuid, json.command_uuid);
  assert.deepEqual(cmd.command.Payload, Buffer.from('foobarbaz'));
});

test('validation errors name the field as the caller wrote it; unknown device is a 404', async () => {
  let r = await call(server.url, 'POST', '/v1/commands', { udid: UDID, request_type: 'ScheduleOSUpdate', updates: [{ product_key: 'X', install_action: 'Sometime' }] });
  assert.equal(r.status, 400);
  assert.equal(r.json.field, 'updates[0].install_action');
  r = await call(server.url, 'POST', '/v1/commands', { request_type: 'DeviceInformation' });
  assert.equal(r.status, 400);
  assert.equal(r.json.field, 'udid');
  r = await call(server.url, 'POST', '/v1/commands', { udid: UDID, request_type: 'NoSuchCommand' });
  assert.equal(r.status, 400);
  assert.equal(r.json.field, 'request_type');
  r = await call(server.url, 'POST', '/v1/commands', '{"udid": ', FORM);
  assert.equal(r.status, 400);
  assert.match(r.json.error, /JSON/);
  r = await call(server.url, 'POST', '/v1/commands', { udid: 'NOT-ENROLLED', request_type: 'DeviceInformation', queries: ['UDID'] });
  assert.equal(r.status, 404);
  assert.match(r.json.error, /NOT-ENROLLED/);
});

test('raw plist to /v1/commands/{udid}, queue view, clear', async () => {
  const uuid = randomUUID();
  const body = fixture('mdmb/commands-sent/restart.plist').toString().replace('CMDUUID', uuid);
  let r = await call(server.url, 'POST', `/v1/commands/${UDID}`, body, { 'content-type': 'application/xml' });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json, { payload: { udid: UDID, command_uuid: uuid, command: { request_type: 'RestartDevice' } } });

  r = await call(server.url, 'GET', `/v1/commands/${UDID}`);
  assert.equal(r.status, 200);
  const dc = r.json.device_command;
  assert.equal(dc.DeviceUDID, UDID);
  const pending = dc.Commands.find((c: { UUID: string }) => c.UUID === uuid);
  assert.equal(Buffer.from(pending.Payload, 'base64').toString(), body);
  assert.equal(pending.LastSentAt, '0001-01-01T00:00:00Z');
  assert.ok(dc.Completed.length >= 7, 'acknowledged commands are listed as Completed');
  assert.equal(dc.Completed[0].LastStatus, 'Acknowledged');

  r = await call(server.url, 'DELETE', `/v1/commands/${UDID}`);
  assert.equal(r.status, 200);
  r = await call(server.url, 'GET', `/v1/commands/${UDID}`);
  assert.deepEqual(r.json.device_command.Commands, []);
  assert.equal((await device.idle()).body.length, 0);

  r = await call(server.url, 'PUT', `/v1/commands/${UDID}`, '<plist><dict/></plist>');
  assert.equal(r.status, 400);
  assert.match(r.json.error, /CommandUUID/);
});

test('POST /v1/devices lists devices in MicroMDM\'s shape, with filters', async () => {
  const other = new TestDevice(server.url, { ids: { UDID: 'D0D0' } });
  await other.authenticate({ SerialNumber: 'SERIAL-D0D0', OSVersion: '14.5', ProductName: 'MacBookPro18,3' });
  let r = await call(server.url, 'POST', '/v1/devices', '{}', FORM);
  assert.equal(r.status, 200);
  const mine = r.json.devices.find((d: { udid: string }) => d.udid === UDID);
  assert.deepEqual(mine, {
    udid: UDID, serial_number: 'C02TEST0001', push_magic: 'magic-1234', token: '00ff10ab', enrolled: true, last_seen: mine.last_seen,
  });
  assert.match(mine.last_seen, /^\d{4}-\d\d-\d\dT/);
  r = await call(server.url, 'POST', '/v1/devices', { filter_udid: ['D0D0'] });
  assert.deepEqual(r.json.devices.map((d: { udid: string }) => d.udid), ['D0D0']);
  assert.equal(r.json.devices[0].enrolled, undefined, 'not enrolled until TokenUpdate: omitted like Go omitempty');
  assert.equal(r.json.devices[0].os_version, '14.5');
  r = await call(server.url, 'POST', '/v1/devices', { filter_serial: ['SERIAL-D0D0'] });
  assert.deepEqual(r.json.devices.map((d: { serial_number: string }) => d.serial_number), ['SERIAL-D0D0']);
  r = await call(server.url, 'POST', '/v1/devices', { per_page: 1, page: 2 });
  assert.equal(r.json.devices.length, 1);
  r = await call(server.url, 'POST', '/v1/devices', { per_page: 'ten' });
  assert.equal(r.status, 400);
  assert.equal(r.json.field, 'per_page');
});

test('GET /push/{udid}: MicroMDM push answer; a failure is a 500 {error}', async () => {
  let r = await call(server.url, 'GET', `/push/${UDID}`);
  assert.deepEqual([r.status, r.json], [200, { status: 'success', push_notification_id: `apns-${UDID}` }]);
  pusher.failing.add(UDID);
  try {
    r = await call(server.url, 'GET', `/push/${UDID}`);
    assert.deepEqual([r.status, r.json], [500, { error: 'BadDeviceToken' }]);
  } finally {
    pusher.failing.clear();
  }
});
