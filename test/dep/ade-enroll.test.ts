// The ADE enrollment URL (POST /mdm/ade/enroll) against MachineInfo signed by openssl: the profile for
// a device of the trusted device CA, non-removable by default; 403 com.apple.softwareupdate.required
// with the catalog's release below the platform minimum; bad signatures, other CAs, garbage and
// refused unknown serials get a 4xx with the reason (never 401) and nothing is stored.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSignedData } from '../../src/pki/cms/index.js';
import { parsePlist, type PlistDict } from '../../src/plist/index.js';
import { startHarness, type Harness } from '../sim/harness.js';
import { sharedDir } from '../helpers/fixtures.js';
import { gdmfFixture, machineInfo, signMachineInfo, TestPki, type Identity } from './ade-helpers.js';

let h: Harness;
const pki = new TestPki();
let device: Identity;
let stranger: Identity;

before(async () => {
  const appleCa = pki.ca('Test Apple iPhone Device CA', 'rsa');
  device = pki.device(appleCa, 'device', 'rsa');
  stranger = pki.device(pki.ca('Someone else', 'rsa'), 'device', 'rsa');
  h = await startHarness({ config: { adeDeviceCaFiles: [appleCa.certPath], inventoryIntervalSeconds: 0 } });
  const put = await h.api('PUT', '/v1/catalogs/gdmf', gdmfFixture(sharedDir).toString('utf8'));
  assert.equal(put.status, 200, await put.clone().text());
});
after(async () => {
  await h.close();
  pki.cleanup();
});

const post = (body: Buffer | string, type = 'application/pkcs7-signature') =>
  fetch(`${h.url}/mdm/ade/enroll`, { method: 'POST', headers: { 'content-type': type }, body });

async function refused(res: Response, status: number, reason: RegExp): Promise<void> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  assert.match((JSON.parse(text) as { error: string }).error, reason);
}

test('a device of the trusted device CA gets the signed, non-removable enrollment profile and is recorded', async () => {
  const udid = '0000FE00-0000000000000001';
  const res = await post(signMachineInfo(pki, device, machineInfo({ UDID: udid, SERIAL: 'C02ADE000001' })));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/x-apple-aspen-config');
  const { content } = parseSignedData(Buffer.from(await res.arrayBuffer()));
  const profile = parsePlist(content!) as PlistDict;
  assert.equal(profile.PayloadRemovalDisallowed, true, 'mdm_removable defaults to false');
  const types = (profile.PayloadContent as PlistDict[]).map((p) => p.PayloadType);
  assert.deepEqual(types, ['com.apple.security.scep', 'com.apple.mdm']);

  const rec = (await (await h.api('GET', `/v1/ade/enrollments/${udid}`)).json()) as Record<string, unknown>;
  assert.equal(rec.serial, 'C02ADE000001');
  assert.equal(rec.platform, 'macOS');
  assert.equal(rec.os_version, '14.1');
  assert.equal(rec.build_version, '23B81');
  assert.equal(rec.supervised, true);
  assert.equal(rec.enrolled_via_ade, false, 'not enrolled until its Authenticate');

  // mdm_removable true: the profile carries no removal restriction.
  assert.equal((await h.api('PUT', '/v1/ade/settings', { mdm_removable: true })).status, 200);
  const again = await post(signMachineInfo(pki, device, machineInfo({ UDID: udid })));
  const p2 = parsePlist(parseSignedData(Buffer.from(await again.arrayBuffer())).content!) as PlistDict;
  assert.equal(p2.PayloadRemovalDisallowed, undefined);
  assert.equal((await h.api('PUT', '/v1/ade/settings', {})).status, 200);
});

