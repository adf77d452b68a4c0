// The inventory through the real server: a device enrolls and is asked DeviceInformation (once),
// answers with the real fixtures, reports a new OS by DDM and by DeviceInformation, and the inventory,
// its history and the enrollment filters follow; odd answers change nothing and break nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDdm } from '../../src/ddm/index.js';
import { inventoryObserver } from '../../src/osupdate/inventory/observer.js';
import { inventoryQueries } from '../../src/osupdate/inventory/queries.js';
import { buildPlist, parsePlist, type PlistDict } from '../../src/plist/index.js';
import type { Pusher } from '../../src/push/types.js';
import { commandOf, put, queueCommand, TestDevice, COMMAND_CONTENT_TYPE } from '../helpers/device.js';
import { fixture } from '../helpers/fixtures.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { openTestStore } from '../helpers/store.js';

let srv: TestServer;
const pushed: string[] = [];

before(async () => {
  const store = await openTestStore();
  const pusher: Pusher = {
    configured: true,
    async push(ids) {
      pushed.push(...ids);
      return ids.map((id) => ({ id, ok: true, outcome: 'sent' }));
    },
    async close() {},
  };
  const inventory = inventoryObserver({ store, pusher });
  const ddm = createDdm({ store, pusher, observers: [inventory] });
  srv = await startTestServer({ store, pusher, core: { declarative: ddm.handler, observers: [inventory] } });
});
after(async () => {
  await srv.close();
  await srv.store.close();
});

