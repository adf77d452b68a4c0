// One push per device request (service/wake.ts), on the whole server with a push certificate and the
// fake APNs: a first TokenUpdate whose follow-ups queue inventory queries, the DDM command and (for an
// ADE device) the Await Configuration commands wakes the device once, with one push event; a command
// result whose observer (a campaign's next step) queues for the same device is answered with that
// command and pushes nothing; a command queued over the API still pushes, with the same answer shape.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { saveAdeSettings } from '../../src/dep/ade-settings.js';
import { buildPlist } from '../../src/plist/index.js';
import { TEST_API_KEY } from '../helpers/server.js';
import { commandOf, TestDevice } from '../helpers/device.js';
import { startHarness, type Harness } from '../sim/harness.js';

const TOPIC = 'com.apple.mgmt.External.5e3c1a2b-5a11-4c8e-8a63-dd17d3dd35d9';
let h: Harness;

before(async () => {
  // Unsigned test devices; campaigns poll slowly (no re-push of an unanswered step) but start at once.
  h = await startHarness({ config: { identityOptional: true, campaignPollSeconds: 600 }, campaignTickMs: 100 });
});
after(async () => {
  await h?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A macOS device with its own push token. */
function newDevice(osVersion: string) {
  const udid = `WAKE-${randomUUID().toUpperCase()}`;
  const token = randomBytes(32);
  const d = new TestDevice(h.url, { ids: { UDID: udid }, topic: TOPIC });
  return {
    udid, token: token.toString('hex'), d,
    authenticate: () => d.authenticate({ OSVersion: osVersion, BuildVersion: '22G120', Model: 'Mac14,2', ProductName: 'Mac14,2', SerialNumber: `C02${udid.slice(5, 14)}` }),
    tokenUpdate: (extra = {}) => d.tokenUpdate({ Token: token, PushMagic: `magic-${udid}`, ...extra }),
  };
}

const pushEvents = async (id: string) => (await h.store.listEvents({ enrollmentId: id, kindPrefix: 'push.' })).length;

/** Every queued request type, answering each command until the queue is empty. */
async function drain(d: TestDevice): Promise<string[]> {
  const seen: string[] = [];
  let c = commandOf(await d.idle());
  while (c) {
    seen.push(c.requestType);
    assert.ok(seen.length < 20, `too many commands: ${seen.join(', ')}`);
    c = commandOf(await d.result('Acknowledged', c.uuid));
  }
  return seen;
}

test('a first TokenUpdate that queues inventory queries and DDM pushes the device once, with one push event', async () => {
  const dev = newDevice('15.6');
  assert.equal((await dev.authenticate()).status, 200);
  assert.equal((await dev.tokenUpdate()).status, 200);
  assert.equal(h.fake.pushes({ token: dev.token }).length, 1, 'one push');
  assert.equal(await pushEvents(dev.udid), 1, 'one push event');
  assert.deepEqual((await drain(dev.d)).sort(), ['DeclarativeManagement', 'DeviceInformation', 'SecurityInfo']);
  // A later TokenUpdate (a token refresh) queues nothing and pushes nothing.
  assert.equal((await dev.tokenUpdate()).status, 200);
  assert.equal(h.fake.pushes({ token: dev.token }).length, 1);
});

test('an ADE device\'s first TokenUpdate (Await Configuration commands too) pushes it once', async () => {
  const dev = newDevice('15.6');
  await saveAdeSettings(h.store, null, { initial_commands: [{ request_type: 'ProfileList' }] });
  await h.store.recordAdeServed({
    udid: dev.udid, serial: `C02${dev.udid.slice(5, 14)}`, depName: null, profileUuid: null, product: 'Mac14,2', platform: 'macOS',
    osVersion: '15.6', buildVersion: '24G84', language: 'en', machineInfo: {}, supervised: true, removable: false, awaitConfiguration: true, at: new Date(),
  });
  assert.equal((await dev.authenticate()).status, 200);
  assert.equal((await dev.tokenUpdate({ AwaitingConfiguration: true })).status, 200);
  assert.equal(h.fake.pushes({ token: dev.token }).length, 1, 'one push');
  assert.equal(await pushEvents(dev.udid), 1, 'one push event');
  assert.deepEqual((await drain(dev.d)).sort(), ['DeclarativeManagement', 'DeviceConfigured', 'DeviceInformation', 'ProfileList', 'SecurityInfo']);
  await saveAdeSettings(h.store, null, {});
});

test('a result whose observer queues the next command for the same device: no push, the answer carries it', async () => {
  // macOS 13 takes the legacy path: the campaign's timer sends ScheduleOSUpdateScan (and pushes, as
  // today); the scan's result makes the engine queue AvailableOSUpdates while the device waits.
  const dev = newDevice('13.5');
  await dev.authenticate();
  await dev.tokenUpdate();
  await drain(dev.d);
  const created = await h.api('POST', '/v1/campaigns', { name: `wake-${dev.udid}`, select: { enrollment_ids: [dev.udid] }, target: { version: '13.6' } });
  assert.equal(created.status, 201, await created.clone().text());
  for (let i = 0; h.fake.pushes({ token: dev.token }).length < 2; i++) {
    assert.ok(i < 100, 'the campaign\'s timer pushes its first step');
    await sleep(50);
  }
  const pushes = h.fake.pushes({ token: dev.token }).length;
  const events = await pushEvents(dev.udid);
  const scan = commandOf(await dev.d.idle());
  assert.equal(scan?.requestType, 'ScheduleOSUpdateScan');
  const answer = await dev.d.result('Acknowledged', scan.uuid);
  assert.equal(commandOf(answer)?.requestType, 'AvailableOSUpdates', 'the answer carries the engine\'s next command');
  await sleep(100);
  assert.equal(h.fake.pushes({ token: dev.token }).length, pushes, 'no push');
  assert.equal(await pushEvents(dev.udid), events, 'no push event');
  const queue = await h.store.listQueue(dev.udid);
  assert.equal(queue.find((q) => q.requestType === 'AvailableOSUpdates')?.sentAt !== null, true, 'handed out: the re-push worker leaves it');
});

test('a command queued over the API still pushes, with the same answer shapes', async () => {
  const dev = newDevice('15.6');
  await dev.authenticate();
  await dev.tokenUpdate();
  await drain(dev.d);
  const before = h.fake.pushes({ token: dev.token }).length;
  const uuid = randomUUID().toUpperCase();
  const raw = buildPlist({ CommandUUID: uuid, Command: { RequestType: 'ProfileList' } });
  const nano = await fetch(`${h.url}/v1/enqueue/${dev.udid}`, { method: 'PUT', headers: { authorization: `Bearer ${TEST_API_KEY}` }, body: raw });
  assert.equal(nano.status, 200);
  const body = (await nano.json()) as { status: Record<string, { push_result: string }>; command_uuid: string; request_type: string };
  assert.deepEqual(Object.keys(body).sort(), ['command_uuid', 'request_type', 'status']);
  assert.deepEqual({ ...body, status: Object.keys(body.status) }, { command_uuid: uuid, request_type: 'ProfileList', status: [dev.udid] });
  assert.match(body.status[dev.udid]!.push_result, /^[0-9A-F-]{36}$/i, 'the APNs id');
  const pushed = await fetch(`${h.url}/v1/push/${dev.udid}`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
  assert.equal(pushed.status, 200);
  assert.deepEqual(Object.keys(((await pushed.json()) as { status: Record<string, unknown> }).status), [dev.udid]);
  assert.equal(h.fake.pushes({ token: dev.token }).length, before + 2);
  assert.equal(await pushEvents(dev.udid), 3);
});
