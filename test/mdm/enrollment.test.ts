import { test } from 'node:test';
import assert from 'node:assert/strict';
import { platformOf, resolveEnrollment, SHARED_IPAD_USER_ID } from '../../src/mdm/index.js';

test('enrollment IDs are normalized per channel (PROTOCOL.md §1.2)', () => {
  const cases: Array<[Parameters<typeof resolveEnrollment>[0], string, string, string]> = [
    [{ udid: 'UDID1' }, 'UDID1', 'Device', 'UDID1'],
    [{ udid: 'UDID1', userId: 'USER-GUID', userShortName: 'ann' }, 'UDID1:USER-GUID', 'User', 'UDID1'],
    [{ udid: 'UDID1', userId: SHARED_IPAD_USER_ID, userShortName: 'ann@school.example' }, 'UDID1:ann@school.example', 'SharediPad', 'UDID1'],
    [{ udid: 'UDID1', userId: SHARED_IPAD_USER_ID.toLowerCase(), userShortName: 'bob' }, 'UDID1:bob', 'SharediPad', 'UDID1'],
    [{ enrollmentId: 'ENR1' }, 'ENR1', 'UserEnrollmentDevice', 'ENR1'],
    [{ enrollmentId: 'ENR1', enrollmentUserId: 'EUSER' }, 'ENR1:EUSER', 'UserEnrollment', 'ENR1'],
  ];
  for (const [ids, id, type, deviceId] of cases) {
    const e = resolveEnrollment(ids);
    assert.deepEqual([e.id, e.type, e.deviceId], [id, type, deviceId], JSON.stringify(ids));
  }
  const ue = resolveEnrollment({ enrollmentId: 'ENR1', enrollmentUserId: 'EUSER' });
  assert.equal(ue.udid, null);
  assert.equal(ue.enrollmentId, 'ENR1');
  assert.throws(() => resolveEnrollment({}), /missing UDID or EnrollmentID/);
});

test('platform from model identifiers and names', () => {
  const cases: Array<[Array<string | null>, string | null]> = [
    [['iPhone14,2'], 'iOS'],
    [['iPod9,1'], 'iOS'],
    [['iPad2,5'], 'iPadOS'],
    [['MacBookPro18,3'], 'macOS'],
    [['Mac14,2'], 'macOS'],
    [['iMac14,2'], 'macOS'],
    [['Macmini9,1'], 'macOS'],
    [['VirtualMac2,1'], 'macOS'],
    [['AppleTV11,1'], 'tvOS'],
    [['Watch6,1'], 'watchOS'],
    [['RealityDevice14,1'], 'visionOS'],
    [[null, 'MacBook Pro'], 'macOS'],
    [['Unknown1,1', 'Apple TV'], 'tvOS'],
    [['AudioAccessory5,1'], null],
    [[], null],
  ];
  for (const [names, platform] of cases) assert.equal(platformOf(...names), platform, names.join(' '));
});
