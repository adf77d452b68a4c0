// Posture through the real server, on both backends: devices enroll and answer DeviceInformation and
// SecurityInfo as real ones do, the inventory observer keeps their inventory and each change
// recomputes their stored posture; GET /v1/devices/{id}/os and /v1/os/summary (filters, errors),
// the fleet recompute when the catalogs' stamp changes, stale and expired catalogs, and the CLI.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Catalogs } from '../../src/osupdate/catalog/service.js';
import { inventoryObserver } from '../../src/osupdate/inventory/observer.js';
import { PostureService, startPostureWorker } from '../../src/osupdate/posture/service.js';
import { recomputePostureOnChange } from '../../src/osupdate/posture/hook.js';
import type { PlistDict } from '../../src/plist/index.js';
import type { Store } from '../../src/storage/types.js';
import { commandOf, TestDevice } from '../helpers/device.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { openTestStore } from '../helpers/store.js';
import { RecordingPusher, call } from '../api/helpers.js';
import { runCli } from '../cli/run.js';
import { saveAdeSettings } from '../../src/dep/ade-settings.js';
import { snapshot, SNAPSHOTS } from './sucatalog.js';

const NOW = new Date('2026-08-22T12:00:00Z');
const MAC = 'POSTURE-MAC-0001';
const PHONE = 'POSTURE-PHONE-0001';
const ODD = 'POSTURE-ODD-0001';
let srv: TestServer;
let store: Store;
let catalogs: Catalogs;

async function importSnapshots(c: Catalogs): Promise<void> {
  for (const kind of ['gdmf', 'sofa-macos', 'sofa-ios'] as const) await c.import(kind, snapshot(SNAPSHOTS[kind]), { source: `file:${SNAPSHOTS[kind]}` });
}

before(async () => {
  store = await openTestStore();
  catalogs = new Catalogs({ store, now: () => NOW, recheckMs: 0 });
  await importSnapshots(catalogs);
  const posture = new PostureService({ store, inventory: store, catalogs, now: () => NOW });
  const pusher = new RecordingPusher();
  const inventory = inventoryObserver({ store: recomputePostureOnChange(store, posture), pusher });
  srv = await startTestServer({ store, pusher, catalogs: () => catalogs, posture: () => posture, core: { observers: [inventory] } });
});
after(async () => {
  await srv.close();
  await store.close();
});

/** Enroll, then answer each queued command: DeviceInformation with `info`, SecurityInfo with `security`. */
async function enroll(udid: string, checkin: PlistDict, info: PlistDict, security: PlistDict | null): Promise<TestDevice> {
  const d = new TestDevice(srv.url, { ids: { UDID: udid } });
  assert.equal((await d.authenticate(checkin)).status, 200);
  assert.equal((await d.tokenUpdate()).status, 200);
  await answer(d, info, security);
  return d;
}

async function answer(d: TestDevice, info: PlistDict, security: PlistDict | null): Promise<void> {
  for (let cmd = commandOf(await d.idle()); cmd; ) {
    const extra: PlistDict =
      cmd.requestType === 'DeviceInformation' ? { QueryResponses: info } : cmd.requestType === 'SecurityInfo' && security ? { SecurityInfo: security } : {};
    cmd = commandOf(await d.result('Acknowledged', cmd.uuid, extra));
  }
}

const macInfo = (os: string, build: string): PlistDict => ({
  OSVersion: os, BuildVersion: build, ProductName: 'Mac14,2', Model: 'Mac14,2', ModelName: 'MacBook Air', SoftwareUpdateDeviceID: 'J413AP',
  IsSupervised: true, IsAppleSilicon: true,
});
const macSecurity: PlistDict = {
  ManagementStatus: { EnrolledViaDEP: true, UserApprovedEnrollment: true, IsUserEnrollment: false },
  BootstrapTokenAllowedForAuthentication: 'allowed',
  BootstrapTokenRequiredForSoftwareUpdate: true,
};