async function api(path: string): Promise<{ status: number; json: Record<string, any> }> {
  const res = await fetch(srv.url + path, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

const queued = async (id: string) => (await srv.store.listQueue(id)).map((q) => q.requestType);

const MAC = { OSVersion: '14.4', BuildVersion: '23E214', Model: 'Mac14,2', ProductName: 'Mac14,2', ModelName: 'MacBook Air' };

/** Enroll a Mac, then answer (empty) what the enrollment queued, so its queue is empty. */
async function enrolledMac(udid: string): Promise<TestDevice> {
  const d = new TestDevice(srv.url, { ids: { UDID: udid } });
  assert.equal((await d.authenticate(MAC)).status, 200);
  assert.equal((await d.tokenUpdate()).status, 200);
  for (let cmd = commandOf(await d.idle()); cmd; ) cmd = commandOf(await d.result('Acknowledged', cmd.uuid));
  assert.deepEqual(await queued(udid), []);
  return d;
}

function statusReport(items: Record<string, unknown>): PlistDict {
  return { Endpoint: 'status', Data: Buffer.from(JSON.stringify({ StatusItems: items, Errors: [] })) };
}

test('enrollment queues one DeviceInformation (what the OS answers) and one SecurityInfo, and pushes; a later TokenUpdate does not', async () => {
  const d = new TestDevice(srv.url, { ids: { UDID: 'INV-ENROLL' } });
  await d.authenticate(MAC);
  assert.deepEqual(await queued('INV-ENROLL'), [], 'nothing before TokenUpdate');
  await d.tokenUpdate();
  assert.deepEqual(await queued('INV-ENROLL'), ['DeviceInformation', 'SecurityInfo']);
  assert.deepEqual((await srv.store.listQueue('INV-ENROLL')).map((q) => q.priority), [-1, -1], 'below admin and campaign commands');
  assert.ok(pushed.includes('INV-ENROLL'));
  const cmd = commandOf(await d.idle())!;
  assert.equal(cmd.requestType, 'DeviceInformation');
  assert.deepEqual(cmd.command.Queries, inventoryQueries({ platform: 'macOS', osVersion: '14.4', userEnrollment: false }));
  await d.tokenUpdate();
  assert.deepEqual(await queued('INV-ENROLL'), ['DeviceInformation', 'SecurityInfo'], 'not a second one');
  const inv = await api('/v1/devices/INV-ENROLL/inventory');
  assert.equal(inv.status, 200);
  assert.deepEqual([inv.json.os_version, inv.json.build_version, inv.json.model, inv.json.platform, inv.json.is_user_enrollment], ['14.4', '23E214', 'Mac14,2', 'macOS', false]);
  assert.equal(inv.json.queried_at !== null, true);
});

test('the DeviceInformation fixtures update the inventory; a second answer with another OS shows in the history, old → new with times', async () => {
  // mdmb's device, answering the DeviceInformation Updraft queued with its recorded bytes.
  const udid = 'F716FADE-F9E7-4BDF-9EA2-3F82CE43B893';
  const d = new TestDevice(srv.url, { ids: { UDID: udid } });
  await d.authenticate(MAC);
  await d.tokenUpdate();
  const cmd = commandOf(await d.idle())!;
  assert.equal(cmd.requestType, 'DeviceInformation');
  const body = fixture('mdmb/conversation-nanomdm/08-PUT-mdm-Acknowledged-DeviceInformation.body.plist').toString('utf8')
    .replace('6cda30b7-8827-4d2e-ba16-552a9a5955b4', cmd.uuid);
  const first = await put(srv.url + '/mdm', body, null);
  assert.equal(first.status, 200);
  const t1 = Date.now();
  let inv = (await api(`/v1/devices/${udid}/inventory`)).json;
  assert.deepEqual([inv.device_name, inv.serial_number, inv.os_version], ["B8Y4575TBPAZ's Computer", 'B8Y4575TBPAZ', '14.4']);
  assert.ok(Date.parse(inv.information_at) <= t1 && Date.parse(inv.information_at) > t1 - 60_000);

  // NanoMDM's fixture, as the same Mac answers after an update (its QueryResponses plus the OS keys).
  const again = await queueCommand(srv.store, [udid], 'DeviceInformation', { Queries: ['OSVersion', 'BuildVersion', 'HostName'] });
  await srv.store.cancelCommand(udid, (await srv.store.listQueue(udid)).find((q) => q.requestType === 'SecurityInfo')!.uuid, new Date());
  assert.equal(commandOf(await d.idle())?.uuid, again);
  const nano = parsePlist(fixture('nanomdm/mdm_testdata_DeviceInformation.1.plist')) as PlistDict;
  const responses = { ...(nano.QueryResponses as PlistDict), UDID: udid, OSVersion: '14.6.1', BuildVersion: '23G93' };
  assert.equal((await d.result('Acknowledged', again, { QueryResponses: responses })).status, 200);

  inv = (await api(`/v1/devices/${udid}/inventory`)).json;
  assert.deepEqual([inv.os_version, inv.build_version], ['14.6.1', '23G93']);
  const history = await api(`/v1/devices/${udid}/inventory/history?field=os_version`);
  assert.equal(history.status, 200);
  assert.equal(history.json.device_id, udid);
  const changes = history.json.changes as Array<{ field: string; old_value: unknown; new_value: unknown; at: string }>;
  assert.deepEqual(changes.map((c) => [c.field, c.old_value, c.new_value]), [['os_version', '14.4', '14.6.1'], ['os_version', null, '14.4']]);
  assert.ok(Date.parse(changes[0]!.at) >= Date.parse(changes[1]!.at));
  const all = (await api(`/v1/devices/${udid}/inventory/history?limit=1000`)).json.changes as Array<{ field: string }>;
  assert.ok(all.some((c) => c.field === 'build_version') && all.some((c) => c.field === 'serial_number'));
  // The enrollment filters see the new version; the answer was fresh, so nothing more is queued.
  const listed = await api('/v1/enrollments?os_version=14.6.1');
  assert.ok((listed.json.enrollments as Array<{ id: string }>).some((e) => e.id === udid));
  assert.deepEqual(await queued(udid), []);
});

test('DDM status reports update the inventory; an OS change seen there queues DeviceInformation, but never two at once', async () => {
  const d = await enrolledMac('INV-DDM');
  const r = await d.checkin('DeclarativeManagement', statusReport({
    device: { 'operating-system': { version: '15.0', 'build-version': '24A335', family: 'macOS' }, model: { identifier: 'Mac14,2', 'marketing-name': 'MacBook Air (M2, 2022)' } },
    softwareupdate: { 'device-id': 'J413AP', 'install-state': 'none', 'pending-version': { 'os-version': '', 'build-version': '' } },
  }));
  assert.equal(r.status, 200, r.text);
  const inv = (await api('/v1/devices/INV-DDM/inventory')).json;
  assert.deepEqual([inv.os_version, inv.build_version, inv.software_update_device_id, inv.board_id, inv.model_marketing_name], ['15.0', '24A335', 'J413AP', 'J413AP', 'MacBook Air (M2, 2022)']);
  assert.deepEqual(inv.last_update_attempt && [inv.last_update_attempt.source, inv.last_update_attempt.status], ['ddm', 'none']);
  assert.deepEqual(await queued('INV-DDM'), ['DeviceInformation'], 'the OS changed: refresh the rest');
  await d.checkin('DeclarativeManagement', statusReport({ device: { 'operating-system': { 'build-version': '24A348' } } }));
  assert.deepEqual(await queued('INV-DDM'), ['DeviceInformation'], 'still one');
  await d.checkin('DeclarativeManagement', statusReport({
    softwareupdate: { 'install-state': 'downloading', 'pending-version': { 'os-version': '15.1', 'build-version': '24B83' }, 'install-reason': { reason: ['declaration'] } },
  }));
  const now = (await api('/v1/devices/INV-DDM/inventory')).json;
  assert.deepEqual(now.last_update_attempt.status, 'downloading');
  assert.deepEqual(now.last_update_attempt.version, '15.1');
  assert.deepEqual(now.last_update_attempt.install_reasons, ['declaration']);
  assert.deepEqual(now.pending_update, { version: '15.1', build: '24B83', target_local_date_time: null });
  const builds = (await api('/v1/devices/INV-DDM/inventory/history?field=buildVersion')).json.changes as Array<{ old_value: string; new_value: string }>;
  assert.deepEqual(builds.map((c) => [c.old_value, c.new_value]), [['24A335', '24A348'], ['23E214', '24A335'], [null, '23E214']]);
});

test('SecurityInfo and SetBootstrapToken: ADE enrollment, bootstrap token need and escrow', async () => {
  const d = new TestDevice(srv.url, { ids: { UDID: 'INV-SEC' } });
  await d.authenticate(MAC);
  await d.tokenUpdate();
  for (let cmd = commandOf(await d.idle()); cmd; ) {
    const extra: PlistDict = cmd.requestType === 'SecurityInfo'
      ? { SecurityInfo: { BootstrapTokenRequiredForSoftwareUpdate: true, BootstrapTokenAllowedForAuthentication: 'allowed', ManagementStatus: { EnrolledViaDEP: true, IsUserEnrollment: false } } }
      : {};
    cmd = commandOf(await d.result('Acknowledged', cmd.uuid, extra));
  }
  assert.equal((await d.checkin('SetBootstrapToken', { BootstrapToken: Buffer.from('bootstrap'), AwaitingConfiguration: false })).status, 200);
  let inv = (await api('/v1/devices/INV-SEC/inventory')).json;
  assert.deepEqual([inv.enrolled_via_dep, inv.bootstrap_token_required_for_software_update, inv.bootstrap_token_escrowed], [true, true, true]);
  await d.checkin('SetBootstrapToken', {});
  inv = (await api('/v1/devices/INV-SEC/inventory')).json;
  assert.equal(inv.bootstrap_token_escrowed, false);
});

test('ScheduleOSUpdate and OSUpdateStatus results become the last update attempt, errors explained', async () => {
  const d = await enrolledMac('INV-UPD');
  const uuid = await queueCommand(srv.store, ['INV-UPD'], 'ScheduleOSUpdate', { Updates: [{ ProductKey: 'MSU_UPDATE_23G93_patch_14.6.1', InstallAction: 'InstallASAP' }] });
  assert.equal(commandOf(await d.idle())?.uuid, uuid);
  await d.result('Error', uuid, { ErrorChain: [{ ErrorCode: 74, ErrorDomain: 'MDMClientError', LocalizedDescription: 'Command requires DEP enrollment: ScheduleOSUpdate <MDMClientError:74>' }] });
  let a = (await api('/v1/devices/INV-UPD/inventory')).json.last_update_attempt;
  assert.deepEqual([a.source, a.status, a.product_key, a.version, a.error.code, a.error.domain], ['ScheduleOSUpdate', 'failed', 'MSU_UPDATE_23G93_patch_14.6.1', '14.6.1', 74, 'MDMClientError']);
  assert.match(a.error.message, /Automated Device Enrollment/);
  const status = await queueCommand(srv.store, ['INV-UPD'], 'OSUpdateStatus');
  await d.idle();
  await d.result('Acknowledged', status, { OSUpdateStatus: [{ ProductKey: 'MSU_UPDATE_23G93_patch_14.6.1', IsDownloaded: false, DownloadPercentComplete: 0.25, Status: 'Downloading' }] });
  a = (await api('/v1/devices/INV-UPD/inventory')).json.last_update_attempt;
  assert.deepEqual([a.source, a.status, a.version, a.error], ['OSUpdateStatus', 'Downloading', '14.6.1', null]);
});

test('bad and odd answers change nothing and never fail the device', async () => {
  const d = await enrolledMac('INV-ODD');
  const before = (await api('/v1/devices/INV-ODD/inventory')).json;
  for (const responses of ['garbage', { OSVersion: { x: 1 }, BuildVersion: [], IsSupervised: 'perhaps', AvailableDeviceCapacity: 'much' }, undefined]) {
    const uuid = await queueCommand(srv.store, ['INV-ODD'], 'DeviceInformation', { Queries: ['OSVersion'] });
    await d.idle();
    const r = await d.result('Acknowledged', uuid, responses === undefined ? {} : { QueryResponses: responses as PlistDict });
    assert.equal(r.status, 200);
  }
  const odd = await d.checkin('DeclarativeManagement', statusReport({ device: { 'operating-system': { version: 17, family: 'Plan9' } }, softwareupdate: { 'failure-reason': 'x' } }));
  assert.equal(odd.status, 200, odd.text);
  const now = (await api('/v1/devices/INV-ODD/inventory')).json;
  for (const k of ['os_version', 'build_version', 'is_supervised', 'available_device_capacity', 'platform']) assert.deepEqual(now[k], before[k], k);
  assert.deepEqual(await queued('INV-ODD'), []);
});

test('User Enrollment: never asked what it may not answer; a user channel shows its device\'s inventory', async () => {
  const ue = new TestDevice(srv.url, { ids: { EnrollmentID: 'UE-INV-1' } });
  await ue.authenticate({ ...MAC, OSVersion: '17.5', BuildVersion: '21F79', ProductName: 'iPhone15,2', Model: 'MQ9T3LL/A', ModelName: 'iPhone' });
  await ue.tokenUpdate();
  const cmd = commandOf(await ue.idle())!;
  assert.equal(cmd.requestType, 'DeviceInformation');
  const queries = cmd.command.Queries as string[];
  for (const q of ['SerialNumber', 'SoftwareUpdateDeviceID']) assert.ok(!queries.includes(q), q);
  assert.ok(queries.includes('OSVersion'));
  assert.equal((await api('/v1/devices/UE-INV-1/inventory')).json.is_user_enrollment, true);

  const mac = await enrolledMac('INV-USER');
  const user = new TestDevice(srv.url, { ids: { UDID: 'INV-USER', UserID: 'U-1', UserShortName: 'ada' } });
  await user.tokenUpdate();
  assert.deepEqual(await queued('INV-USER:U-1'), [], 'user channels are not asked');
  assert.equal((await api('/v1/devices/INV-USER:U-1/inventory')).json.device_id, 'INV-USER');
  void mac;
});

test('API: unknown device 404, unknown field and bad limit 400, with the reason', async () => {
  const missing = await api('/v1/devices/NOPE/inventory');
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json.field, 'id');
  const field = await api('/v1/devices/INV-ENROLL/inventory/history?field=colour');
  assert.equal(field.status, 400);
  assert.equal(field.json.field, 'field');
  assert.match(field.json.error, /os_version/);
  assert.equal((await api('/v1/devices/INV-ENROLL/inventory/history?limit=0')).status, 400);
  assert.equal((await api('/v1/devices/NOPE/inventory/history')).status, 404);
});

test('with --inventory-interval 0 (query: false) nothing is queued by the inventory, and answers still count', async () => {
  const store = await openTestStore();
  const quiet = inventoryObserver({ store, pusher: { configured: true, push: async (ids) => ids.map((id) => ({ id, ok: true, outcome: 'sent' })), close: async () => {} }, query: false });
  const own = await startTestServer({ store, core: { observers: [quiet] } });
  try {
    const d = new TestDevice(own.url, { ids: { UDID: 'INV-QUIET' } });
    await d.authenticate(MAC);
    await d.tokenUpdate();
    assert.deepEqual((await store.listQueue('INV-QUIET')).map((q) => q.requestType), []);
    const uuid = await queueCommand(store, ['INV-QUIET'], 'DeviceInformation', { Queries: ['OSVersion'] });
    await d.idle();
    await d.result('Acknowledged', uuid, { QueryResponses: { OSVersion: '14.7' } });
    assert.equal((await store.getInventory('INV-QUIET'))?.osVersion, '14.7');
  } finally {
    await own.close();
    await store.close();
  }
});
