// Check-in semantics over HTTP: re-enrollment, topic check, CheckOut, bootstrap token, GetToken, DDM.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { commandOf, queueCommand, TestDevice } from '../helpers/device.js';

const TOPIC = 'com.apple.mgmt.External.checkin-test';
let srv: TestServer;
before(async () => { srv = await startTestServer({ config: { pushTopic: TOPIC } }); });
after(() => srv.close());

const device = (udid: string, topic = TOPIC) => new TestDevice(srv.url, { ids: { UDID: udid }, topic });

test('Authenticate clears the queue and disables the enrollment until its TokenUpdate', async () => {
  const d = device('REAUTH-1');
  await d.enroll();
  const old = await queueCommand(srv.store, ['REAUTH-1'], 'ProfileList');
  assert.equal((await d.authenticate()).status, 200);
  let e = await srv.store.getEnrollment('REAUTH-1');
  assert.equal(e?.enabled, false);
  assert.equal((await srv.store.getCommand(old, 'REAUTH-1'))[0]?.status, 'cancelled');
  assert.equal((await d.idle()).body.length, 0, 'nothing from before the re-enrollment is sent');
  await d.tokenUpdate();
  e = await srv.store.getEnrollment('REAUTH-1');
  assert.deepEqual([e?.enabled, e?.tokenUpdateTally], [true, 1]);
  const fresh = await queueCommand(srv.store, ['REAUTH-1'], 'ProfileList');
  assert.equal(commandOf(await d.idle())?.uuid, fresh);
});

test('a Topic other than the push topic is refused (403, not 401) and nothing is stored', async () => {
  const d = device('TOPIC-1', 'com.apple.mgmt.External.someone-else');
  const r = await d.authenticate();
  assert.equal(r.status, 403);
  assert.match(r.text, /does not match the push topic/);
  assert.equal(await srv.store.getEnrollment('TOPIC-1'), null);
  const tu = await d.tokenUpdate();
  assert.equal(tu.status, 403);
  assert.equal(await srv.store.getEnrollment('TOPIC-1'), null);
});

test('the push topic can change at run time (a function): check-ins follow the current one', async () => {
  let current: string | null = null;
  const dyn = await startTestServer({ core: { pushTopic: () => current } });
  try {
    const d = new TestDevice(dyn.url, { ids: { UDID: 'DYN-1' }, topic: 'com.apple.mgmt.External.a' });
    assert.equal((await d.authenticate()).status, 200, 'no push certificate yet: not checked');
    current = 'com.apple.mgmt.External.b';
    assert.equal((await d.tokenUpdate()).status, 403);
    current = 'com.apple.mgmt.External.a';
    assert.equal((await d.tokenUpdate()).status, 200);
  } finally {
    await dyn.close();
  }
});

test('CheckOut disables the enrollment', async () => {
  const d = device('OUT-1');
  await d.enroll();
  assert.equal((await d.checkin('CheckOut', { Topic: TOPIC })).status, 200);
  assert.equal((await srv.store.getEnrollment('OUT-1'))?.enabled, false);
  assert.equal((await srv.store.listEvents({ enrollmentId: 'OUT-1', kindPrefix: 'checkin.CheckOut' })).length, 1);
});

test('TokenUpdate keeps the UnlockToken and AwaitingConfiguration', async () => {
  const d = device('TOK-1');
  await d.authenticate();
  await d.tokenUpdate({ UnlockToken: Buffer.from('unlock-me'), AwaitingConfiguration: true });
  const e = await srv.store.getEnrollment('TOK-1');
  assert.equal(e?.unlockToken?.toString(), 'unlock-me');
  assert.equal(e?.awaitingConfiguration, true);
  assert.equal(e?.pushToken, '00ff10ab');
});

test('bootstrap token: escrow, fetch, delete; none escrowed answers an empty body', async () => {
  const d = device('BOOT-1');
  await d.enroll();
  const none = await d.checkin('GetBootstrapToken');
  assert.deepEqual([none.status, none.body.length], [200, 0]);
  assert.equal((await d.checkin('SetBootstrapToken', { BootstrapToken: Buffer.from('bootstrap-secret') })).status, 200);
  const got = await d.checkin('GetBootstrapToken');
  assert.equal(got.status, 200);
  assert.match(got.contentType ?? '', /xml/);
  assert.deepEqual(got.plist, { BootstrapToken: Buffer.from('bootstrap-secret') });
  await d.checkin('SetBootstrapToken', {});
  assert.equal((await d.checkin('GetBootstrapToken')).body.length, 0);
});

test('GetToken and DeclarativeManagement without a handler: a clear 400', async () => {
  const d = device('TOKSVC-1');
  await d.enroll();
  const gt = await d.checkin('GetToken', { TokenServiceType: 'com.apple.maid' });
  assert.equal(gt.status, 400);
  assert.match(gt.text, /GetToken: no token service for "com.apple.maid"/);
  const dm = await d.checkin('DeclarativeManagement', { Endpoint: 'tokens' });
  assert.equal(dm.status, 400);
  assert.match(dm.text, /DeclarativeManagement is not supported yet/);
});

test('DeclarativeManagement goes to the pluggable handler, which answers JSON', async () => {
  const seen: string[] = [];
  const ddm = await startTestServer({
    core: {
      declarative: async (msg) => {
        seen.push(`${msg.enrollment.id} ${msg.endpoint} ${msg.data?.toString() ?? ''}`);
        return { body: '{"SyncTokens":{"DeclarationsToken":"t1"}}', contentType: 'application/json' };
      },
    },
  });
  try {
    const d = new TestDevice(ddm.url, { ids: { UDID: 'DDM-1' } });
    await d.enroll();
    const r = await d.checkin('DeclarativeManagement', { Endpoint: 'tokens', Data: Buffer.from('{"x":1}') });
    assert.equal(r.status, 200);
    assert.match(r.contentType ?? '', /application\/json/);
    assert.deepEqual(JSON.parse(r.text), { SyncTokens: { DeclarationsToken: 't1' } });
    assert.deepEqual(seen, ['DDM-1 tokens {"x":1}']);
    const ev = await ddm.store.listEvents({ enrollmentId: 'DDM-1', kindPrefix: 'checkin.DeclarativeManagement' });
    const details = ev.map((e) => e.detail as { raw_plist: string });
    assert.deepEqual(details.map(({ raw_plist: _, ...d }) => d), [{ endpoint: 'tokens' }]);
    assert.match(details[0]!.raw_plist, /<key>Data<\/key>\s*<data>\s*eyJ4IjoxfQ==\s*<\/data>/, 'the check-in plist is kept beside it');
  } finally {
    await ddm.close();
  }
});