test('a Mac that reports 26.5: its posture follows its inventory, the bootstrap token it escrows, and its update', async () => {
  const d = await enroll(MAC, { OSVersion: '26.5', BuildVersion: '25F71', Model: 'Mac14,2', ProductName: 'Mac14,2' }, macInfo('26.5', '25F71'), macSecurity);
  // Stored by the inventory hook, before any API call.
  const stored = await store.getPosture(MAC);
  assert.deepEqual([stored?.osVersion, stored?.latestVersion, stored?.releasesBehind, stored?.updateAllowed], ['26.5', '26.6.2', 5, false]);
  assert.equal(stored?.reason, 'Apple silicon Mac requires a bootstrap token for software updates and none is escrowed');

  assert.equal((await d.checkin('SetBootstrapToken', { BootstrapToken: Buffer.from('bootstrap-token-bytes') })).status, 200);
  assert.equal((await store.getPosture(MAC))?.updateAllowed, true, 'recomputed when the token was escrowed');

  const r = await call(srv.url, 'GET', `/v1/devices/${MAC}/os`);
  assert.equal(r.status, 200);
  const j = r.json;
  assert.deepEqual(
    [j.os_version, j.build_version, j.latest, j.latest_in_major, j.newest_major, j.on_latest, j.major_behind],
    ['26.5', '25F71', { version: '26.6.2', build: '25G83' }, { version: '26.6.2', build: '25G83' }, '26', false, false],
  );
  assert.deepEqual([j.releases_behind, j.days_behind, j.cves.length, j.cve_count, j.actively_exploited], [5, 82, 220, 220, ['CVE-2026-65400']]);
  assert.deepEqual(j.missing_security_releases, ['26.6.2', '26.6.1', '26.6', '26.5.2']);
  assert.deepEqual([j.update_allowed, j.major_upgrade_allowed, 'reason' in j, j.reasons], [true, false, false, []]);
  assert.deepEqual(j.catalogs.map((c: { kind: string; stale: boolean; age_days: number }) => [c.kind, c.stale, c.age_days]), [['gdmf', false, 0], ['sofa-macos', false, 0]]);
  assert.equal(j.last_update_attempt, null);
  assert.equal(j.computed_at, NOW.toISOString());

  // The device updates and says so in its next DeviceInformation.
  await srv.store.enqueue({ uuid: 'POSTURE-DI-2', requestType: 'DeviceInformation', raw: Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>CommandUUID</key><string>POSTURE-DI-2</string><key>Command</key><dict><key>RequestType</key><string>DeviceInformation</string><key>Queries</key><array><string>OSVersion</string></array></dict></dict></plist>',
  ), at: NOW }, [MAC]);
  await answer(d, macInfo('26.6.2', '25G83'), null);
  const now = await store.getPosture(MAC);
  assert.deepEqual([now?.osVersion, now?.onLatest, now?.releasesBehind, now?.cveCount], ['26.6.2', true, 0, 0]);
});

test('an unsupervised iPhone and hardware no catalog knows: the reasons', async () => {
  await enroll(PHONE, { OSVersion: '26.5', BuildVersion: '23F77', ProductName: 'iPhone15,2' }, {
    OSVersion: '26.5', BuildVersion: '23F77', ProductName: 'iPhone15,2', ModelName: 'iPhone', SoftwareUpdateDeviceID: 'iPhone15,2', IsSupervised: false,
  }, null);
  const phone = (await call(srv.url, 'GET', `/v1/devices/${PHONE}/os`)).json;
  assert.deepEqual([phone.latest, phone.releases_behind, phone.days_behind, phone.cve_count], [{ version: '26.6.1', build: '23G83' }, 3, 54, 153]);
  assert.deepEqual([phone.update_allowed, phone.reason], [false, 'not supervised: MDM OS updates need a supervised device']);

  await enroll(ODD, { OSVersion: '26.5', BuildVersion: '25F71', Model: 'Mac99,9', ProductName: 'Mac99,9' }, {
    OSVersion: '26.5', BuildVersion: '25F71', ProductName: 'Mac99,9', Model: 'Mac99,9', SoftwareUpdateDeviceID: 'J999AP', IsSupervised: true,
  }, macSecurity);
  const odd = (await call(srv.url, 'GET', `/v1/devices/${ODD}/os`)).json;
  assert.deepEqual([odd.latest, odd.on_latest, odd.reason], [null, false, 'no catalog lists model Mac99,9']);

  // A user channel's id answers its device's posture.
  await store.authenticate({ id: `${MAC}:USER-1`, type: 'User', deviceId: MAC, udid: MAC, userId: 'USER-1', topic: 't', inventory: {}, at: new Date() });
  const user = (await call(srv.url, 'GET', `/v1/devices/${encodeURIComponent(`${MAC}:USER-1`)}/os`)).json;
  assert.deepEqual([user.device_id, user.os_version], [MAC, '26.6.2']);

  const missing = await call(srv.url, 'GET', '/v1/devices/NO-SUCH-DEVICE/os');
  assert.equal(missing.status, 404);
  assert.match(missing.json.error, /no inventory for device NO-SUCH-DEVICE/);
});

