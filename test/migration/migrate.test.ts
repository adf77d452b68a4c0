// Moving enrollments in from NanoMDM / MicroMDM without re-enrolling: the raw check-ins nano2nano and
// micro2nano (llorne) PUT to /migration (HTTP Basic nanomdm:KEY, no Content-Type), then the devices
// check in with the identities the old server's CA gave them (trusted with --ca) and answer commands.
// The first identity a migrated device presents is bound; another one is refused from then on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../../src/server.js';
import { buildPlist, type PlistDict } from '../../src/plist/index.js';
import { CHECKIN_CONTENT_TYPE, COMMAND_CONTENT_TYPE, commandOf, put } from '../helpers/device.js';
import { testDatabase } from '../helpers/store.js';
import { testConfig, TEST_API_KEY } from '../helpers/server.js';
import { basicAuth } from '../api/helpers.js';
import { TestPki, type Identity } from '../identity/pki.js';

const TOPIC = 'com.apple.mgmt.External.migrated-topic';
const MAC = 'MIGRATED-MAC-0001';
const PHONE = 'MIGRATED-PHONE-0002';
const USER = 'A1B2C3D4-0000-0000-0000-USER00000001';
const UNLOCK = Buffer.from('unlock-token-from-micromdm');

const pki = new TestPki();
let oldCa: Identity, macId: Identity, phoneId: Identity, otherId: Identity;
let running: RunningServer;
let removeDb: () => Promise<void>;

before(async () => {
  oldCa = pki.ca('Old MicroMDM CA');
  macId = pki.device(oldCa, MAC);
  phoneId = pki.device(oldCa, PHONE, 'rsa');
  otherId = pki.device(oldCa, 'another device of the old server');
  const db = await testDatabase();
  removeDb = db.remove;
  running = await startServer(testConfig({
    db: db.db, dataDir: db.dataDir, identityOptional: false, caFiles: [oldCa.certPath], pushTopic: TOPIC, inventoryIntervalSeconds: 0, ddmAuto: false,
  }));
});
after(async () => {
  await running?.close();
  await removeDb?.();
  pki.cleanup();
});

/** PUT /migration as the tools do: the raw plist, Basic nanomdm:KEY, no Content-Type. */
async function migrate(dict: PlistDict, key = TEST_API_KEY): Promise<{ status: number; text: string }> {
  const res = await fetch(`${running.url}/migration`, { method: 'PUT', headers: { authorization: basicAuth('nanomdm', key) }, body: new Uint8Array(Buffer.from(buildPlist(dict))) });
  return { status: res.status, text: await res.text() };
}

function signed(path: string, ct: string, dict: PlistDict, id: Identity) {
  const body = Buffer.from(buildPlist(dict));
  return put(running.url + path, body, ct, { 'Mdm-Signature': pki.signFast(id, body) });
}
const report = (ids: PlistDict, id: Identity, extra: PlistDict = {}) => signed('/mdm', COMMAND_CONTENT_TYPE, { Status: 'Idle', ...ids, ...extra }, id);

test('the check-ins nano2nano and micro2nano send are stored as enrollments, UnlockToken included', async () => {
  // micro2nano (llorne): a minimal Authenticate, then a TokenUpdate carrying the UnlockToken.
  assert.deepEqual(await migrate({ MessageType: 'Authenticate', UDID: MAC, Topic: TOPIC, SerialNumber: 'C02MIGRATED1', Model: 'Mac14,2', OSVersion: '14.6.1', BuildVersion: '23G93' }), { status: 200, text: '' });
  assert.equal((await migrate({ MessageType: 'TokenUpdate', UDID: MAC, Topic: TOPIC, PushMagic: 'magic-mac', Token: Buffer.from('aa01', 'hex'), UnlockToken: UNLOCK })).status, 200);
  // A user channel: NanoMDM keeps no user Authenticate, only the user's TokenUpdate.
  assert.equal((await migrate({ MessageType: 'TokenUpdate', UDID: MAC, UserID: USER, UserShortName: 'alice', UserLongName: 'Alice', Topic: TOPIC, PushMagic: 'magic-user', Token: Buffer.from('aa02', 'hex') })).status, 200);
  // nano2nano: the stored raw Authenticate and TokenUpdate, and SetBootstrapToken.
  assert.equal((await migrate({ MessageType: 'Authenticate', UDID: PHONE, Topic: TOPIC, SerialNumber: 'F2MIGRATED2', ProductName: 'iPhone15,2', OSVersion: '17.6', DeviceName: 'Phone' })).status, 200);
  assert.equal((await migrate({ MessageType: 'TokenUpdate', UDID: PHONE, Topic: TOPIC, PushMagic: 'magic-phone', Token: Buffer.from('bb01', 'hex') })).status, 200);
  assert.equal((await migrate({ MessageType: 'SetBootstrapToken', UDID: MAC, BootstrapToken: Buffer.from('bootstrap') })).status, 200);

  const mac = (await running.deps.store.getEnrollment(MAC))!;
  assert.equal(mac.enabled, true);
  assert.equal(mac.pushToken, 'aa01');
  assert.equal(mac.pushMagic, 'magic-mac');
  assert.deepEqual(mac.unlockToken, UNLOCK);
  assert.equal(mac.serialNumber, 'C02MIGRATED1');
  assert.equal(mac.certHash, null, 'no identity bound yet');
  assert.equal(await running.deps.store.bindPending(MAC), true);
  assert.equal((await running.deps.store.getEnrollment(`${MAC}:${USER}`))?.userShortName, 'alice');
  assert.deepEqual(await running.deps.store.getBootstrapToken(MAC), Buffer.from('bootstrap'));
});

