// The simulator's ADE enrollment end to end, through the fake DEP service: token PKI → a token made by
// `openssl smime -encrypt` for its certificate → decrypted; Updraft syncs (fetch, then from the kept cursor) the DEP
// name's devices and the assigner gives them the default ADE profile; devices not enrolled yet are
// listed; a mojave-2018 Mac enrolls again through ADE (the DEP service's profile URL → MachineInfo
// signed by its identity from the test "Apple device CA" → profile → SCEP → check-in), with unknown
// serials refused, is recorded as ADE and supervised, gets DeviceConfigured out of Await
// Configuration, and a campaign's dry run then plans its major upgrade while the other Mac, enrolled
// with the ordinary profile, is still blocked by error 74. The DEP name's enrollment minimum then shows
// in the ADE Mac's dry-run entry, posture and page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Fleet } from '../../src/sim/fleet.js';
import { loadScenario } from '../../src/sim/scenario.js';
import { startHarness, type Harness } from '../sim/harness.js';
import { pem, TestPki } from './ade-helpers.js';
import { FakeDep } from '../../src/dep/fake/server.js';
import { depClient } from '../../src/dep/client.js';
import { TEST_API_KEY } from '../helpers/server.js';
import { signIn } from '../ui/client.js';

let h: Harness;
let fleet: Fleet;
let dep: FakeDep;
let profileUuid = '';
const pki = new TestPki();
const sent: Array<[string, string]> = [];

before(async () => {
  const appleCa = pki.ca('Test Apple iPhone Device CA', 'rsa');
  h = await startHarness({ config: { adeDeviceCaFiles: [appleCa.certPath], campaignPollSeconds: 1 } });
  dep = await FakeDep.start();
  // The admin's way in: the token key pair's certificate, the token ABM would give for it (encrypted
  // by `openssl smime -encrypt` to that certificate), decrypted by Updraft; the DEP name pointed at the fake.
  const certPem = await (await h.api('GET', '/v1/tokenpki/abm')).text();
  writeFileSync(join(pki.dir, 'abm.pem'), certPem);
  const message = `Content-Type: text/plain;charset=UTF-8\r\n\r\n-----BEGIN MESSAGE-----\n${JSON.stringify(dep.state.tokens)}\n-----END MESSAGE-----\n`;
  const p7m = execFileSync('openssl', ['smime', '-encrypt', '-aes256', '-outform', 'PEM', join(pki.dir, 'abm.pem')], { input: message, encoding: 'utf8' });
  const decrypted = await h.api('PUT', '/v1/tokenpki/abm', p7m);
  assert.equal(decrypted.status, 200, await decrypted.clone().text());
  assert.equal(((await decrypted.json()) as { consumer_key: string }).consumer_key, dep.state.tokens.consumer_key);
  assert.equal((await h.api('PUT', '/v1/config/abm', { base_url: dep.url })).status, 200);
  profileUuid = (await depClient('abm', { store: h.store }).defineProfile({ profile_name: 'Macs', url: 'https://mdm.example.test/mdm/ade/enroll', is_supervised: true, await_device_configured: true })).profile_uuid;
  assert.equal((await h.api('PUT', `/v1/assigner/abm?profile_uuid=${profileUuid}`)).status, 200);
  fleet = await Fleet.start({
    depUrl: dep.url,
    server: h.url, count: 2, scenario: loadScenario('mojave-2018'), clockFactor: 100, wakeUrl: h.fake.wakeUrl, keyPoolSize: 2,
    adeCa: { certPem: pem(appleCa.certPath), keyPem: pem(appleCa.keyPath) },
    onResult: (d, rt) => { sent.push([d.udid, rt]); },
  });
});
after(async () => {
  await fleet.stop();
  await h.close();
  await dep.close();
  pki.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) assert.fail(`${what}: ${JSON.stringify(v)}`);
    await sleep(100);
  }
}
const json = async (path: string) => (await (await h.api('GET', path)).json()) as Record<string, unknown>;

