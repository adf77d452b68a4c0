// A device's full DDM sync over HTTP (tokens → declaration-items → each declaration → status), and
// how changes reach it: tokens change with content and only then; removals arrive; each change
// queues a DeclarativeManagement command carrying the new SyncTokens and pushes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { STATUS_ACTIVATION_ID, STATUS_SUBSCRIPTIONS_ID } from '../../src/ddm/index.js';
import { api, DdmDevice, startRig, type Rig } from './helpers.js';

const ENFORCE = {
  Type: 'com.apple.configuration.softwareupdate.enforcement.specific',
  Identifier: 'os-update-17.1',
  Payload: { TargetOSVersion: '17.1', TargetLocalDateTime: '2026-12-01T10:00:00' },
};
const ACTIVATION = {
  Type: 'com.apple.activation.simple',
  Identifier: 'activate-os-update',
  Payload: { StandardConfigurations: ['os-update-17.1'] },
};

let rig: Rig;
let device: DdmDevice;

before(async () => {
  rig = await startRig();
  device = new DdmDevice(rig, 'DDM-SYNC-0001');
  await device.enroll();
});
after(() => rig.close());

type Items = Record<'Activations' | 'Configurations' | 'Assets' | 'Management', Array<{ Identifier: string; ServerToken: string }>>;

