// Each channel has its own enrollment and queue: macOS user channel, Shared iPad user, User Enrollment.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { commandOf, queueCommand, TestDevice } from '../helpers/device.js';

let srv: TestServer;
before(async () => { srv = await startTestServer(); });
after(() => srv.close());

const SHARED = 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF';

test('macOS user channel: UserAuthenticate is accepted, then UDID:UserID gets its own token and queue', async () => {
  const device = new TestDevice(srv.url, { ids: { UDID: 'MAC-1' } });
  await device.enroll();
  const user = new TestDevice(srv.url, { ids: { UDID: 'MAC-1', UserID: 'A1B2-USER', UserShortName: 'ann', UserLongName: 'Ann Example' } });

  const ua = await user.checkin('UserAuthenticate');
  assert.equal(ua.status, 200);
  assert.deepEqual(ua.plist, { DigestChallenge: '' }, 'an empty challenge lets the user channel enroll without a digest round');
  const ua2 = await user.checkin('UserAuthenticate', { DigestResponse: 'whatever' });
  assert.deepEqual([ua2.status, ua2.body.length], [200, 0]);

  assert.equal((await user.tokenUpdate({ Token: Buffer.from('beef', 'hex'), PushMagic: 'user-magic' })).status, 200);
  const e = await srv.store.getEnrollment('MAC-1:A1B2-USER');
  assert.ok(e);
  assert.deepEqual([e.type, e.deviceId, e.udid, e.userId, e.userShortName, e.userLongName, e.pushToken, e.pushMagic, e.enabled],
    ['User', 'MAC-1', 'MAC-1', 'A1B2-USER', 'ann', 'Ann Example', 'beef', 'user-magic', true]);

  const forUser = await queueCommand(srv.store, ['MAC-1:A1B2-USER'], 'ProfileList');
  assert.equal((await device.idle()).body.length, 0, 'the device channel does not see the user queue');
  assert.equal(commandOf(await user.idle())?.uuid, forUser);
  await user.result('Acknowledged', forUser);
  assert.equal((await srv.store.getCommand(forUser, 'MAC-1:A1B2-USER'))[0]?.status, 'acknowledged');
});

test('Shared iPad: users are told apart by UserShortName (UserID is all F)', async () => {
  await new TestDevice(srv.url, { ids: { UDID: 'IPAD-1' } }).enroll();
  const ann = new TestDevice(srv.url, { ids: { UDID: 'IPAD-1', UserID: SHARED, UserShortName: 'ann@school.example' } });
  const bob = new TestDevice(srv.url, { ids: { UDID: 'IPAD-1', UserID: SHARED, UserShortName: 'bob@school.example' } });
  await ann.tokenUpdate();
  await bob.tokenUpdate();
  const a = await srv.store.getEnrollment('IPAD-1:ann@school.example');
  assert.equal(a?.type, 'SharediPad');
  assert.equal((await srv.store.getEnrollment('IPAD-1:bob@school.example'))?.type, 'SharediPad');
  const uuid = await queueCommand(srv.store, ['IPAD-1:bob@school.example'], 'ProfileList');
  assert.equal((await ann.idle()).body.length, 0);
  assert.equal(commandOf(await bob.idle())?.uuid, uuid);
});

test('User Enrollment: EnrollmentID for the device side, EnrollmentID:EnrollmentUserID for the user side', async () => {
  const dev = new TestDevice(srv.url, { ids: { EnrollmentID: 'ENR-1' } });
  await dev.enroll();
  const user = new TestDevice(srv.url, { ids: { EnrollmentID: 'ENR-1', EnrollmentUserID: 'EUSER-1' } });
  await user.tokenUpdate();
  const d = await srv.store.getEnrollment('ENR-1');
  assert.deepEqual([d?.type, d?.udid, d?.enabled], ['UserEnrollmentDevice', null, true]);
  const u = await srv.store.getEnrollment('ENR-1:EUSER-1');
  assert.deepEqual([u?.type, u?.deviceId], ['UserEnrollment', 'ENR-1']);
  const uuid = await queueCommand(srv.store, ['ENR-1'], 'ProfileList');
  assert.equal((await user.idle()).body.length, 0);
  assert.equal(commandOf(await dev.idle())?.uuid, uuid);
});

test('UserAuthenticate can be declined (NanoMDM default) with 410, never 401', async () => {
  const declining = await startTestServer({ core: { userAuthenticate: 'decline' } });
  try {
    const user = new TestDevice(declining.url, { ids: { UDID: 'MAC-2', UserID: 'U2' } });
    const r = await user.checkin('UserAuthenticate');
    assert.equal(r.status, 410);
    assert.match(r.text, /declined/);
  } finally {
    await declining.close();
  }
});