test('an ADE Mac is recorded ADE and supervised, configured, and a dry run allows its major upgrade; the other meets error 74', async () => {
  const [ade, manual] = fleet.devices as [typeof fleet.devices[0], typeof fleet.devices[0]];
  assert.equal((await h.api('PUT', '/v1/ade/settings', { initial_commands: [{ request_type: 'ProfileList' }], unknown_serials: 'refuse' })).status, 200);
  // The organization buys the Mac (and another, not unpacked yet): ABM lists them; Updraft syncs and assigns.
  const bought = await fetch(`${dep.url}/_fake/devices`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ devices: [{ serial_number: ade.serial, model: 'MacBook Pro', os: 'OSX', device_family: 'Mac' }, { serial_number: 'C02NOTYET001', model: 'MacBook Air', os: 'OSX', device_family: 'Mac' }] }) });
  assert.equal(bought.status, 200);
  const synced = await h.api('POST', '/v1/dep/abm/sync');
  assert.equal(synced.status, 200, await synced.clone().text());
  const first = (await synced.json()) as { mode: string; assigned: Record<string, string[]> };
  assert.equal(first.mode, 'fetch');
  assert.deepEqual(first.assigned, { [profileUuid]: [ade.serial, 'C02NOTYET001'].sort() });
  // A later pass asks only the changes, from the cursor the first one kept in the database.
  assert.ok((await h.store.getDepName('abm'))!.cursor);
  dep.state.upsertDevices([{ serial_number: 'C02NOTYET002', model: 'MacBook Air', os: 'OSX', device_family: 'Mac' }]);
  const later = (await (await h.api('POST', '/v1/dep/abm/sync')).json()) as { mode: string; added: string[]; assigned: Record<string, string[]> };
  assert.deepEqual([later.mode, later.added, later.assigned], ['sync', ['C02NOTYET002'], { [profileUuid]: ['C02NOTYET002'] }]);
  const waiting = ((await json('/v1/dep-devices?dep_name=abm&enrolled=false')).devices as Array<Record<string, unknown>>).map((d) => d.serial_number);
  assert.deepEqual(waiting, ['C02NOTYET001', 'C02NOTYET002'], 'the Mac already enrolled (without ADE) is not listed as waiting');

  await fleet.reenroll(ade, { ade: true, supervised: true });
  assert.equal(dep.state.devices.get(ade.serial)!.profile_status, 'pushed', 'the Mac asked the DEP service for its profile');

  const rec = await json(`/v1/ade/enrollments/${ade.udid}`);
  assert.equal(rec.enrolled_via_ade, true);
  assert.equal(rec.supervised, true);
  assert.equal(rec.serial, ade.serial);
  assert.equal(rec.product, 'MacBookPro14,2');
  assert.equal(rec.dep_name, 'abm');
  assert.equal(rec.profile_uuid, profileUuid);
  const inv = await json(`/v1/devices/${ade.udid}/inventory`);
  assert.equal(inv.enrolled_via_dep, true);
  assert.equal(inv.is_supervised, true);

  // Await Configuration: the admin's command, then DeviceConfigured, once.
  await until('DeviceConfigured', async () => ade.awaitingConfiguration, (v) => v === false);
  const mine = sent.filter(([u]) => u === ade.udid).map(([, rt]) => rt);
  assert.ok(mine.indexOf('ProfileList') >= 0 && mine.indexOf('ProfileList') < mine.indexOf('DeviceConfigured'), mine.join(' '));
  assert.equal(mine.filter((rt) => rt === 'DeviceConfigured').length, 1);
  assert.equal((await json(`/v1/ade/enrollments/${manual.udid}`)).error !== undefined, true, 'the other Mac never came through ADE');

  // The ordinary enrollment reports no ADE (SecurityInfo); the ADE one keeps it.
  await until('SecurityInfo of the manual Mac', () => json(`/v1/devices/${manual.udid}/inventory`), (v) => v.enrolled_via_dep === false);
  await until('SecurityInfo of the ADE Mac', () => json(`/v1/devices/${ade.udid}/inventory`), (v) => v.security_at !== null && v.enrolled_via_dep === true);

  const res = await h.api('POST', '/v1/campaigns', { name: 'Mojave', select: { enrollment_ids: [ade.udid, manual.udid] }, target: { version: '10.14' }, dry_run: true });
  assert.equal(res.status, 200, await res.clone().text());
  const dry = (await res.json()) as { devices: Array<Record<string, unknown>>; ade_minimum_os: Record<string, string> };
  assert.deepEqual(dry.ade_minimum_os, {}, 'no enrollment minimum set');
  const plans = dry.devices;
  const plan = (id: string) => plans.find((p) => p.enrollment_id === id)!;
  assert.equal(plan(ade.udid).state, 'pending', JSON.stringify(plan(ade.udid)));
  assert.equal(plan(ade.udid).path, 'legacy');
  assert.equal(plan(manual.udid).state, 'blocked');
  assert.match(String(plan(manual.udid).reason), /error 74/);
  assert.equal(plan(ade.udid).ade_minimum_os, null, 'an ADE device\'s entry says its platform has no enrollment minimum');
  assert.equal('ade_minimum_os' in plan(manual.udid), false, 'only ADE devices carry it');
});