test('below the platform minimum: 403 com.apple.softwareupdate.required with the catalog release, nothing stored', async () => {
  const set = await h.api('PUT', '/v1/ade/settings', { minimum_os: { macOS: '15.7' } });
  assert.equal(set.status, 200, await set.clone().text());
  const udid = '0000FE00-0000000000000002';
  const res = await post(signMachineInfo(pki, device, machineInfo({ UDID: udid, OS_VERSION: '14.1' })));
  assert.equal(res.status, 403);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await res.json()) as { code: string; description: string; message: string; details: Record<string, string> };
  assert.equal(body.code, 'com.apple.softwareupdate.required');
  assert.deepEqual(body.details, { OSVersion: '15.7.9', BuildVersion: '24G830' }, 'the newest 15.x at or above 15.7 in the gdmf catalog');
  assert.match(body.description, /14\.1.*15\.7/);
  assert.equal((await h.api('GET', `/v1/ade/enrollments/${udid}`)).status, 404);
  const summary = (await (await h.api('GET', '/v1/os/summary')).json()) as { ade_minimum_os: Record<string, string> };
  assert.deepEqual(summary.ade_minimum_os, { macOS: '15.7' }, 'the posture shows the enrollment minimum');

  // At the minimum, or unable to update in Setup Assistant (before macOS 14): enrolls.
  assert.equal((await post(signMachineInfo(pki, device, machineInfo({ UDID: udid, OS_VERSION: '15.7.9', VERSION: '24G830' })))).status, 200);
  const old = machineInfo({ UDID: '0000FE00-0000000000000003', VERSION: '22H730' });
  delete old.OS_VERSION;
  delete old.MDM_CAN_REQUEST_SOFTWARE_UPDATE;
  assert.equal((await post(signMachineInfo(pki, device, old))).status, 200);
  assert.equal((await h.api('PUT', '/v1/ade/settings', {})).status, 200);
});

test('bad signatures, other CAs, garbage and unknown serials are refused with the reason, nothing stored', async () => {
  const udid = '0000FE00-0000000000000009';
  await refused(await post(signMachineInfo(pki, stranger, machineInfo({ UDID: udid }))), 403, /not signed by a device of the trusted device CA/);
  const good = signMachineInfo(pki, device, machineInfo({ UDID: udid }));
  const tampered = Buffer.from(good);
  const at = tampered.indexOf(Buffer.from(udid));
  tampered[at] = 'X'.charCodeAt(0); // the content no longer matches its signed digest
  await refused(await post(tampered), 403, /signature/);
  await refused(await post('not a signed message at all', 'text/plain'), 400, /not a CMS SignedData/);
  await refused(await post(Buffer.alloc(0)), 400, /no MachineInfo/);
  const noSerial = machineInfo({ UDID: udid });
  delete noSerial.SERIAL;
  await refused(await post(signMachineInfo(pki, device, noSerial)), 400, /lacks SERIAL/);

  assert.equal((await h.api('PUT', '/v1/ade/settings', { unknown_serials: 'refuse' })).status, 200);
  await refused(await post(good), 403, /serial C02ADE000001 is not among this server's ADE devices/);
  assert.equal((await h.api('PUT', '/v1/ade/settings', {})).status, 200);
  assert.equal((await h.api('GET', `/v1/ade/enrollments/${udid}`)).status, 404);
  assert.equal((await fetch(`${h.url}/mdm/ade/enroll`)).status, 405);
});

test('settings are checked and a DEP name overrides the global ones key by key', async () => {
  const bad = await h.api('PUT', '/v1/ade/settings', { minimum_os: { Windows: '11' } });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: string }).error, /unknown platform "Windows"/);
  const badCmd = await h.api('PUT', '/v1/ade/settings', { initial_commands: [{ request_type: 'NoSuchCommand' }] });
  assert.equal(badCmd.status, 400);
  assert.match(((await badCmd.json()) as { error: string }).error, /initial_commands\[0\]/);
  assert.equal((await h.api('PUT', '/v1/ade/settings', { minimum_os: { iOS: '17.4' }, supervised: true })).status, 200);
  assert.equal((await h.api('PUT', '/v1/ade/settings/school', { supervised: false })).status, 200);
  const eff = ((await (await h.api('GET', '/v1/ade/settings/school')).json()) as { effective: Record<string, unknown> }).effective;
  assert.deepEqual(eff.minimum_os, { iOS: '17.4' });
  assert.equal(eff.supervised, false);
  assert.equal((await h.api('PUT', '/v1/ade/settings', {})).status, 200);
});