test('the summary counts the stored postures, per version, with filters; bad filters are 400s', async () => {
  let r = await call(srv.url, 'GET', '/v1/os/summary');
  assert.equal(r.status, 200);
  const s = r.json;
  assert.deepEqual(
    [s.devices, s.on_latest, s.behind, s.major_behind, s.exposed_actively_exploited, s.unknown, s.major_upgrade_allowed, s.outdated],
    [3, 1, 1, 0, 0, 1, 0, 0],
  );
  assert.deepEqual(s.by_version.map((v: { platform: string; os_version: string; devices: number }) => `${v.platform} ${v.os_version} ${v.devices}`), [
    'macOS 26.6.2 1', 'iOS 26.5 1', 'macOS 26.5 1',
  ]);
  assert.deepEqual(s.catalogs.map((c: { kind: string }) => c.kind), ['gdmf', 'sofa-ios', 'sofa-macos']);
  r = await call(srv.url, 'GET', '/v1/os/summary?platform=macOS&os_max=26.5');
  assert.deepEqual([r.json.devices, r.json.unknown, r.json.filter], [1, 1, { platform: 'macOS', os_max: '26.5' }]);
  r = await call(srv.url, 'GET', '/v1/os/summary?model=iPhone15,2&os_min=26');
  assert.deepEqual([r.json.devices, r.json.behind], [1, 1]);
  r = await call(srv.url, 'GET', '/v1/os/summary?os_min=abc');
  assert.deepEqual([r.status, r.json.field], [400, 'os_min']);
  r = await call(srv.url, 'GET', '/v1/os/summary?os_min=26.6&os_max=26.5');
  assert.deepEqual([r.status, r.json.field], [400, 'os_min']);
  r = await call(srv.url, 'GET', '/v1/os/summary?platform=Windows');
  assert.deepEqual([r.status, r.json.field], [400, 'platform']);
});

test('a new day (or new catalogs) makes the stored postures outdated; one fleet recompute brings them back, once', async () => {
  const tomorrow = new Date(NOW.getTime() + 86_400_000);
  const laterCatalogs = new Catalogs({ store, now: () => tomorrow, recheckMs: 0 });
  const a = new PostureService({ store, inventory: store, catalogs: laterCatalogs, now: () => tomorrow });
  const b = new PostureService({ store, inventory: store, catalogs: laterCatalogs, now: () => tomorrow });
  assert.equal((await a.summary({})).summary.outdated, 3);
  const [done, other] = await Promise.all([a.recomputeFleet('node-a'), b.recomputeFleet('node-b')]);
  assert.deepEqual([done, other].sort(), [3, null].sort(), 'one process did it');
  assert.equal((await a.summary({})).summary.outdated, 0);
  assert.equal(await a.recomputeFleet('node-a'), null, 'nothing left to do');
  assert.equal((await store.getPosture(PHONE))?.daysBehind, 55, 'a day later');
});

