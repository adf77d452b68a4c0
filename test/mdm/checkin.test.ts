import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCheckin, ProtocolError, type CheckinMessage } from '../../src/mdm/index.js';
import { buildPlist, parsePlist } from '../../src/plist/index.js';
import { fixture } from '../helpers/fixtures.js';

const TOPIC = 'com.apple.mgmt.External.e0bd1eac-1f17-4c8e-8a63-dd17d3dd35d9';

function checkin(rel: string): CheckinMessage {
  return parseCheckin(parsePlist(fixture(rel)));
}

function refused(dict: Record<string, unknown>, reason: RegExp): void {
  assert.throws(() => parseCheckin(parsePlist(buildPlist(dict as never))), (e: unknown) => e instanceof ProtocolError && reason.test(e.message));
}

test('iOS Authenticate (nanomdm fixture): device channel keyed by the 40-hex UDID, iPad inventory', () => {
  const m = checkin('nanomdm/mdm_testdata_Authenticate.1.plist');
  assert.equal(m.messageType, 'Authenticate');
  if (m.messageType !== 'Authenticate') return;
  assert.deepEqual(m.enrollment, {
    id: '663b07bb783e9ade1dae4fbb92ea12afc0ce5b69', type: 'Device', deviceId: '663b07bb783e9ade1dae4fbb92ea12afc0ce5b69',
    udid: '663b07bb783e9ade1dae4fbb92ea12afc0ce5b69', enrollmentId: null, userId: null, userShortName: null, userLongName: null,
  });
  assert.equal(m.topic, TOPIC);
  assert.deepEqual(m.inventory, {
    serialNumber: 'F5JM992LF193', productName: 'iPad2,5', osVersion: '9.3.5', buildVersion: '13G36', model: 'iPad2,5', platform: 'iPadOS',
  });
});

test('macOS Authenticate (nanomdm fixture): Model, ModelName and DeviceName; Challenge data is ignored', () => {
  const m = checkin('nanomdm/mdm_testdata_Authenticate.2.plist');
  assert.ok(m.messageType === 'Authenticate');
  assert.equal(m.enrollment.id, '66ADE930-5FDF-5EC4-8429-15640684C489');
  assert.deepEqual(m.inventory, {
    serialNumber: 'C02MT66KFLHH', modelName: 'iMac', productName: 'iMac14,2', deviceName: 'Fruit', osVersion: '10.12.6',
    buildVersion: '16G2136', model: 'iMac14,2', platform: 'macOS',
  });
});

test('mdmb Authenticate: the &#39; character reference in DeviceName is decoded', () => {
  const m = checkin('mdmb/conversation-nanomdm/04-PUT-mdm-Authenticate.body.plist');
  assert.ok(m.messageType === 'Authenticate');
  assert.equal(m.inventory.deviceName, "B8Y4575TBPAZ's Computer");
  assert.equal(m.inventory.platform, undefined);
});

test('iOS TokenUpdate (nanomdm fixture): token, magic and the line-wrapped UnlockToken', () => {
  const m = checkin('nanomdm/mdm_testdata_TokenUpdate.1.plist');
  assert.ok(m.messageType === 'TokenUpdate');
  assert.equal(m.token.toString('hex'), '47e8eec062c2f729ec1703c1b3e18f1971d85f00be76445d34080baa701b5f51');
  assert.equal(m.pushMagic, 'CEFDF0BD-E342-4A27-8742-E930EA116B0A');
  assert.equal(m.unlockToken?.length, 1288);
  assert.equal(m.unlockToken?.subarray(0, 8).toString('hex'), '44415441000004e4');
  assert.equal(m.awaitingConfiguration, false);
});

test('macOS TokenUpdate (nanomdm fixture): no UnlockToken, AwaitingConfiguration false', () => {
  const m = checkin('nanomdm/mdm_testdata_TokenUpdate.2.plist');
  assert.ok(m.messageType === 'TokenUpdate');
  assert.equal(m.token.toString('hex'), '1ba7c90066c50f77689a24f3a425caf68a300f729e88e460a9416022d5d642cc');
  assert.equal(m.unlockToken, null);
  assert.equal(m.topic, TOPIC);
});