test('a device syncs everything over HTTP: tokens, declaration-items, each declaration, then status', async () => {
  assert.equal((await api(rig, 'PUT', '/v1/ddm/declarations', ENFORCE)).status, 201);
  assert.equal((await api(rig, 'PUT', '/v1/ddm/declarations', ACTIVATION)).status, 201);
  assert.equal((await api(rig, 'PUT', '/v1/ddm/sets/os-updates', { declarations: [ENFORCE.Identifier, ACTIVATION.Identifier] })).status, 200);

  const assigned = await api(rig, 'PUT', `/v1/ddm/sets/os-updates/enrollments/${device.udid}`);
  assert.equal(assigned.status, 200);
  assert.deepEqual(assigned.json.notified, [device.udid]);
  assert.ok(rig.pushed.includes(device.udid), 'the device was pushed');

  // The DeclarativeManagement command carries the SyncTokens the tokens endpoint then serves.
  const sent = await device.nextSyncTokens();
  assert.ok(sent);
  assert.match(sent.Timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const tokens = (await device.ddmJson('tokens')).SyncTokens as { DeclarationsToken: string; Timestamp: string };
  assert.deepEqual(tokens, sent);

  const items = await device.ddmJson('declaration-items');
  assert.equal(items.DeclarationsToken, tokens.DeclarationsToken);
  const groups = items.Declarations as Items;
  assert.deepEqual(Object.keys(groups).sort(), ['Activations', 'Assets', 'Configurations', 'Management']);
  assert.deepEqual(groups.Assets, []);
  assert.deepEqual(groups.Management, []);
  assert.deepEqual(groups.Activations.map((i) => i.Identifier).sort(), [ACTIVATION.Identifier, STATUS_ACTIVATION_ID].sort());
  assert.deepEqual(groups.Configurations.map((i) => i.Identifier).sort(), [ENFORCE.Identifier, STATUS_SUBSCRIPTIONS_ID].sort());

  for (const [kind, list] of [['activation', groups.Activations], ['configuration', groups.Configurations]] as const) {
    for (const item of list) {
      const d = await device.ddmJson(`declaration/${kind}/${item.Identifier}`);
      assert.equal(d.Identifier, item.Identifier);
      assert.equal(d.ServerToken, item.ServerToken);
      assert.ok(Buffer.byteLength(String(d.ServerToken)) <= 64);
      if (item.Identifier === ENFORCE.Identifier) assert.deepEqual(d.Payload, ENFORCE.Payload);
      if (item.Identifier === STATUS_SUBSCRIPTIONS_ID) {
        const names = (d.Payload as { StatusItems: Array<{ Name: string }> }).StatusItems.map((s) => s.Name);
        for (const n of ['softwareupdate.install-state', 'softwareupdate.pending-version', 'device.operating-system.version', 'device.model.identifier', 'management.declarations', 'management.client-capabilities']) {
          assert.ok(names.includes(n), `subscribes to ${n}`);
        }
      }
    }
  }

  const status = await device.ddm('status', {
    StatusItems: {
      management: {
        declarations: {
          activations: groups.Activations.map((i) => ({ identifier: i.Identifier, 'server-token': i.ServerToken, active: true, valid: 'valid' })),
          configurations: groups.Configurations.map((i) => ({ identifier: i.Identifier, 'server-token': i.ServerToken, active: true, valid: 'valid' })),
          assets: [],
          management: [],
        },
      },
      softwareupdate: { 'install-state': 'downloading', 'pending-version': { 'os-version': '17.1', 'build-version': '21B74' } },
    },
    Errors: [],
  });
  assert.equal(status.status, 200, status.text);
  assert.equal(status.body.length, 0);

  const view = await api(rig, 'GET', `/v1/ddm/enrollments/${device.udid}`);
  assert.deepEqual(view.json.sets, ['os-updates']);
  const enforce = (view.json.declarations as Array<Record<string, unknown>>).find((d) => d.identifier === ENFORCE.Identifier);
  assert.deepEqual((enforce?.status as Record<string, unknown>).valid, 'valid');
  assert.equal((enforce?.status as Record<string, unknown>).active, true);
});

test('tokens change exactly when content changes', async () => {
  const before = await device.declarationsToken();
  const serverBefore = ((await api(rig, 'GET', `/v1/ddm/declarations/${ENFORCE.Identifier}`)).json).ServerToken;

  const same = await api(rig, 'PUT', '/v1/ddm/declarations', ENFORCE);
  assert.equal(same.json.outcome, 'unchanged');
  assert.deepEqual(same.json.notified, []);

  // Key order does not matter: content does.
  const reordered = { Payload: { TargetLocalDateTime: ENFORCE.Payload.TargetLocalDateTime, TargetOSVersion: '17.1' }, Identifier: ENFORCE.Identifier, Type: ENFORCE.Type };
  assert.equal((await api(rig, 'PUT', '/v1/ddm/declarations', reordered)).json.outcome, 'unchanged');

  // A second set with the same declarations changes nothing for the device.
  await api(rig, 'PUT', '/v1/ddm/sets/same-again', { declarations: [ENFORCE.Identifier] });
  const dup = await api(rig, 'PUT', `/v1/ddm/sets/same-again/enrollments/${device.udid}`);
  assert.deepEqual(dup.json.notified, []);
  assert.equal(await device.declarationsToken(), before);
  assert.equal(await device.nextSyncTokens(), null, 'no command was queued');

  const changed = await api(rig, 'PUT', '/v1/ddm/declarations', { ...ENFORCE, Payload: { ...ENFORCE.Payload, TargetOSVersion: '17.2' } });
  assert.equal(changed.json.outcome, 'updated');
  assert.deepEqual(changed.json.notified, [device.udid]);
  assert.notEqual((changed.json.declaration as Record<string, unknown>).ServerToken, serverBefore);
  const sent = await device.nextSyncTokens();
  assert.ok(sent);
  assert.notEqual(sent.DeclarationsToken, before);
  assert.equal(await device.declarationsToken(), sent.DeclarationsToken);
  const d = await device.ddmJson(`declaration/configuration/${ENFORCE.Identifier}`);
  assert.equal((d.Payload as Record<string, unknown>).TargetOSVersion, '17.2');
});

test('removing a declaration from a set reaches the device', async () => {
  await api(rig, 'DELETE', `/v1/ddm/sets/same-again/enrollments/${device.udid}`);
  const before = await device.declarationsToken();
  const removed = await api(rig, 'DELETE', `/v1/ddm/sets/os-updates/declarations/${ENFORCE.Identifier}`);
  assert.equal(removed.status, 200);
  assert.deepEqual(removed.json.notified, [device.udid]);
  const sent = await device.nextSyncTokens();
  assert.ok(sent);
  assert.notEqual(sent.DeclarationsToken, before);

  const items = (await device.ddmJson('declaration-items')).Declarations as Items;
  assert.ok(!items.Configurations.some((i) => i.Identifier === ENFORCE.Identifier));
  const gone = await device.ddm(`declaration/configuration/${ENFORCE.Identifier}`);
  assert.equal(gone.status, 404);

  // Unassigning the last set leaves only Updraft's own declarations, and the device hears of it.
  const unassigned = await api(rig, 'DELETE', `/v1/ddm/sets/os-updates/enrollments/${device.udid}`);
  assert.deepEqual(unassigned.json.notified, [device.udid]);
  await device.nextSyncTokens();
  const left = (await device.ddmJson('declaration-items')).Declarations as Items;
  assert.deepEqual([...left.Activations, ...left.Configurations].map((i) => i.Identifier).sort(), [STATUS_ACTIVATION_ID, STATUS_SUBSCRIPTIONS_ID].sort());
});

test('a forced sync sends the current tokens; many enrollments with one token share one command', async () => {
  const other = new DdmDevice(rig, 'DDM-SYNC-0002');
  await other.enroll();
  const forced = await api(rig, 'POST', `/v1/ddm/enrollments/${other.udid}/sync`);
  assert.deepEqual(forced.json.notified, [other.udid]);
  const sent = await other.nextSyncTokens();
  assert.equal(sent?.DeclarationsToken, await other.declarationsToken());

  await api(rig, 'PUT', '/v1/ddm/sets/shared', { declarations: [ACTIVATION.Identifier] });
  const bulk = await api(rig, 'POST', '/v1/ddm/sets/shared/enrollments', { assign: [device.udid, other.udid, device.udid] });
  assert.deepEqual((bulk.json.notified as string[]).sort(), [device.udid, other.udid].sort());
  const queued = await rig.server.store.listQueue(device.udid);
  const queuedOther = await rig.server.store.listQueue(other.udid);
  assert.equal(queued.length, 1);
  assert.equal(queued[0]!.uuid, queuedOther[0]!.uuid, 'one command for both');
});

test('changes made while a device is away leave one DeclarativeManagement command, with the latest tokens', async () => {
  const away = new DdmDevice(rig, 'DDM-SYNC-AWAY');
  await away.enroll();
  await api(rig, 'PUT', '/v1/ddm/declarations', { ...ENFORCE, Identifier: 'away-1' });
  await api(rig, 'PUT', '/v1/ddm/sets/away', { declarations: ['away-1'] });
  await api(rig, 'PUT', `/v1/ddm/sets/away/enrollments/${away.udid}`);
  await api(rig, 'PUT', '/v1/ddm/declarations', { ...ENFORCE, Identifier: 'away-1', Payload: { ...ENFORCE.Payload, TargetOSVersion: '17.4' } });
  await api(rig, 'PUT', '/v1/ddm/declarations', { ...ENFORCE, Identifier: 'away-1', Payload: { ...ENFORCE.Payload, TargetOSVersion: '17.5' } });
  const queued = await rig.server.store.listQueue(away.udid);
  assert.equal(queued.length, 1);
  const sent = await away.nextSyncTokens();
  assert.equal(sent?.DeclarationsToken, await away.declarationsToken());
});