test('the posture worker recomputes the fleet by itself when the stamp moves, and stops cleanly', async () => {
  const later = new Date(NOW.getTime() + 2 * 86_400_000);
  const service = new PostureService({ store, inventory: store, catalogs: new Catalogs({ store, now: () => later, recheckMs: 0 }), now: () => later });
  assert.equal((await service.summary({})).summary.outdated, 3);
  const worker = startPostureWorker({ service, intervalMs: 20, owner: 'worker-test' });
  try {
    for (let i = 0; i < 200 && (await service.summary({})).summary.outdated > 0; i++) await new Promise((r) => setTimeout(r, 25));
  } finally {
    await worker.stop();
  }
  assert.equal((await service.summary({})).summary.outdated, 0);
  assert.equal((await store.getPosture(PHONE))?.daysBehind, 56);
  assert.deepEqual([(await store.getPostureJob('fleet'))?.owner, (await store.getPostureJob('fleet'))?.done], [null, 3]);
});

test('catalogs past every ExpirationDate are stale, and the posture says so without dropping releases', async () => {
  const december = new Date('2026-12-01T12:00:00Z');
  const old = new PostureService({ store, inventory: store, catalogs: new Catalogs({ store, now: () => december, recheckMs: 0 }), now: () => december });
  const [phone] = await old.forDevices([PHONE]);
  assert.equal(phone?.releasesBehind, 3);
  assert.match(phone?.reason ?? '', /catalog gdmf is stale \(every release in it expired by 2026-11-20/);
  assert.match(phone?.reason ?? '', /past their gdmf ExpirationDate .*26\.6\.1 \(23G83\) expired 2026-11-20/);
  const summary = await old.summary({});
  assert.deepEqual(summary.catalogs.map((c) => [c.kind, c.stale]), [['gdmf', true], ['sofa-ios', true], ['sofa-macos', true]]);
});

test('updraft os status: the summary table, one device, --json, the ADE enrollment minimum', async () => {
  const env = { UPDRAFT_SERVER: srv.url, UPDRAFT_API_KEY: TEST_API_KEY };
  await saveAdeSettings(store, null, { minimum_os: { iOS: '26.6', macOS: '15.7' } });
  const [summary, device, json, missing] = await Promise.all([
    runCli(['os', 'status'], env),
    runCli(['os', 'status', PHONE], env),
    runCli(['os', 'status', MAC, '--json'], env),
    runCli(['os', 'status', MAC, 'NOPE'], env),
  ]);
  assert.equal(summary.code, 0, summary.stderr);
  assert.match(summary.stdout, /^3 devices: 1 on the latest release, 1 behind on their major, 0 a major behind, 0 exposed to actively exploited CVEs, 1 unknown to the catalogs/);
  assert.match(summary.stdout, /catalogs: gdmf \d+ d/);
  assert.match(summary.stdout, /\nADE enrollment minimum: iOS 26\.6, macOS 15\.7\n/);
  assert.match(summary.stdout, /PLATFORM\s+OS\s+DEVICES\s+ON LATEST\s+BEHIND\s+MAJOR BEHIND\s+EXPLOITED\s+UNKNOWN\nmacOS\s+26\.6\.2\s+1\s+1/);
  assert.equal(device.code, 0, device.stderr);
  assert.match(device.stdout, new RegExp(`${PHONE}\\s+iOS\\s+iPhone15,2\\s+26\\.5\\s+26\\.6\\.1 \\(23G83\\)\\s+26\\.6\\.1 \\(23G83\\)\\s+3\\s+\\d+\\s+153\\s+0\\s+no\\s+-\\s+26\\.6 \\(below\\)\\s+not supervised`));
  assert.match(device.stdout, /LAST ATTEMPT\s+ADE MINIMUM\s+REASON/);
  assert.equal(json.code, 0, json.stderr);
  assert.equal(JSON.parse(json.stdout).os_version, '26.6.2');
  assert.deepEqual([JSON.parse(json.stdout).ade_minimum_os, JSON.parse(json.stdout).below_ade_minimum_os], ['15.7', false]);
  assert.equal(missing.code, 1);
  assert.match(missing.stdout, new RegExp(MAC));
  assert.match(missing.stderr, /updraft: NOPE: no inventory for device NOPE/);
});