test('user channel messages carry the user keys', () => {
  const m = parseCheckin({
    MessageType: 'TokenUpdate', UDID: 'U1', UserID: 'A-B', UserShortName: 'ann', UserLongName: 'Ann Example',
    Topic: 't', Token: Buffer.from([1, 2]), PushMagic: 'pm', NotOnConsole: true,
  });
  assert.ok(m.messageType === 'TokenUpdate');
  assert.equal(m.enrollment.id, 'U1:A-B');
  assert.equal(m.enrollment.type, 'User');
  assert.equal(m.enrollment.userLongName, 'Ann Example');
  assert.equal(m.notOnConsole, true);
});

test('the other message types parse with their keys', () => {
  const base = { UDID: 'U1' };
  const set = parseCheckin({ MessageType: 'SetBootstrapToken', ...base, BootstrapToken: Buffer.from('tok'), AwaitingConfiguration: true });
  assert.ok(set.messageType === 'SetBootstrapToken');
  assert.equal(set.bootstrapToken?.toString(), 'tok');
  assert.equal(set.awaitingConfiguration, true);
  const del = parseCheckin({ MessageType: 'SetBootstrapToken', ...base, BootstrapToken: Buffer.alloc(0) });
  assert.ok(del.messageType === 'SetBootstrapToken' && del.bootstrapToken === null, 'empty BootstrapToken means delete');
  const ua = parseCheckin({ MessageType: 'UserAuthenticate', ...base, UserID: 'X', DigestResponse: 'r' });
  assert.ok(ua.messageType === 'UserAuthenticate' && ua.digestResponse === 'r' && ua.enrollment.id === 'U1:X');
  const dm = parseCheckin({ MessageType: 'DeclarativeManagement', ...base, Endpoint: 'tokens', Data: Buffer.from('{}') });
  assert.ok(dm.messageType === 'DeclarativeManagement' && dm.endpoint === 'tokens' && dm.data?.toString() === '{}');
  const gt = parseCheckin({ MessageType: 'GetToken', ...base, TokenServiceType: 'com.apple.maid', TokenParameters: { PhoneUDID: 'p' } });
  assert.ok(gt.messageType === 'GetToken' && gt.tokenServiceType === 'com.apple.maid' && gt.tokenParameters?.PhoneUDID === 'p');
  const co = parseCheckin({ MessageType: 'CheckOut', ...base });
  assert.ok(co.messageType === 'CheckOut' && co.topic === null);
});

test('malformed check-ins are refused with a reason naming the key', () => {
  refused({ MessageType: 'Authenticate', Topic: 't' }, /Authenticate: missing UDID or EnrollmentID/);
  refused({ UDID: 'U1' }, /missing MessageType/);
  refused({ MessageType: 'Reboot', UDID: 'U1' }, /unknown MessageType "Reboot"/);
  refused({ MessageType: 'Authenticate', UDID: 'U1' }, /Authenticate: missing Topic/);
  refused({ MessageType: 'TokenUpdate', UDID: 'U1', Topic: 't', PushMagic: 'm' }, /TokenUpdate: missing Token/);
  refused({ MessageType: 'TokenUpdate', UDID: 'U1', Topic: 't', PushMagic: 'm', Token: 'AAEC' }, /Token must be <data>/);
  refused({ MessageType: 'TokenUpdate', UDID: 'U1', Topic: 't', Token: Buffer.from([1]) }, /missing PushMagic/);
  refused({ MessageType: 'DeclarativeManagement', UDID: 'U1' }, /missing Endpoint/);
  refused({ MessageType: 'Authenticate', UDID: 5, Topic: 't' }, /UDID must be a string/);
  refused({ MessageType: 'TokenUpdate', UDID: 'U1', UserID: 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', Topic: 't', Token: Buffer.from([1]), PushMagic: 'm' }, /without UserShortName/);
  assert.throws(() => parseCheckin(['MessageType']), /not a dict/);
});
