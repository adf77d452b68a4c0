// ADE enrollment per the device's own ADE profile in ABM (the fake DEP service): a profile defined
// through /proxy is cached at once, one the assigner gives is fetched at the sync; a device whose
// profile says unsupervised and removable is recorded so and gets a removable enrollment profile, one
// whose profile says supervised, locked and Await Configuration gets the opposite whatever the
// settings say; a cached profile is used when Apple no longer answers; a device without a profile, or
// whose profile cannot be fetched, takes the settings and the log says so. Through the simulator:
// DeviceConfigured only for the device whose profile awaits configuration, after the admin's commands.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { parseSignedData } from '../../src/pki/cms/index.js';
import { parsePlist, type PlistDict } from '../../src/plist/index.js';
import { adeEnroll, depLookupFrom, loadAdeAnchors } from '../../src/dep/ade-enroll.js';
import { depClient } from '../../src/dep/client.js';
import { FakeDep } from '../../src/dep/fake/server.js';
import { Fleet } from '../../src/sim/fleet.js';
import { loadScenario } from '../../src/sim/scenario.js';
import { startHarness, type Harness } from '../sim/harness.js';
import { machineInfo, pem, signMachineInfo, TestPki, type Identity } from './ade-helpers.js';

let h: Harness;
let dep: FakeDep;
let device: Identity;
let appleCa: Identity;
let caPath = '';
const pki = new TestPki();
const uuids = { open: '', locked: '' };
const URL_ = 'https://mdm.example.test/mdm/ade/enroll';
const OPEN = 'C02OPEN00001';
const LOCKED = 'C02LOCK00001';
const NONE = 'C02NOPROF001';

before(async () => {
  appleCa = pki.ca('Test Apple Device CA', 'rsa');
  caPath = appleCa.certPath;
  device = pki.device(appleCa, 'device', 'rsa');
  h = await startHarness({ config: { adeDeviceCaFiles: [appleCa.certPath], inventoryIntervalSeconds: 0, campaignPollSeconds: 1 } });
  dep = await FakeDep.start();
  await h.store.saveDepTokens('abm', dep.state.tokens, new Date());
  await h.store.saveDepConfig('abm', dep.url, new Date());
});
after(async () => {
  await h.close();
  await dep.close();
  pki.cleanup();
});

const json = async (path: string) => (await (await h.api('GET', path)).json()) as Record<string, unknown>;
const enroll = async (udid: string, serial: string) => {
  const res = await fetch(`${h.url}/mdm/ade/enroll`, { method: 'POST', headers: { 'content-type': 'application/pkcs7-signature' }, body: signMachineInfo(pki, device, machineInfo({ UDID: udid, SERIAL: serial })) });
  assert.equal(res.status, 200, await res.clone().text());
  return parsePlist(parseSignedData(Buffer.from(await res.arrayBuffer())).content!) as PlistDict;
};
const buy = (devices: Array<Record<string, string>>) =>
  fetch(`${dep.url}/_fake/devices`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ devices }) });

