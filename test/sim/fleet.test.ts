// End to end: the server, the fake APNs and 50 simulated devices (mixed-2026). They enroll through
// the real profile and SCEP, sign every request, and answer commands queued through the API, woken
// by pushes alone (no polling); the fleet survives a simulator restart through its state file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlistDict } from '../../src/plist/index.js';
import { Fleet } from '../../src/sim/fleet.js';
import { loadScenario } from '../../src/sim/scenario.js';
import { readState } from '../../src/sim/state.js';
import type { CommandResult } from '../../src/sim/result.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
let fleet: Fleet;
const statePath = join(mkdtempSync(join(tmpdir(), 'updraft-sim-')), 'fleet.json');
const results = new Map<string, { rt: string; result: CommandResult }[]>();

before(async () => {
  h = await startHarness();
  fleet = await Fleet.start({
    server: h.url, count: 50, scenario: loadScenario('mixed-2026'), mix: { macos: 60, ios: 40 }, wakeUrl: h.fake.wakeUrl, statePath, keyPoolSize: 2,
    onResult: (d, rt, result) => results.set(d.udid, [...(results.get(d.udid) ?? []), { rt, result }]),
  });
});
after(async () => {
  await fleet.stop();
  await h.close();
});

const until = async (what: string, ok: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

test('50 devices enroll and each is bound to its own certificate', async () => {
  assert.equal(fleet.stats.enrolled, 50, String(fleet.stats.lastError));
  const macs = fleet.devices.filter((d) => d.platform === 'macos').length;
  assert.ok(macs >= 20 && macs <= 40, `about 60% Macs, got ${macs}`);
  assert.equal(new Set(fleet.devices.map((d) => d.certDer)).size, 50);
  for (const d of fleet.devices.slice(0, 5)) {
    const id = d.enrollmentId ?? d.udid;
    assert.ok(await h.store.getEnrollment(id), `server knows ${id}`);
  }
});

test('pushed commands are answered by every device: DeviceInformation with the queried keys', async () => {
  const ids = fleet.devices.map((d) => d.enrollmentId ?? d.udid);
  const queried = ['BuildVersion', 'OSVersion', 'SerialNumber', 'SoftwareUpdateDeviceID'];
  await h.enqueue(ids, { request_type: 'DeviceInformation', queries: queried });
  // Each device also answers the server's own inventory DeviceInformation (queued at enrollment, with
  // more queries): this command's answer is the one with exactly the keys it asked.
  const responses = (d: (typeof fleet.devices)[number]) => (results.get(d.udid) ?? [])
    .filter((r) => r.rt === 'DeviceInformation' && r.result.status !== 'NotNow')
    .map((r) => r.result.body!.QueryResponses as PlistDict);
  const answer = (d: (typeof fleet.devices)[number]) => responses(d).find((q) => Object.keys(q).sort().join() === queried.join());
  await until('all DeviceInformation answers', () => fleet.devices.filter((d) => !d.locked).every((d) => answer(d) !== undefined));
  for (const d of fleet.devices.filter((x) => !x.locked)) {
    assert.equal(answer(d)!.OSVersion, d.osVersion);
  }
});

test('locked devices answer NotNow and run the command once unlocked', async () => {
  const locked = fleet.devices.find((d) => d.locked && !d.enrollmentId) ?? fleet.devices.find((d) => !d.enrollmentId)!;
  locked.locked = true;
  results.delete(locked.udid);
  await h.enqueue([locked.udid], { request_type: 'SecurityInfo' });
  await until('NotNow', () => results.get(locked.udid)?.some((r) => r.result.status === 'NotNow') ?? false);
  fleet.unlock(locked);
  await until('SecurityInfo after unlock', () => results.get(locked.udid)?.some((r) => r.rt === 'SecurityInfo' && r.result.status === 'Acknowledged') ?? false);
});

test('profiles install and remove; unknown commands get the device error; OS 27 has no legacy OS update commands', async () => {
  const d = fleet.devices.find((x) => !x.locked && !x.enrollmentId && x.osVersion === '27.0') ?? fleet.devices.find((x) => !x.locked && !x.enrollmentId)!;
  results.delete(d.udid);
  const profile = Buffer.from(`<?xml version="1.0"?><plist version="1.0"><dict><key>PayloadIdentifier</key><string>com.example.wifi</string><key>PayloadType</key><string>Configuration</string><key>PayloadUUID</key><string>5C2B6A3E-1111-4222-8333-944455556666</string><key>PayloadVersion</key><integer>1</integer><key>PayloadContent</key><array/></dict></plist>`);
  await h.enqueue([d.udid], { request_type: 'InstallProfile', payload: profile.toString('base64') });
  await h.enqueue([d.udid], { request_type: 'ProfileList' });
  await h.enqueue([d.udid], { request_type: 'AvailableOSUpdates' });
  await until('three answers', () => (results.get(d.udid)?.length ?? 0) >= 3);
  const got = results.get(d.udid)!;
  assert.equal(got[0].result.status, 'Acknowledged');
  const list = got[1].result.body!.ProfileList as PlistDict[];
  assert.ok(list.some((p) => p.PayloadIdentifier === 'com.example.wifi'));
  if (d.osVersion === '27.0') assert.equal((got[2].result.body!.ErrorChain as PlistDict[])[0].ErrorCode, 12021);
});

test('the state file keeps identities across a simulator restart', async () => {
  await fleet.stop();
  const again = await Fleet.start({ server: h.url, count: 50, scenario: loadScenario('mixed-2026'), wakeUrl: h.fake.wakeUrl, statePath, keyPoolSize: 2 });
  try {
    assert.deepEqual(again.devices.map((d) => d.certDer), fleet.devices.map((d) => d.certDer));
    assert.deepEqual(again.devices.map((d) => d.ddm), fleet.devices.map((d) => d.ddm), 'DDM state (shared between devices in memory) is kept as it was');
    const synced = again.devices.filter((d) => Object.keys(d.ddm.declarations).length);
    if (synced.length > 1) {
      const id = Object.keys(synced[0].ddm.declarations)[0];
      const same = synced.filter((d) => d.ddm.declarations[id]?.serverToken === synced[0].ddm.declarations[id].serverToken);
      assert.ok(same.every((d) => d.ddm.declarations[id] === same[0].ddm.declarations[id]), 'one object for an equal declaration');
    }
    assert.equal(again.stats.enrolled, 50, 'nobody enrolls twice');
    const d = again.devices.find((x) => !x.locked)!;
    const answered = new Promise<void>((resolve) => { again['opts'].onResult = () => resolve(); });
    await h.enqueue([d.enrollmentId ?? d.udid], { request_type: 'CertificateList' });
    await answered;
  } finally {
    await again.stop();
  }
});

test('state files are written a device a line and older one-line files still load', async () => {
  const text = readFileSync(statePath, 'utf8');
  assert.equal(text.split('\n').length, 50 + 3, 'head, a line per device, the close, a final newline');
  const head = JSON.parse(text) as { devices: Array<{ udid: string; certDer: string }> };
  const devices: Array<{ udid: string }> = [];
  readState(statePath, (d) => devices.push(d));
  assert.deepEqual(devices, head.devices);
  const oneLine = statePath.replace(/\.json$/, '-old.json');
  writeFileSync(oneLine, JSON.stringify(head));
  const old = await Fleet.start({ server: h.url, count: 50, scenario: loadScenario('mixed-2026'), statePath: oneLine, keyPoolSize: 2 });
  try {
    assert.deepEqual(old.devices.map((d) => d.certDer), head.devices.map((d) => d.certDer));
    assert.equal(old.stats.enrolled, 50);
  } finally {
    await old.stop();
  }
  assert.throws(() => readState(join(tmpdir(), 'no-such-dir', 'x.json'), () => undefined), /ENOENT/);
  writeFileSync(oneLine, '{"hello":1}');
  assert.throws(() => readState(oneLine, () => undefined), /not a simulator state file/);
});
