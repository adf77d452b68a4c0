// Observers (what engines subscribe to): every command result with the matched command's RequestType
// (devices do not echo it), the check-ins with their details, and DDM status reports; all told after
// the request is committed, and an observer that throws never becomes the device's error.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDdm } from '../../src/ddm/index.js';
import type { CheckinSeen, Observer, ResultSeen, StatusSeen } from '../../src/service/observers.js';
import { UnconfiguredPusher } from '../../src/push/unconfigured.js';
import { parsePlist, type PlistDict } from '../../src/plist/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { commandOf, queueCommand, TestDevice } from '../helpers/device.js';
import { fixture } from '../helpers/fixtures.js';
import { openTestStore } from '../helpers/store.js';

const results: ResultSeen[] = [];
const checkins: CheckinSeen[] = [];
const statuses: StatusSeen[] = [];
let srv: TestServer;
let committedAtResult: string | null = null;

const recorder: Observer = {
  async result(e) {
    results.push(e);
    // Committed before observers run: the queue row already carries the result.
    committedAtResult = (await srv.store.getCommand(e.uuid, e.enrollmentId))[0]?.status ?? null;
  },
  async checkin(e) { checkins.push(e); },
  async status(e) { statuses.push(e); },
};
const failing: Observer = {
  async result() { throw new Error('observer down'); },
  async checkin() { throw new Error('observer down'); },
  async status() { throw new Error('observer down'); },
};

before(async () => {
  const store = await openTestStore();
  const observers = [failing, recorder];
  const ddm = createDdm({ store, pusher: new UnconfiguredPusher(), observers });
  srv = await startTestServer({ store, core: { declarative: ddm.handler, observers } });
});
after(async () => {
  await srv.close();
  await srv.store.close();
});

test('a result reaches observers with the queued command\'s RequestType, after commit, despite a failing observer', async () => {
  const d = new TestDevice(srv.url, { ids: { UDID: 'OBS-1' } });
  await d.enroll();
  const uuid = await queueCommand(srv.store, ['OBS-1'], 'DeviceInformation', { Queries: ['HostName'] });
  const next = await queueCommand(srv.store, ['OBS-1'], 'ProfileList');
  assert.equal(commandOf(await d.idle())?.uuid, uuid);
  // The nanomdm fixture's QueryResponses, without the RequestType echo real devices leave out.
  const { CommandUUID: _, RequestType: __, Status: ___, UDID: ____, ...rest } = parsePlist(fixture('nanomdm/mdm_testdata_DeviceInformation.1.plist')) as PlistDict;
  const reply = await d.result('Acknowledged', uuid, rest);
  assert.equal(reply.status, 200, 'a failing observer is not the device\'s problem');
  assert.equal(commandOf(reply)?.uuid, next, 'and the device still gets its next command');
  const seen = results.find((r) => r.uuid === uuid)!;
  assert.deepEqual(
    [seen.enrollmentId, seen.deviceId, seen.requestType, seen.matched, seen.status, seen.errorChain],
    ['OBS-1', 'OBS-1', 'DeviceInformation', true, 'Acknowledged', null],
  );
  assert.deepEqual((seen.dict.QueryResponses as PlistDict).HostName, 'fruit.example.com');
  assert.equal(committedAtResult, 'acknowledged');

  // An Error carries its chain; a result for no queued command says so and keeps the device's echo.
  const err = await d.result('Error', next, { ErrorChain: [{ ErrorCode: 12021, ErrorDomain: 'MCMDMErrorDomain', LocalizedDescription: 'x' }] });
  assert.equal(err.status, 200);
  const errSeen = results.find((r) => r.uuid === next)!;
  assert.deepEqual([errSeen.requestType, errSeen.status, errSeen.errorChain?.[0]?.errorCode], ['ProfileList', 'Error', 12021]);
  await d.result('Acknowledged', '00000000-0000-4000-8000-00000000abcd', { RequestType: 'Echoed' });
  const stray = results.find((r) => r.uuid === '00000000-0000-4000-8000-00000000abcd')!;
  assert.deepEqual([stray.matched, stray.requestType], [false, 'Echoed']);
  // Idle polls are not results.
  const before = results.length;
  await d.idle();
  assert.equal(results.length, before);
});

test('check-ins reach observers: Authenticate with its inventory, TokenUpdate with its tally, SetBootstrapToken, CheckOut', async () => {
  const d = new TestDevice(srv.url, { ids: { UDID: 'OBS-2' } });
  await d.authenticate({ OSVersion: '14.4', BuildVersion: '23E214', Model: 'Mac14,2' });
  await d.tokenUpdate();
  await d.tokenUpdate();
  assert.equal((await d.checkin('SetBootstrapToken', { BootstrapToken: Buffer.from('token') })).status, 200);
  await d.checkin('SetBootstrapToken', {});
  await d.checkin('CheckOut', { Topic: d.topic });
  const mine = checkins.filter((c) => c.enrollmentId === 'OBS-2');
  assert.deepEqual(mine.map((c) => [c.messageType, c.tokenUpdateTally ?? c.bootstrapTokenEscrowed ?? null]), [
    ['Authenticate', null], ['TokenUpdate', 1], ['TokenUpdate', 2], ['SetBootstrapToken', true], ['SetBootstrapToken', false], ['CheckOut', null],
  ]);
  assert.equal(mine[0]!.inventory?.osVersion, '14.4');
  assert.equal(mine[0]!.inventory?.buildVersion, '23E214');
});

test('a DDM status report reaches observers with its items by dotted name', async () => {
  const d = new TestDevice(srv.url, { ids: { UDID: 'OBS-3' } });
  await d.enroll();
  const report = {
    StatusItems: {
      device: { 'operating-system': { version: '17.5.1', 'build-version': '21F90' } },
      softwareupdate: { 'install-state': 'downloading', 'pending-version': { 'os-version': '17.6', 'build-version': '21G80' } },
    },
    Errors: [],
  };
  const r = await d.checkin('DeclarativeManagement', { Endpoint: 'status', Data: Buffer.from(JSON.stringify(report)) });
  assert.equal(r.status, 200, r.text);
  const seen = statuses.find((s) => s.enrollmentId === 'OBS-3')!;
  assert.equal(seen.deviceId, 'OBS-3');
  assert.deepEqual(Object.fromEntries(seen.items.map((i) => [i.name, i.value])), {
    'device.operating-system.version': '17.5.1',
    'device.operating-system.build-version': '21F90',
    'softwareupdate.install-state': 'downloading',
    'softwareupdate.pending-version': { 'os-version': '17.6', 'build-version': '21G80' },
  });
});