test('supervision, removability and Await Configuration come from the device\'s ADE profile, cached per DEP name', async () => {
  // One profile defined through /proxy (as NanoDEP's tools do): cached from the pass-through.
  const defined = await h.api('POST', '/proxy/abm/profile', { profile_name: 'Open', url: URL_, is_supervised: false, is_mdm_removable: true, await_device_configured: false });
  assert.equal(defined.status, 200, await defined.clone().text());
  uuids.open = ((await defined.json()) as { profile_uuid: string }).profile_uuid;
  assert.equal((await h.store.getDepProfile('abm', uuids.open))?.profile.is_mdm_removable, true, 'cached from /proxy');
  // Another defined straight at Apple: the sync that assigns it fetches it.
  uuids.locked = (await depClient('abm', { store: h.store }).defineProfile({ profile_name: 'Locked', url: URL_, is_supervised: true, is_mdm_removable: false, await_device_configured: true })).profile_uuid;
  assert.equal(await h.store.getDepProfile('abm', uuids.locked), null);

  assert.equal((await h.api('PUT', '/v1/dep/abm/assign-rules', { rules: [{ profile_uuid: uuids.open, serials: [OPEN] }, { profile_uuid: uuids.locked, models: ['MacBook'] }] })).status, 200);
  assert.equal((await buy([{ serial_number: OPEN, model: 'MacBook Air', os: 'OSX' }, { serial_number: LOCKED, model: 'MacBook Pro', os: 'OSX' }, { serial_number: NONE, model: 'iMac', os: 'OSX' }])).status, 200);
  const synced = await h.api('POST', '/v1/dep/abm/sync');
  assert.equal(synced.status, 200, await synced.clone().text());
  assert.deepEqual(((await synced.json()) as { assigned: Record<string, string[]> }).assigned, { [uuids.open]: [OPEN], [uuids.locked]: [LOCKED] });
  assert.equal((await h.store.getDepProfile('abm', uuids.locked))?.profile.await_device_configured, true, 'fetched after the assigner assigned it');

  // The settings say the opposite of the "Open" profile: the profile wins.
  assert.equal((await h.api('PUT', '/v1/ade/settings', { supervised: true, mdm_removable: false, await_device_configured: true })).status, 200);
  const open = await enroll('0000FE00-00000000000A0001', OPEN);
  assert.equal(open.PayloadRemovalDisallowed, undefined, 'is_mdm_removable true: a removable enrollment profile');
  const openRec = await json('/v1/ade/enrollments/0000FE00-00000000000A0001');
  assert.deepEqual([openRec.profile_uuid, openRec.supervised, openRec.mdm_removable, openRec.await_device_configured], [uuids.open, false, true, false]);

  // The settings say the opposite of the "Locked" profile.
  assert.equal((await h.api('PUT', '/v1/ade/settings', { supervised: false, mdm_removable: true, await_device_configured: false })).status, 200);
  const locked = await enroll('0000FE00-00000000000A0002', LOCKED);
  assert.equal(locked.PayloadRemovalDisallowed, true);
  const lockedRec = await json('/v1/ade/enrollments/0000FE00-00000000000A0002');
  assert.deepEqual([lockedRec.supervised, lockedRec.mdm_removable, lockedRec.await_device_configured], [true, false, true]);

  // No profile assigned: the settings decide.
  await enroll('0000FE00-00000000000A0003', NONE);
  const noneRec = await json('/v1/ade/enrollments/0000FE00-00000000000A0003');
  assert.deepEqual([noneRec.profile_uuid, noneRec.supervised, noneRec.mdm_removable, noneRec.await_device_configured], [null, false, true, false]);

  // Apple forgets the profile (or is down): the cached copy still answers, with no DEP request.
  dep.state.profiles.delete(uuids.open);
  const before = ((await (await fetch(`${dep.url}/_fake/requests`)).json()) as { requests: unknown[] }).requests.length;
  assert.equal((await enroll('0000FE00-00000000000A0001', OPEN)).PayloadRemovalDisallowed, undefined);
  assert.equal((await json('/v1/ade/enrollments/0000FE00-00000000000A0001')).supervised, false);
  assert.equal(((await (await fetch(`${dep.url}/_fake/requests`)).json()) as { requests: unknown[] }).requests.length, before);
  assert.equal((await h.api('PUT', '/v1/ade/settings', {})).status, 200);
});