test('refusals are 4xx with the reason: wrong role, bad plist, a message that is not a migration check-in, another topic', async () => {
  const op = await fetch(`${running.url}/v1/apikeys`, {
    method: 'POST', headers: { authorization: basicAuth('x', TEST_API_KEY), 'content-type': 'application/json' }, body: JSON.stringify({ role: 'operator' }),
  });
  const operatorKey = ((await op.json()) as { key: string }).key;
  assert.equal((await migrate({ MessageType: 'Authenticate', UDID: 'X', Topic: TOPIC }, operatorKey)).status, 403);
  assert.equal((await migrate({ MessageType: 'Authenticate', UDID: 'X', Topic: TOPIC }, 'wrong')).status, 401);
  const garbage = await fetch(`${running.url}/migration`, { method: 'PUT', headers: { authorization: basicAuth('nanomdm', TEST_API_KEY) }, body: 'not a plist' });
  assert.equal(garbage.status, 400);
  assert.ok((await garbage.text()).length > 0);
  const checkout = await migrate({ MessageType: 'CheckOut', UDID: MAC, Topic: TOPIC });
  assert.equal(checkout.status, 400);
  assert.match(checkout.text, /migration takes Authenticate, TokenUpdate and SetBootstrapToken/);
  const topic = await migrate({ MessageType: 'Authenticate', UDID: 'OTHER-TOPIC', Topic: 'com.apple.mgmt.External.someone-else' });
  assert.equal(topic.status, 403);
  assert.match(topic.text, /does not match the push topic/);
  assert.equal(await running.deps.store.getEnrollment('OTHER-TOPIC'), null);
});

test('migrated devices check in with their old identities, answer commands, and stay bound to them', async () => {
  const enqueue = async (id: string, requestType: string) => {
    const uuid = `CMD-${requestType}-${id}`;
    const raw = buildPlist({ CommandUUID: uuid, Command: { RequestType: requestType } });
    const res = await fetch(`${running.url}/v1/enqueue/${encodeURIComponent(id)}?nopush=1`, { method: 'PUT', headers: { authorization: basicAuth('nanomdm', TEST_API_KEY) }, body: raw });
    assert.equal(res.status, 200, await res.text());
    return uuid;
  };
  const macCmd = await enqueue(MAC, 'DeviceInformation');
  const phoneCmd = await enqueue(PHONE, 'SecurityInfo');

  // The Mac's first message is an Idle signed with the certificate MicroMDM's CA issued: bound now.
  const first = await report({ UDID: MAC }, macId);
  assert.equal(first.status, 200, first.text);
  assert.equal(commandOf(first)?.uuid, macCmd);
  assert.equal((await running.deps.store.getEnrollment(MAC))?.certHash, macId.hash);
  assert.equal(await running.deps.store.bindPending(MAC), false);
  const ack = await report({ UDID: MAC }, macId, { Status: 'Acknowledged', CommandUUID: macCmd, QueryResponses: { OSVersion: '14.6.1' } });
  assert.equal(ack.status, 200);
  // Its user channel shares the device's identity.
  assert.equal((await report({ UDID: MAC, UserID: USER }, macId)).status, 200);
  // Another valid identity of the old CA is refused for the Mac from now on (never 401).
  const stolen = await report({ UDID: MAC }, otherId);
  assert.equal(stolen.status, 400);
  assert.match(stolen.text, /certificate does not match enrollment/);

  // The phone's first message is a TokenUpdate (devices send one now and then): bound the same way.
  const tu = await signed('/mdm', CHECKIN_CONTENT_TYPE, { MessageType: 'TokenUpdate', UDID: PHONE, Topic: TOPIC, PushMagic: 'magic-phone', Token: Buffer.from('bb01', 'hex') }, phoneId);
  assert.equal(tu.status, 200, tu.text);
  assert.equal((await running.deps.store.getEnrollment(PHONE))?.certHash, phoneId.hash);
  const got = await report({ UDID: PHONE }, phoneId);
  assert.equal(commandOf(got)?.uuid, phoneCmd);
  assert.equal((await report({ UDID: PHONE }, phoneId, { Status: 'Acknowledged', CommandUUID: phoneCmd, SecurityInfo: {} })).status, 200);

  const results = await fetch(`${running.url}/v1/commands/${macCmd}/results`, { headers: { authorization: basicAuth('nanomdm', TEST_API_KEY) } });
  assert.match(await results.text(), /"status":"acknowledged"/i);
  const phone = await running.deps.store.getCommand(phoneCmd, PHONE);
  assert.equal(phone[0]?.status, 'acknowledged');

  // A device that was never migrated gets no such grace: with no binding it must enroll.
  const stranger = await report({ UDID: 'NEVER-MIGRATED' }, otherId);
  assert.equal(stranger.status, 400);
  assert.match(stranger.text, /no certificate is bound/);
});