test('the ADE enrollment minimum of its DEP name is shown in the dry-run entry, the posture and the page of an ADE device below it', async () => {
  const [ade, manual] = fleet.devices as [typeof fleet.devices[0], typeof fleet.devices[0]];
  // The global minimum is met; the DEP name's (its settings override the global ones) is not.
  assert.equal((await h.api('PUT', '/v1/ade/settings', { minimum_os: { macOS: '10.12', iOS: '17.4' } })).status, 200);
  assert.equal((await h.api('PUT', '/v1/ade/settings/abm', { minimum_os: { macOS: '10.15' } })).status, 200);
  try {
    const res = await h.api('POST', '/v1/campaigns', { name: 'Mojave', select: { enrollment_ids: [ade.udid, manual.udid] }, target: { version: '10.14' }, dry_run: true });
    const dry = (await res.json()) as { devices: Array<Record<string, unknown>>; ade_minimum_os: Record<string, string> };
    assert.deepEqual(dry.ade_minimum_os, { macOS: '10.12', iOS: '17.4' }, 'the global minimums');
    const entry = dry.devices.find((p) => p.enrollment_id === ade.udid)!;
    assert.match(ade.osVersion, /^10\.1[234]\./, 'a Mojave-era Mac, below 10.15');
    assert.deepEqual([entry.ade_minimum_os, entry.below_ade_minimum_os], ['10.15', true], JSON.stringify(entry));
    assert.equal('ade_minimum_os' in dry.devices.find((p) => p.enrollment_id === manual.udid)!, false);

    const posture = await json(`/v1/devices/${ade.udid}/os`);
    assert.deepEqual([posture.ade_minimum_os, posture.below_ade_minimum_os], ['10.15', true]);
    const other = await json(`/v1/devices/${manual.udid}/os`);
    assert.deepEqual([other.ade_minimum_os, other.below_ade_minimum_os], ['10.12', false], 'not an ADE device: the global minimum, met');

    const ui = await signIn(h.url, TEST_API_KEY);
    const page = await (await ui.get(`/ui/devices/${encodeURIComponent(ade.udid)}`)).text();
    assert.match(page, /<dt>ADE enrollment minimum<\/dt><dd>macOS 10\.15: this device runs below it/);
  } finally {
    assert.equal((await h.api('PUT', '/v1/ade/settings', {})).status, 200);
    assert.equal((await h.api('PUT', '/v1/ade/settings/abm', {})).status, 200);
  }
});
