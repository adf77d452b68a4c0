// Bad input is refused with a reason and nothing half-applied: malformed status reports, unknown
// endpoints and declarations from devices; invalid declarations, sets and assignments from the API.
// (A well-formed report naming declarations Updraft does not know is stored: unknown-declarations.test.ts.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, DdmDevice, outboxEvents, startRig, type Rig } from './helpers.js';

let rig: Rig;
let device: DdmDevice;

before(async () => {
  rig = await startRig();
  device = new DdmDevice(rig, 'DDM-BAD-0001');
  await device.enroll();
  await api(rig, 'PUT', '/v1/ddm/declarations', { Type: 'com.apple.configuration.passcode.settings', Identifier: 'passcode', Payload: { MinimumLength: 6 } });
});
after(() => rig.close());

async function storedItems(): Promise<number> {
  return (await rig.server.store.ddmStatusItems(device.udid)).length;
}

test('malformed status reports get a 400 with the reason and store nothing', async () => {
  const cases: Array<[Buffer | object, RegExp]> = [
    [Buffer.from('{"StatusItems": {'), /not valid JSON/],
    [Buffer.from('[1,2]'), /must be a JSON object/],
    [{ Errors: [] }, /StatusItems is required/],
    [{ StatusItems: {}, FullReport: 'yes' }, /FullReport must be a boolean/],
    [{ StatusItems: { management: { declarations: { configurations: [{ active: true }] } } } }, /configurations\[0\]\.identifier/],
    [{ StatusItems: { management: { declarations: { profiles: [] } } } }, /unknown group/],
    [{ StatusItems: { softwareupdate: { 'install-state': 'none' } }, Errors: [{ Reasons: [] }] }, /Errors\[0\]\.StatusItem/],
  ];
  for (const [data, reason] of cases) {
    const r = await device.ddm('status', data);
    assert.equal(r.status, 400, r.text);
    assert.match(r.text, reason);
  }
  const empty = await device.checkin('DeclarativeManagement', { Endpoint: 'status' });
  assert.equal(empty.status, 400);
  assert.match(empty.text, /empty/);
  assert.equal(await storedItems(), 0);
  assert.deepEqual(await outboxEvents(rig), []);
});

test('unknown endpoints, kinds and declarations answer 404; an unknown enrollment 400, never 401', async () => {
  assert.equal((await device.ddm('bogus')).status, 404);
  assert.equal((await device.ddm('declaration/profile/passcode')).status, 404);
  assert.equal((await device.ddm('declaration/configuration')).status, 404);
  // passcode exists but is in no set assigned to this device.
  assert.equal((await device.ddm('declaration/configuration/passcode')).status, 404);
  const stranger = new DdmDevice(rig, 'NEVER-ENROLLED');
  const r = await stranger.ddm('tokens');
  assert.equal(r.status, 400);
  assert.match(r.text, /unknown enrollment/);
});

test('an invalid declaration from the API is a 400 naming the key, and nothing is stored', async () => {
  const cases: Array<[unknown, string]> = [
    [{ Type: 'com.apple.configuration.softwareupdate.enforcement.specific', Identifier: 'u1', Payload: { TargetLocalDateTime: '2026-12-01T10:00:00' } }, 'Payload.TargetOSVersion'],
    [{ Type: 'com.apple.configuration.passcode.settings', Identifier: 'u2', Payload: { MinimumLength: 'six' } }, 'Payload.MinimumLength'],
    [{ Type: 'com.apple.configuration.passcode.settings', Identifier: 'u3', Payload: { MinimumLenght: 6 } }, 'Payload.MinimumLenght'],
    [{ Type: 'com.apple.configuration.softwareupdate.settings', Identifier: 'u4', Payload: { AutomaticActions: { Download: 'Sometimes' } } }, 'Payload.AutomaticActions.Download'],
    [{ Type: 'com.example.thing', Identifier: 'u5', Payload: {} }, 'Type'],
    [{ Type: 'com.apple.activation.simple', Identifier: 'x'.repeat(65), Payload: { StandardConfigurations: [] } }, 'Identifier'],
    [{ Type: 'com.apple.activation.simple', Identifier: 'updraft.mine', Payload: { StandardConfigurations: [] } }, 'Identifier'],
    [{ Type: 'com.apple.activation.simple', Identifier: 'u8' }, 'Payload'],
    [{ Type: 'com.apple.activation.simple', Identifier: 'u9', Payload: { StandardConfigurations: [] }, Extra: 1 }, 'Extra'],
  ];
  for (const [body, field] of cases) {
    const r = await api(rig, 'PUT', '/v1/ddm/declarations', body);
    assert.equal(r.status, 400, JSON.stringify(r.json));
    assert.equal(r.json.field, field, JSON.stringify(r.json));
    assert.ok(String(r.json.error).length > field.length, 'carries a reason');
  }
  const listed = (await api(rig, 'GET', '/v1/ddm/declarations')).json.declarations as Array<{ Identifier: string }>;
  assert.deepEqual(listed.map((d) => d.Identifier), ['passcode']);

  // An Apple type newer than the schema is accepted with any payload dictionary.
  const newer = await api(rig, 'PUT', '/v1/ddm/declarations', { Type: 'com.apple.configuration.future.settings', Identifier: 'future', Payload: { Anything: true } });
  assert.equal(newer.status, 201);
  assert.equal(newer.json.kind, 'configuration');
});

test('sets and assignments refuse unknown declarations, enrollments and sets', async () => {
  const badSet = await api(rig, 'PUT', '/v1/ddm/sets/s1', { declarations: ['passcode', 'missing'] });
  assert.equal(badSet.status, 400);
  assert.equal(badSet.json.field, 'declarations[1]');
  assert.equal((await api(rig, 'GET', '/v1/ddm/sets/s1')).status, 404, 'the set was not created');

  assert.equal((await api(rig, 'PUT', '/v1/ddm/sets/bad name', { declarations: [] })).status, 400);
  assert.equal((await api(rig, 'PUT', '/v1/ddm/sets/s2', { declarations: ['passcode'] })).status, 200);
  const noDevice = await api(rig, 'PUT', '/v1/ddm/sets/s2/enrollments/NOPE');
  assert.equal(noDevice.status, 404);
  assert.match(String(noDevice.json.error), /unknown enrollment/);
  assert.equal((await api(rig, 'PUT', `/v1/ddm/sets/nope/enrollments/${device.udid}`)).status, 404);
  assert.equal((await api(rig, 'DELETE', '/v1/ddm/declarations/nope')).status, 404);
  assert.equal((await api(rig, 'GET', '/v1/ddm/enrollments/NOPE')).status, 404);

  const res = await fetch(`${rig.server.url}/v1/ddm/declarations`, { method: 'PUT', headers: { authorization: 'Bearer test-api-key', 'content-type': 'application/json' }, body: '{"Type":' });
  assert.equal(res.status, 400);
  const unauth = await fetch(`${rig.server.url}/v1/ddm/declarations`);
  assert.equal(unauth.status, 401, 'the API (not an MDM endpoint) wants the key');
});
