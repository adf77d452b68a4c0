// A status report naming declarations Updraft does not know (another server gave them to the device,
// or they were deleted since) is stored whole: every status item lands, the unknown declarations are
// recorded as such, and the device is sent one sync (not one per report) so that it drops them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, DdmDevice, outboxEvents, startRig, type Rig } from './helpers.js';

let rig: Rig;
let device: DdmDevice;
const PASSCODE = { Type: 'com.apple.configuration.passcode.settings', Identifier: 'passcode', Payload: { MinimumLength: 6 } };

before(async () => {
  rig = await startRig();
  device = new DdmDevice(rig, 'DDM-UNKNOWN-0001');
  await device.enroll();
  await api(rig, 'PUT', '/v1/ddm/declarations', PASSCODE);
  await api(rig, 'PUT', '/v1/ddm/sets/base', { declarations: ['passcode'] });
  await api(rig, 'PUT', `/v1/ddm/sets/base/enrollments/${device.udid}`);
  assert.ok(await device.nextSyncTokens(), 'the assignment sync');
  await outboxEvents(rig);
});
after(() => rig.close());

const entry = (identifier: string, token: string, valid = 'valid') => ({ identifier, 'server-token': token, active: true, valid });

/** A report as a Mac that came from another MDM sends it: its update state plus declarations of both servers. */
function report(passcodeToken: string, foreign: Array<[string, string]>) {
  return {
    StatusItems: {
      device: { 'operating-system': { version: '14.6.1', 'build-version': '23G93' } },
      softwareupdate: { 'install-state': 'downloading', 'pending-version': { 'os-version': '14.7', 'build-version': '23H124' } },
      management: {
        declarations: {
          activations: foreign.filter(([id]) => id.includes('activation')).map(([id, t]) => entry(id, t)),
          configurations: [entry('passcode', passcodeToken), ...foreign.filter(([id]) => !id.includes('activation')).map(([id, t]) => entry(id, t))],
        },
      },
    },
    Errors: [],
  };
}

async function passcodeToken(): Promise<string> {
  const r = await api(rig, 'GET', '/v1/ddm/declarations/passcode');
  return String(r.json.ServerToken);
}

test('the report is stored, the unknown declarations recorded as such, and one sync queued', async () => {
  const foreign: Array<[string, string]> = [['com.example.other-mdm.wifi', 'a1'], ['com.example.other-mdm.activation', 'b2']];
  const r = await device.ddm('status', report(await passcodeToken(), foreign));
  assert.equal(r.status, 200, r.text);

  const items = await rig.server.store.ddmStatusItems(device.udid);
  const value = (name: string) => items.find((i) => i.name === name)?.value;
  assert.equal(value('softwareupdate.install-state'), 'downloading');
  assert.deepEqual(value('softwareupdate.pending-version'), { 'os-version': '14.7', 'build-version': '23H124' });
  assert.equal(value('device.operating-system.version'), '14.6.1');

  const statuses = await rig.server.store.ddmDeclarationStatus(device.udid);
  assert.deepEqual(
    statuses.map((s) => [s.identifier, s.kind, s.serverToken, s.unknown]),
    [['com.example.other-mdm.activation', 'activation', 'b2', true], ['com.example.other-mdm.wifi', 'configuration', 'a1', true], ['passcode', 'configuration', await passcodeToken(), false]],
  );

  const view = await api(rig, 'GET', `/v1/ddm/enrollments/${device.udid}`);
  const removed = view.json.removed as Array<Record<string, unknown>>;
  assert.deepEqual(removed.map((x) => [x.identifier, x.unknown, x.valid]), [['com.example.other-mdm.activation', true, 'valid'], ['com.example.other-mdm.wifi', true, 'valid']]);

  const [ev] = await outboxEvents(rig);
  const body = ev?.status_event as Record<string, unknown>;
  assert.deepEqual(body.unknown_declarations, ['com.example.other-mdm.activation', 'com.example.other-mdm.wifi']);
  assert.equal((body.status_items as Record<string, unknown>)['softwareupdate.install-state'], 'downloading');
  const [logged] = await rig.server.store.listEvents({ enrollmentId: device.udid, kindPrefix: 'ddm.status' });
  assert.deepEqual((logged?.detail as Record<string, unknown>).unknown_declarations, ['com.example.other-mdm.activation', 'com.example.other-mdm.wifi']);

  // The device is told to sync, so that it drops what Updraft never gave it.
  const sent = await device.nextSyncTokens();
  assert.equal(sent?.DeclarationsToken, await device.declarationsToken());
  assert.equal(await device.nextSyncTokens(), null, 'one sync');
});

test('the same unknown declarations reported again: stored, no second sync; a new one (or a new token) syncs again', async () => {
  const token = await passcodeToken();
  const foreign: Array<[string, string]> = [['com.example.other-mdm.wifi', 'a1'], ['com.example.other-mdm.activation', 'b2']];
  let r = await device.ddm('status', { ...report(token, foreign), StatusItems: { ...report(token, foreign).StatusItems, softwareupdate: { 'install-state': 'installing' } } });
  assert.equal(r.status, 200, r.text);
  assert.equal((await rig.server.store.ddmStatusItems(device.udid, { prefix: 'softwareupdate.install-state' }))[0]?.value, 'installing');
  assert.equal(await device.nextSyncTokens(), null, 'no sync for declarations already recorded as unknown');

  r = await device.ddm('status', report(token, [['com.example.other-mdm.wifi', 'a2']]));
  assert.equal(r.status, 200, r.text);
  assert.ok(await device.nextSyncTokens(), 'a new revision of an unknown declaration: sync again');
});

test('a declaration deleted since is recorded as unknown once the device reports it again', async () => {
  await api(rig, 'PUT', '/v1/ddm/declarations', { ...PASSCODE, Identifier: 'temporary' });
  await api(rig, 'POST', '/v1/ddm/sets/base/declarations', { add: ['temporary'] });
  await device.nextSyncTokens();
  const temporary = String((await api(rig, 'GET', '/v1/ddm/declarations/temporary')).json.ServerToken);
  let r = await device.ddm('status', { StatusItems: { management: { declarations: { configurations: [entry('temporary', temporary)] } } } });
  assert.equal(r.status, 200, r.text);
  let row = (await rig.server.store.ddmDeclarationStatus(device.udid)).find((s) => s.identifier === 'temporary');
  assert.equal(row?.unknown, false);

  assert.equal((await api(rig, 'DELETE', '/v1/ddm/declarations/temporary')).status, 200);
  assert.ok(await device.nextSyncTokens(), 'the delete syncs the device');
  // A device that has not applied the sync yet still reports it.
  r = await device.ddm('status', { StatusItems: { management: { declarations: { configurations: [entry('temporary', temporary, 'invalid')] } } } });
  assert.equal(r.status, 200, r.text);
  row = (await rig.server.store.ddmDeclarationStatus(device.udid)).find((s) => s.identifier === 'temporary');
  assert.deepEqual([row?.unknown, row?.valid], [true, 'invalid']);
  assert.ok(await device.nextSyncTokens(), 'and it is told to sync again');
});
