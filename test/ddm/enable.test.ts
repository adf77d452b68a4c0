// DDM is turned on as devices enroll: the first TokenUpdate of a device channel on an OS with DDM
// queues a DeclarativeManagement command; older OSs, user channels and later TokenUpdates do not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { supportsDdm } from '../../src/ddm/index.js';
import { DdmDevice, startRig, type Rig } from './helpers.js';
import { commandOf } from '../helpers/device.js';

let rig: Rig;
before(async () => {
  rig = await startRig({ enable: true });
});
after(() => rig.close());

test('a new iOS 17 device gets DeclarativeManagement after its first TokenUpdate, and only then', async () => {
  const device = new DdmDevice(rig, 'DDM-ENABLE-0001');
  await device.authenticate({ OSVersion: '17.0.3', ProductName: 'iPhone15,2', BuildVersion: '21A360' });
  await device.tokenUpdate();
  const sent = await device.nextSyncTokens();
  assert.ok(sent, 'DeclarativeManagement queued');
  assert.equal(sent.DeclarationsToken, await device.declarationsToken());
  assert.ok(rig.pushed.includes(device.udid));

  await device.tokenUpdate();
  assert.equal(await device.nextSyncTokens(), null, 'a later TokenUpdate queues nothing');

  // Re-enrollment (Authenticate, then a first TokenUpdate again) turns DDM on again.
  await device.authenticate({ OSVersion: '17.1', ProductName: 'iPhone15,2' });
  await device.tokenUpdate();
  assert.ok(await device.nextSyncTokens());
});

test('the first TokenUpdate hands its enrollment on: DDM is turned on without reading it back', async () => {
  const store = rig.server.store;
  const device = new DdmDevice(rig, 'DDM-ENABLE-READS');
  await device.authenticate({ OSVersion: '17.0.3', ProductName: 'iPhone15,2', BuildVersion: '21A360' });
  const reads: string[] = [];
  const { getEnrollment, listEnrollments } = store;
  store.getEnrollment = (id) => (reads.push(`getEnrollment ${id}`), getEnrollment(id));
  store.listEnrollments = (f) => (reads.push('listEnrollments'), listEnrollments(f));
  try {
    await device.tokenUpdate();
  } finally {
    store.getEnrollment = getEnrollment;
    store.listEnrollments = listEnrollments;
  }
  assert.deepEqual(reads, []);
  assert.ok(await device.nextSyncTokens(), 'DeclarativeManagement queued all the same');
});

test('an OS without DDM and a user channel are left alone', async () => {
  const old = new DdmDevice(rig, 'DDM-ENABLE-OLD');
  await old.authenticate({ OSVersion: '14.8', ProductName: 'iPhone12,1' });
  await old.tokenUpdate();
  assert.equal(commandOf(await old.idle()), null);

  const mac = new DdmDevice(rig, 'DDM-ENABLE-MAC');
  await mac.authenticate({ OSVersion: '14.1', Model: 'Mac14,2', ProductName: 'Mac14,2' });
  await mac.tokenUpdate();
  assert.ok(await mac.nextSyncTokens());
  await mac.checkin('TokenUpdate', { UserID: 'USER-1', UserShortName: 'ann', Topic: mac.topic, Token: Buffer.from('0a0b', 'hex'), PushMagic: 'm' });
  const queue = await rig.server.store.listQueue(`${mac.udid}:USER-1`);
  assert.equal(queue.length, 0);
});

test('supportsDdm follows the schema: iOS 15, macOS 13, tvOS 16; unknown versions are tried', () => {
  assert.equal(supportsDdm('iOS', '15.0'), true);
  assert.equal(supportsDdm('iPadOS', '14.8'), false);
  assert.equal(supportsDdm('macOS', '12.7.1'), false);
  assert.equal(supportsDdm('macOS', '13.0'), true);
  assert.equal(supportsDdm('tvOS', '16.0'), true);
  assert.equal(supportsDdm(null, null), true);
});