test('a profile that cannot be fetched, or none at all: the settings decide and the log says why', async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }));
  await h.store.setDepDeviceProfile('abm', [NONE], { profileUuid: 'GONE0000', profileStatus: 'assigned', at: new Date() });
  const deps = {
    store: h.store, anchors: loadAdeAnchors([caPath]), catalog: async () => null, logger,
    profile: async ({ removable }: { removable: boolean }) => Buffer.from(removable ? 'removable' : 'locked'),
    lookup: depLookupFrom(h.store, { logger }),
  };
  const answer = await adeEnroll(deps, signMachineInfo(pki, device, machineInfo({ UDID: '0000FE00-00000000000A0004', SERIAL: NONE })));
  assert.equal(answer.status, 200);
  assert.equal('profile' in answer && answer.profile.toString(), 'locked', 'mdm_removable false by default');
  const log = lines.join('');
  assert.match(log, /DEP profile could not be fetched/);
  assert.match(log, /ADE enrollment: ADE profile GONE0000 could not be fetched from the DEP API; supervised, mdm_removable, await_device_configured from the ADE settings/);
  const unknown = await adeEnroll(deps, signMachineInfo(pki, device, machineInfo({ UDID: '0000FE00-00000000000A0005', SERIAL: 'C02NOTINABM1' })));
  assert.equal(unknown.status, 200);
  assert.match(lines.join(''), /serial not among the DEP devices; supervised, mdm_removable, await_device_configured from the ADE settings/);
});

test('the simulator: DeviceConfigured after the admin\'s commands only for the device whose ADE profile awaits configuration', async () => {
  const sent: Array<[string, string]> = [];
  const fleet = await Fleet.start({
    depUrl: dep.url, server: h.url, count: 2, scenario: loadScenario('mojave-2018'), clockFactor: 100, wakeUrl: h.fake.wakeUrl, keyPoolSize: 2,
    adeCa: { certPem: pem(appleCa.certPath), keyPem: pem(appleCa.keyPath) }, onResult: (d, rt) => { sent.push([d.udid, rt]); },
  });
  try {
    const [waits, free] = fleet.devices as [typeof fleet.devices[0], typeof fleet.devices[0]];
    // The settings would not await: the profile of `waits` does.
    assert.equal((await h.api('PUT', '/v1/ade/settings', { initial_commands: [{ request_type: 'ProfileList' }], await_device_configured: false })).status, 200);
    assert.equal((await buy([{ serial_number: waits.serial, model: 'MacBook Pro', os: 'OSX' }, { serial_number: free.serial, model: 'Mac mini', os: 'OSX' }])).status, 200);
    assert.equal((await h.api('PUT', '/v1/dep/abm/assign-rules', { rules: [{ profile_uuid: uuids.locked, serials: [waits.serial] }, { profile_uuid: uuids.open, serials: [free.serial] }] })).status, 200);
    dep.state.profiles.set(uuids.open, { profile_name: 'Open', url: URL_, is_supervised: false, is_mdm_removable: true, await_device_configured: false, profile_uuid: uuids.open });
    assert.equal((await h.api('POST', '/v1/dep/abm/sync')).status, 200);
    await fleet.reenroll(waits, { ade: true });
    await fleet.reenroll(free, { ade: true });
    assert.equal(free.awaitingConfiguration, false, 'its profile does not hold it in Setup Assistant');
    assert.equal(free.supervised, false);

    const end = Date.now() + 20_000;
    const of = (udid: string) => sent.filter(([u]) => u === udid).map(([, rt]) => rt);
    while ((waits.awaitingConfiguration || !of(free.udid).includes('ProfileList')) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    assert.equal(waits.awaitingConfiguration, false, 'released by DeviceConfigured');
    const w = of(waits.udid);
    assert.ok(w.indexOf('ProfileList') >= 0 && w.indexOf('ProfileList') < w.indexOf('DeviceConfigured'), w.join(' '));
    assert.equal(w.filter((rt) => rt === 'DeviceConfigured').length, 1);
    assert.ok(of(free.udid).includes('ProfileList'), 'the initial commands go to every ADE enrollment');
    assert.equal(of(free.udid).includes('DeviceConfigured'), false);
    const rec = await json(`/v1/ade/enrollments/${free.udid}`);
    assert.deepEqual([rec.enrolled_via_ade, rec.supervised, rec.mdm_removable], [true, false, true]);
    assert.equal((await json(`/v1/devices/${free.udid}/inventory`)).is_supervised, false);
  } finally {
    await fleet.stop();
    assert.equal((await h.api('PUT', '/v1/ade/settings', {})).status, 200);
  }
});
