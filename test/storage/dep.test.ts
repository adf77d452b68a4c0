// ADE (DEP) storage: DEP names (tokens, token PKI staging → current, config, assigner, session,
// cursor) and the devices each name lists, with the enrolled / not enrolled filter.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../src/storage/types.js';
import type { DepDeviceInput } from '../../src/storage/types-dep.js';
import { openTestStore, testDbLabel } from '../helpers/store.js';
import { at, enrollDevice, newId } from './setup.js';

const tokens = {
  consumer_key: 'CK_1',
  consumer_secret: 'CS_1',
  access_token: 'AT_1',
  access_secret: 'AS_1',
  access_token_expiry: '2027-03-01T00:00:00Z',
};

const device = (depName: string, serialNumber: string, extra: Partial<DepDeviceInput> = {}): DepDeviceInput => ({
  depName,
  serialNumber,
  model: 'MacBook Pro',
  description: 'MBP 14"',
  color: 'SPACE GRAY',
  assetTag: null,
  os: 'OSX',
  deviceFamily: 'Mac',
  deviceAssignedBy: 'admin@example.com',
  deviceAssignedDate: at(1),
  opType: null,
  opDate: null,
  profileUuid: null,
  profileStatus: 'empty',
  profileAssignTime: null,
  profilePushTime: null,
  ...extra,
});

describe(`DEP storage (${testDbLabel})`, () => {
  let store: Store;
  before(async () => {
    store = await openTestStore();
  });
  after(() => store.close());

  test('a DEP name: staging key pair promoted with the tokens in one step; config, assigner, session, cursor kept', async () => {
    const name = newId('dep');
    assert.equal(await store.getDepName(name), null);
    await store.saveDepStagingPki(name, { certPem: 'CERT-A', keyPem: 'KEY-A' }, at(1));
    let n = await store.getDepName(name);
    assert.deepEqual(n?.stagingPki, { certPem: 'CERT-A', keyPem: 'KEY-A' });
    assert.equal(n?.currentPki, null);
    assert.equal(n?.tokens, null);

    await store.saveDepSession(name, 'session-1', at(2));
    await store.saveDepTokens(name, tokens, at(3), { promoteStaging: true });
    n = await store.getDepName(name);
    assert.deepEqual(n?.tokens, tokens);
    assert.deepEqual(n?.tokensExpireAt, new Date('2027-03-01T00:00:00Z'));
    assert.deepEqual(n?.tokensUpdatedAt, at(3));
    assert.deepEqual(n?.currentPki, { certPem: 'CERT-A', keyPem: 'KEY-A' });
    assert.equal(n?.stagingPki, null);
    assert.equal(n?.sessionToken, null, 'new tokens forget the old session');

    // No staging pair left: promoting again is refused and changes nothing.
    await assert.rejects(store.saveDepTokens(name, { ...tokens, consumer_key: 'CK_2' }, at(4), { promoteStaging: true }), /no staging/);
    assert.equal((await store.getDepName(name))?.tokens?.consumer_key, 'CK_1');

    await store.saveDepConfig(name, 'http://127.0.0.1:1/', at(5));
    await store.saveDepAssignerProfile(name, 'PROFILE-1', at(6));
    await store.saveDepSession(name, 'session-2', at(7));
    await store.saveDepCursor(name, 'CURSOR-1', at(8));
    n = await store.getDepName(name);
    assert.equal(n?.baseUrl, 'http://127.0.0.1:1/');
    assert.equal(n?.assignerProfileUuid, 'PROFILE-1');
    assert.equal(n?.sessionToken, 'session-2');
    assert.equal(n?.cursor, 'CURSOR-1');
    assert.deepEqual(n?.cursorAt, at(8));
    assert.deepEqual(n?.createdAt, at(1));
    assert.deepEqual(n?.updatedAt, at(8));
    assert.ok((await store.listDepNames()).some((x) => x.name === name));
    await store.saveDepCursor(name, null, at(9));
    assert.equal((await store.getDepName(name))?.cursorAt, null);
  });

  test('devices: upsert by (name, serial), last of a batch wins, filters, profile recorded, enrolled or not', async () => {
    const name = newId('dep');
    const other = newId('dep');
    const enrolledId = await enrollDevice(store);
    const enrolledSerial = `SN${enrolledId}`; // enrollDevice reports SN<id>
    const a = newId('A');
    await store.upsertDepDevices(
      [
        device(name, a),
        device(name, a, { model: 'iPad', os: 'iOS', opType: 'added', opDate: at(2) }),
        device(name, enrolledSerial),
        device(other, a, { opType: 'deleted', opDate: at(3) }),
      ],
      at(4),
    );
    const mine = await store.listDepDevices({ depName: name });
    assert.deepEqual(mine.map((d) => d.serialNumber).sort(), [a, enrolledSerial].sort());
    const got = mine.find((d) => d.serialNumber === a)!;
    assert.equal(got.model, 'iPad');
    assert.equal(got.opType, 'added');
    assert.deepEqual(got.opDate, at(2));
    assert.deepEqual(got.deviceAssignedDate, at(1));
    assert.deepEqual(got.updatedAt, at(4));

    assert.deepEqual((await store.listDepDevices({ depName: name, enrolled: false })).map((d) => d.serialNumber), [a]);
    assert.deepEqual((await store.listDepDevices({ depName: name, enrolled: true })).map((d) => d.serialNumber), [enrolledSerial]);
    assert.deepEqual((await store.listDepDevices({ depName: other, excludeDeleted: true })).length, 0);
    assert.deepEqual((await store.listDepDevices({ serials: [a] })).map((d) => d.depName).sort(), [name, other].sort());

    await store.setDepDeviceProfile(name, [a], { profileUuid: 'P-1', profileStatus: 'assigned', at: at(5) });
    const assigned = await store.getDepDevice(a, name);
    assert.equal(assigned?.profileUuid, 'P-1');
    assert.equal(assigned?.profileStatus, 'assigned');
    assert.deepEqual(assigned?.profileAssignTime, at(5));
    assert.equal((await store.getDepDevice(a))?.depName, name, 'the most recently updated record of a serial');
    assert.equal((await store.listDepDevices({ profileStatus: 'assigned', depName: name })).length, 1);

    assert.equal(await store.deleteDepName(other), false, 'devices only, no name row');
    assert.equal((await store.listDepDevices({ depName: other })).length, 0);
  });

  test('ADE profiles: cached per DEP name and UUID, replaced when fetched again, dropped with the name', async () => {
    const name = newId('dep');
    const other = newId('dep');
    const p = { profile_uuid: 'PROF-1', profile_name: 'Macs', url: 'https://mdm.example.com/mdm/ade/enroll', is_supervised: true, is_mdm_removable: false };
    await store.saveDepProfile(name, p, at(1));
    await store.saveDepTokens(name, tokens, at(1));
    assert.deepEqual(await store.getDepProfile(name, 'PROF-1'), { depName: name, profileUuid: 'PROF-1', profile: p, fetchedAt: at(1) });
    assert.equal(await store.getDepProfile(other, 'PROF-1'), null, 'per DEP name');
    await store.saveDepProfile(name, { ...p, is_mdm_removable: true }, at(2));
    const again = await store.getDepProfile(name, 'PROF-1');
    assert.deepEqual([again?.profile.is_mdm_removable, again?.fetchedAt], [true, at(2)]);
    assert.equal(await store.deleteDepName(name), true);
    assert.equal(await store.getDepProfile(name, 'PROF-1'), null);
  });
});
