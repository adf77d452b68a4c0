// The assigner's rules as data: a rule matches on every list it names (models by prefix of Apple's
// model or device family, any case; os; serials), the first matching rule wins, else the default;
// bad rules are refused naming the rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssignRuleError, needsProfile, profileFor, validateRules } from '../../src/dep/assigner.js';
import type { DepDeviceRecord } from '../../src/storage/types-dep.js';

const device = (over: Partial<DepDeviceRecord>): DepDeviceRecord =>
  ({ depName: 'abm', serialNumber: 'S', model: null, os: null, deviceFamily: null, opType: null, opDate: null, profileUuid: null, profileStatus: 'empty', updatedAt: new Date(), ...over }) as DepDeviceRecord;

test('rules by model, OS and serial list: all named lists must match, the first rule wins, else the default', () => {
  const rules = validateRules({
    rules: [
      { profile_uuid: 'LAB', serials: ['C02LAB1', 'C02LAB2'], os: ['OSX'] },
      { profile_uuid: 'IPADS', models: ['ipad'] },
      { profile_uuid: 'TV', os: ['tvOS'] },
      { profile_uuid: 'PROS', models: ['MacBook Pro'], os: ['OSX'] },
    ],
  });
  const of = (d: Partial<DepDeviceRecord>) => profileFor(device(d), rules, 'DEFAULT');
  assert.equal(of({ serialNumber: 'C02LAB1', model: 'MacBook Pro 14-inch', os: 'OSX', deviceFamily: 'Mac' }), 'LAB', 'serial and OS, before the model rule');
  assert.equal(of({ serialNumber: 'C02LAB2', model: 'iPad Air', os: 'iOS', deviceFamily: 'iPad' }), 'IPADS', 'a listed serial of another OS: the lab rule does not match');
  assert.equal(of({ serialNumber: 'X1', model: 'iPad Pro 11-inch', os: 'iOS', deviceFamily: 'iPad' }), 'IPADS', 'model prefix, any case');
  assert.equal(of({ serialNumber: 'X2', model: 'Apple TV 4K', os: 'tvOS', deviceFamily: 'AppleTV' }), 'TV', 'by OS');
  assert.equal(of({ serialNumber: 'X3', model: 'MacBook Pro 16-inch', os: 'OSX', deviceFamily: 'Mac' }), 'PROS');
  assert.equal(of({ serialNumber: 'X4', model: 'MacBook Air', os: 'OSX', deviceFamily: 'Mac' }), 'DEFAULT', 'no rule: the default');
  assert.equal(profileFor(device({ serialNumber: 'X4', model: 'MacBook Air', os: 'OSX' }), rules, null), null, 'no rule and no default: none');
  assert.equal(needsProfile(device({ opType: 'deleted' })), false, 'released devices get none');
  assert.equal(needsProfile(device({ profileUuid: 'P', profileStatus: 'assigned' })), false, 'nor assigned ones');
  assert.equal(needsProfile(device({})), true);
});

test('bad rules are refused naming the rule and the key', () => {
  const refused = (input: unknown) => assert.throws(() => validateRules(input), AssignRuleError);
  refused({});
  refused({ rules: [{ models: ['iPad'] }] });
  assert.throws(() => validateRules({ rules: [{ profile_uuid: 'A' }, { profile_uuid: 'B', models: 'iPad' }] }), /rules\[1\]\.models must be a list of strings/);
  assert.throws(() => validateRules({ rules: [{ profile_uuid: 'A', model: ['iPad'] }] }), /rules\[0\]: unknown key "model"/);
});
