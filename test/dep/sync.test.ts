// The DEP syncer and assigner through the fake DEP service over HTTP, on the real store: the first
// pass fetches every device and the assigner gives new ones their profile (a rule by device family,
// else the DEP name's default); a later pass (as after a restart: another process, the kept cursor)
// syncs only the changes, op_type kept per device; an expired cursor is dropped and the devices
// fetched again; a failing service leaves the cursor and the next pass goes on (HTML or garbage
// half-way through a fetch, a sync or the assignment loses no new device); a name whose lease
// another process holds is left to it; the background syncer goes on at the next interval.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../src/storage/types.js';
import { openTestStore } from '../helpers/store.js';
import { FakeDep } from '../../src/dep/fake/server.js';
import { depClient } from '../../src/dep/client.js';
import { startDepSyncer, syncDepNames, type SyncerOptions } from '../../src/dep/syncer.js';
import { saveRules } from '../../src/dep/assigner.js';

let store: Store;
let fake: FakeDep;
const name = 'school';
let macProfile = '';
let ipadProfile = '';

const opts = (owner: string): SyncerOptions & { names: string[] } => ({
  store, owner, names: [name], client: (n) => depClient(n, { store, sleep: async () => undefined, backoffMs: 1, retries: 1 }),
});

before(async () => {
  store = await openTestStore();
  fake = await FakeDep.start();
  fake.state.upsertDevices([
    { serial_number: 'C02MAC000001', model: 'MacBook Air', os: 'OSX', device_family: 'Mac' },
    { serial_number: 'C02MAC000002', model: 'Mac mini', os: 'OSX', device_family: 'Mac' },
    { serial_number: 'DMPIPAD00001', model: 'iPad Air', os: 'iOS', device_family: 'iPad' },
    { serial_number: 'DMPIPAD00002', model: 'iPad Air', os: 'iOS', device_family: 'iPad' },
    { serial_number: 'DMPIPAD00003', model: 'iPad Pro', os: 'iOS', device_family: 'iPad' },
  ]);
  await store.saveDepTokens(name, fake.state.tokens, new Date());
  await store.saveDepConfig(name, fake.url, new Date());
  const c = depClient(name, { store });
  macProfile = (await c.defineProfile({ profile_name: 'Macs', url: 'https://mdm.example.test/mdm/ade/enroll', is_supervised: true })).profile_uuid;
  ipadProfile = (await c.defineProfile({ profile_name: 'iPads', url: 'https://mdm.example.test/mdm/ade/enroll', is_supervised: true, is_mdm_removable: false })).profile_uuid;
  await store.saveDepAssignerProfile(name, macProfile, new Date());
  await saveRules(store, name, { rules: [{ profile_uuid: ipadProfile, models: ['iPad'] }] });
});
after(async () => {
  await fake.close();
  await store.close();
});

const device = async (serial: string) => (await store.getDepDevice(serial, name))!;

test('first pass: fetch every device, assign by rule and default; later passes sync changes from the kept cursor', async () => {
  const [first] = await syncDepNames(opts('node-a'));
  assert.equal(first!.mode, 'fetch');
  assert.equal(first!.devices, 5);
  assert.deepEqual(first!.assigned, { [macProfile]: ['C02MAC000001', 'C02MAC000002'], [ipadProfile]: ['DMPIPAD00001', 'DMPIPAD00002', 'DMPIPAD00003'] });
  assert.equal((await device('DMPIPAD00002')).profileStatus, 'assigned');
  assert.equal((await device('DMPIPAD00002')).profileUuid, ipadProfile);
  assert.equal(fake.state.devices.get('C02MAC000001')!.profile_uuid, macProfile, 'assigned at Apple too');
  const cursor = (await store.getDepName(name))!.cursor;
  assert.ok(cursor, 'the cursor is kept for the next pass');

  // ABM changes: a new Mac, an iPad released. Another process (a restart) continues from the cursor.
  fake.state.upsertDevices([{ serial_number: 'C02MAC000003', model: 'MacBook Pro', os: 'OSX', device_family: 'Mac' }]);
  fake.state.deleteDevices(['DMPIPAD00003']);
  const [second] = await syncDepNames(opts('node-b'));
  assert.equal(second!.mode, 'sync');
  assert.deepEqual(second!.added, ['C02MAC000003']);
  assert.deepEqual(second!.assigned, { [macProfile]: ['C02MAC000003'] });
  assert.equal((await device('C02MAC000003')).opType, 'added');
  assert.equal((await device('DMPIPAD00003')).opType, 'deleted');
  assert.notEqual((await store.getDepName(name))!.cursor, cursor);
  const listed = await store.listDepDevices({ depName: name, excludeDeleted: true, enrolled: false });
  assert.deepEqual(listed.map((d) => d.serialNumber), ['C02MAC000001', 'C02MAC000002', 'C02MAC000003', 'DMPIPAD00001', 'DMPIPAD00002']);
});

