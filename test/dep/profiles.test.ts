// The ADE profile's flags as an enrollment reads them (Apple's defaults for keys a profile leaves out,
// the deprecated is_supervised left to the settings), and what /proxy traffic fills the cache with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adeProfileFlags, cacheProxiedProfile } from '../../src/dep/profiles.js';
import type { GetProfileResponse } from '../../src/dep/types.js';

test('stated keys are honoured; left out: removable and not awaiting (Apple\'s defaults), supervision to the settings', () => {
  assert.deepEqual(adeProfileFlags({ is_supervised: false, is_mdm_removable: false, await_device_configured: true }), { supervised: false, removable: false, awaitConfiguration: true });
  assert.deepEqual(adeProfileFlags({ profile_name: 'bare', url: 'https://mdm.example.com/mdm/ade/enroll' }), { supervised: null, removable: true, awaitConfiguration: false });
  assert.deepEqual(adeProfileFlags({ is_supervised: 'yes' as unknown as boolean }).supervised, null, 'not a boolean: not stated');
});

test('/proxy: a defined or read profile is cached; anything else is not', async () => {
  const saved: Array<[string, GetProfileResponse]> = [];
  const store = { saveDepProfile: async (name: string, p: GetProfileResponse) => void saved.push([name, p]), getDepProfile: async () => null };
  const ok = (body: unknown) => ({ status: 200, body: Buffer.from(JSON.stringify(body)) });
  const definition = { profile_name: 'Macs', url: 'https://mdm.example.com/mdm/ade/enroll', is_mdm_removable: false, devices: ['C02X'] };
  const at = new Date();
  assert.equal(await cacheProxiedProfile(store, 'abm', { method: 'POST', path: '/profile', body: Buffer.from(JSON.stringify(definition)) }, ok({ profile_uuid: 'P1', devices: { C02X: 'SUCCESS' } }), at), 'P1');
  assert.deepEqual(saved.pop(), ['abm', { profile_name: 'Macs', url: definition.url, is_mdm_removable: false, profile_uuid: 'P1' }], 'the definition, without its devices');
  assert.equal(await cacheProxiedProfile(store, 'abm', { method: 'GET', path: '/profile?profile_uuid=P2' }, ok({ profile_uuid: 'P2', profile_name: 'iPads', url: definition.url }), at), 'P2');
  assert.equal(saved.pop()?.[1].profile_name, 'iPads');
  assert.equal(await cacheProxiedProfile(store, 'abm', { method: 'GET', path: '/profile?profile_uuid=P3' }, { status: 404, body: Buffer.from('NOT_FOUND') }, at), null);
  assert.equal(await cacheProxiedProfile(store, 'abm', { method: 'GET', path: '/profile' }, { status: 200, body: Buffer.from('<html>') }, at), null);
  assert.equal(await cacheProxiedProfile(store, 'abm', { method: 'PUT', path: '/profile/devices', body: Buffer.from('{}') }, ok({ profile_uuid: 'P1', devices: {} }), at), null);
  assert.equal(saved.length, 0);
});
