// The programmatic API the OS update engine uses (applySet, statusItems), and asset data the server
// hosts for asset declarations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CommandValidationError } from '../../src/commands/errors.js';
import { TEST_API_KEY } from '../helpers/server.js';
import { api, DdmDevice, startRig, type Rig } from './helpers.js';

let rig: Rig;
let device: DdmDevice;

before(async () => {
  rig = await startRig();
  device = new DdmDevice(rig, 'DDM-ENGINE-0001');
  await device.enroll();
});
after(() => rig.close());

const enforcement = (version: string) => ({
  Type: 'com.apple.configuration.softwareupdate.enforcement.specific',
  Identifier: `osupdate.${device.udid}`,
  Payload: { TargetOSVersion: version, TargetLocalDateTime: '2026-12-24T18:00:00' },
});
const activation = () => ({
  Type: 'com.apple.activation.simple',
  Identifier: `osupdate.${device.udid}.activation`,
  Payload: { StandardConfigurations: [`osupdate.${device.udid}`] },
});

test('applySet puts a per-device enforcement in place with one sync, and re-applying the same is a no-op', async () => {
  const first = await rig.ddm.applySet(`osupdate-${device.udid}`, [enforcement('17.2'), activation()], [device.udid]);
  assert.deepEqual(first.notified, [device.udid]);
  const sent = await device.nextSyncTokens();
  assert.equal(sent?.DeclarationsToken, await device.declarationsToken());
  const d = await device.ddmJson(`declaration/configuration/osupdate.${device.udid}`);
  assert.equal((d.Payload as Record<string, unknown>).TargetOSVersion, '17.2');

  assert.deepEqual((await rig.ddm.applySet(`osupdate-${device.udid}`, [enforcement('17.2'), activation()], [device.udid])).notified, []);
  assert.equal(await device.nextSyncTokens(), null);

  const bumped = await rig.ddm.applySet(`osupdate-${device.udid}`, [enforcement('17.3'), activation()], [device.udid]);
  assert.deepEqual(bumped.notified, [device.udid]);
  assert.notEqual((await device.nextSyncTokens())?.DeclarationsToken, sent?.DeclarationsToken);
  assert.equal((await rig.server.store.listQueue(device.udid)).length, 0, 'one command per change, all acknowledged');
});

test('applySet validates every declaration before changing anything', async () => {
  const before = await device.declarationsToken();
  await assert.rejects(
    rig.ddm.applySet(`osupdate-${device.udid}`, [enforcement('18.0'), { ...activation(), Payload: {} }], [device.udid]),
    (err: unknown) => err instanceof CommandValidationError && err.field === 'declarations[1].Payload.StandardConfigurations',
  );
  const d = await device.ddmJson(`declaration/configuration/osupdate.${device.udid}`);
  assert.equal((d.Payload as Record<string, unknown>).TargetOSVersion, '17.3');
  assert.equal(await device.declarationsToken(), before);
});

test('the engine reads software update status by prefix', async () => {
  await device.ddm('status', {
    StatusItems: { softwareupdate: { 'install-state': 'prepared', 'failure-reason': { count: 0 } }, device: { 'operating-system': { version: '17.1' } } },
    Errors: [],
  });
  const items = await rig.ddm.statusItems(device.udid, 'softwareupdate.');
  assert.deepEqual(items.map((i) => [i.name, i.value]), [['softwareupdate.failure-reason', { count: 0 }], ['softwareupdate.install-state', 'prepared']]);
});

test('asset data: uploaded through the API, served to devices, named by an asset declaration', async () => {
  const bytes = Buffer.from('{"welcome": "to updraft"}');
  const res = await fetch(`${rig.server.url}/v1/ddm/assets/welcome.json`, {
    method: 'PUT', headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' }, body: new Uint8Array(bytes),
  });
  assert.equal(res.status, 200);
  const info = (await res.json()) as { url: string; size: number; sha256: string; contentType: string };
  assert.equal(info.size, bytes.length);
  assert.equal(info.sha256, createHash('sha256').update(bytes).digest('hex'));
  assert.equal(info.url, 'https://mdm.example.test/ddm/assets/welcome.json');

  const served = await fetch(`${rig.server.url}/ddm/assets/welcome.json`);
  assert.equal(served.status, 200);
  assert.equal(served.headers.get('content-type'), 'application/json');
  assert.deepEqual(Buffer.from(await served.arrayBuffer()), bytes);
  assert.equal((await fetch(`${rig.server.url}/ddm/assets/nope`)).status, 404);

  const asset = await api(rig, 'PUT', '/v1/ddm/declarations', {
    Type: 'com.apple.asset.data',
    Identifier: 'welcome-asset',
    Payload: { Reference: { DataURL: info.url, ContentType: info.contentType, Size: info.size, 'Hash-SHA-256': info.sha256 }, Authentication: { Type: 'None' } },
  });
  assert.equal(asset.status, 201, JSON.stringify(asset.json));
  assert.equal(asset.json.kind, 'asset');
  assert.equal((await api(rig, 'DELETE', '/v1/ddm/assets/welcome.json')).status, 204);
});