test('a failing service keeps the cursor and the next pass goes on; an expired or invalid cursor fetches again; a held lease is left alone', async () => {
  const cursor = (await store.getDepName(name))!.cursor;
  fake.state.addFailure({ path: '/devices/sync', status: 500, body: 'boom', times: 2 }); // the client's two attempts
  assert.deepEqual(await syncDepNames(opts('node-a')), [], 'the failure is logged, nothing else');
  assert.equal((await store.getDepName(name))!.cursor, cursor);
  const [resumed] = await syncDepNames(opts('node-a'));
  assert.equal(resumed!.mode, 'sync');

  fake.state.advance(8 * 86_400_000); // Apple: sync cursors expire after 7 days
  const [refetched] = await syncDepNames(opts('node-a'));
  assert.equal(refetched!.mode, 'fetch', 'EXPIRED_CURSOR: every device fetched again');
  assert.equal(refetched!.devices, 5, 'the released iPad is no longer listed');
  assert.deepEqual(refetched!.added, [], 'no device is new');
  await store.saveDepCursor(name, 'not-a-cursor-apple-knows', new Date());
  const [invalid] = await syncDepNames(opts('node-a'));
  assert.equal(invalid!.mode, 'fetch', 'INVALID_CURSOR: every device fetched again');
  assert.notEqual((await store.getDepName(name))!.cursor, 'not-a-cursor-apple-knows');

  const t = new Date();
  assert.ok(await store.claimPostureJob(`dep-sync:${name}`, 'other-node', 'x', t, new Date(t.getTime() + 60_000)));
  assert.deepEqual(await syncDepNames(opts('node-a')), [], 'another node holds the lease');
  await store.finishPostureJob(`dep-sync:${name}`, 'other-node', new Date());
  assert.equal((await syncDepNames(opts('node-a'))).length, 1);
});

test('HTML or garbage half-way through a fetch, a sync or the assignment: the cursor stays behind and the next pass assigns every new device', async () => {
  const other = await FakeDep.start();
  const n = 'halfway';
  try {
    other.state.upsertDevices(['H01', 'H02', 'H03'].map((s) => ({ serial_number: `C02${s}`, model: 'Mac mini', os: 'OSX', device_family: 'Mac' })));
    await store.saveDepTokens(n, other.state.tokens, new Date());
    await store.saveDepConfig(n, other.url, new Date());
    const profile = (await depClient(n, { store }).defineProfile({ profile_name: 'Macs', url: 'https://mdm.example.test/mdm/ade/enroll' })).profile_uuid;
    await store.saveDepAssignerProfile(n, profile, new Date());
    const o = { ...opts('node-a'), names: [n], pageSize: 1 };
    const html = '<!DOCTYPE html><html><body>Service temporarily down for maintenance</body></html>';

    // A fetch, one device a page: the second page is an HTML page answered 200.
    other.state.addFailure({ path: '/server/devices', status: 200, body: html, after: 1 });
    assert.deepEqual(await syncDepNames(o), [], 'the failure is logged, nothing else');
    assert.equal((await store.getDepName(n))!.cursor, null, 'no cursor from a fetch that did not finish');
    assert.equal(other.state.devices.get('C02H01')!.profile_uuid ?? null, null, 'nothing assigned yet');
    const [fetched] = await syncDepNames(o);
    assert.equal(fetched!.mode, 'fetch');
    assert.deepEqual(fetched!.assigned, { [profile]: ['C02H01', 'C02H02', 'C02H03'] }, 'the device of the first page too');
    assert.ok((await store.getDepName(n))!.cursor);

    // A sync of two new devices: garbage on its second page; then the assignment answered HTML.
    other.state.upsertDevices(['H04', 'H05'].map((s) => ({ serial_number: `C02${s}`, model: 'Mac mini', os: 'OSX', device_family: 'Mac' })));
    other.state.addFailure({ path: '/devices/sync', status: 200, body: '\u0000\u0001not json', after: 1 });
    assert.deepEqual(await syncDepNames(o), []);
    other.state.addFailure({ path: '/profile/devices', status: 200, body: html });
    assert.deepEqual(await syncDepNames(o), [], 'the assignment answered HTML: the pass fails');
    assert.equal(other.state.devices.get('C02H04')!.profile_uuid ?? null, null);
    const [synced] = await syncDepNames(o);
    assert.equal(synced!.mode, 'sync');
    assert.deepEqual(synced!.assigned, { [profile]: ['C02H04', 'C02H05'] }, 'none lost to the failed passes');
    assert.equal(other.state.devices.get('C02H05')!.profile_uuid, profile);
    assert.equal((await store.getDepDevice('C02H04', n))!.profileStatus, 'assigned');
    const [quiet] = await syncDepNames(o);
    assert.deepEqual([quiet!.added, quiet!.assigned], [[], {}], 'nothing pending any more');
  } finally {
    await other.close();
  }
});

test('the background syncer: a pass at start and one every interval; after HTML from Apple the next interval goes on', async () => {
  const other = await FakeDep.start();
  const n = 'interval';
  try {
    other.state.upsertDevices([{ serial_number: 'C02INT0001', model: 'Mac mini', os: 'OSX', device_family: 'Mac' }]);
    await store.saveDepTokens(n, other.state.tokens, new Date());
    await store.saveDepConfig(n, other.url, new Date());
    other.state.addFailure({ path: '/server/devices', status: 200, body: '<html><body>Bad Gateway</body></html>' });
    const only = { ...opts('node-i'), names: [n] }; // syncDepNames takes the names the syncer is given
    const worker = startDepSyncer({ ...only, intervalSeconds: 0.05 });
    try {
      assert.deepEqual(await worker.runOnce(), [], 'the pass at start met the HTML page');
      assert.equal((await store.getDepName(n))!.cursor, null);
      for (let i = 0; i < 100 && !(await store.getDepName(n))!.cursor; i++) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await worker.stop();
    }
    assert.ok((await store.getDepName(n))!.cursor, 'a later interval fetched the devices');
    assert.equal((await store.getDepDevice('C02INT0001', n))?.model, 'Mac mini');
  } finally {
    await other.close();
  }
});
