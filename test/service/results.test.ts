// The command cycle: NotNow keeps a command queued but skips it in the same session; Error and
// CommandFormatError finish it with the whole result stored.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { commandOf, queueCommand, TestDevice } from '../helpers/device.js';
import type { PlistDict } from '../../src/plist/index.js';

let srv: TestServer;
before(async () => { srv = await startTestServer(); });
after(() => srv.close());

async function enrolled(udid: string): Promise<TestDevice> {
  const d = new TestDevice(srv.url, { ids: { UDID: udid } });
  await d.enroll();
  return d;
}

test('NotNow: the command stays queued, the next queued one is handed out instead, and the tally counts', async () => {
  const d = await enrolled('NN-1');
  const first = await queueCommand(srv.store, ['NN-1'], 'InstallProfile', { Payload: Buffer.from('x') });
  const second = await queueCommand(srv.store, ['NN-1'], 'ProfileList');

  assert.equal(commandOf(await d.idle())?.uuid, first);
  const afterNotNow = await d.result('NotNow', first);
  assert.equal(commandOf(afterNotNow)?.uuid, second, 'not the NotNow\'d command again in this session');
  assert.equal((await d.result('NotNow', second)).body.length, 0, 'only NotNow\'d commands left: end the session');

  const [q1] = await srv.store.getCommand(first, 'NN-1');
  assert.equal(q1?.status, 'queued');
  assert.equal(q1?.notNowTally, 1);
  assert.ok(q1?.notNowAt instanceof Date);

  // The device polls again later by itself: the command is resent and can then succeed.
  assert.equal(commandOf(await d.idle())?.uuid, first);
  assert.equal(commandOf(await d.result('NotNow', first))?.uuid, undefined);
  assert.equal((await srv.store.getCommand(first, 'NN-1'))[0]?.notNowTally, 2);
  assert.equal(commandOf(await d.idle())?.uuid, first);
  assert.equal(commandOf(await d.result('Acknowledged', first))?.uuid, second);
  assert.equal((await srv.store.getCommand(first, 'NN-1'))[0]?.status, 'acknowledged');
});

test('Error: the whole ErrorChain is stored, USEnglishDescription included, and the queue moves on', async () => {
  const d = await enrolled('ERR-1');
  const uuid = await queueCommand(srv.store, ['ERR-1'], 'ScheduleOSUpdate', { Updates: [{ ProductKey: 'MSU_UPDATE_23G93_patch_14.6.1', InstallAction: 'InstallASAP' }] });
  const chain: PlistDict[] = [
    { ErrorCode: 74, ErrorDomain: 'MDMClientError', LocalizedDescription: 'Not allowed', USEnglishDescription: 'Not allowed' },
    { ErrorCode: 12021, ErrorDomain: 'MCMDMErrorDomain', LocalizedDescription: 'Second <inner>' },
  ];
  assert.equal(commandOf(await d.idle())?.uuid, uuid);
  const r = await d.result('Error', uuid, { ErrorChain: chain, RequestType: 'ScheduleOSUpdate' });
  assert.deepEqual([r.status, r.body.length], [200, 0]);
  const [c] = await srv.store.getCommand(uuid, 'ERR-1');
  assert.equal(c?.status, 'error');
  assert.deepEqual((c?.resultJson as { ErrorChain: unknown }).ErrorChain, chain);
  assert.match(c?.resultRaw?.toString() ?? '', /Second &lt;inner&gt;/);
  const ev = await srv.store.listEvents({ enrollmentId: 'ERR-1', kindPrefix: 'command.' });
  assert.deepEqual(ev.map((e) => e.kind), ['command.Error']);
});

test('CommandFormatError finishes the command as a format error', async () => {
  const d = await enrolled('CFE-1');
  const uuid = await queueCommand(srv.store, ['CFE-1'], 'NoSuchCommand');
  await d.idle();
  assert.equal((await d.result('CommandFormatError', uuid)).status, 200);
  assert.equal((await srv.store.getCommand(uuid, 'CFE-1'))[0]?.status, 'format_error');
  assert.equal((await d.idle()).body.length, 0);
});

test('CommandUUID is matched case-insensitively; a result for an unknown command is kept as an event', async () => {
  const d = await enrolled('CASE-1');
  const uuid = await queueCommand(srv.store, ['CASE-1'], 'ProfileList', {}, { uuid: 'abcdef01-2345-4678-9abc-def012345678' });
  await d.idle();
  await d.result('Acknowledged', uuid.toUpperCase());
  assert.equal((await srv.store.getCommand(uuid, 'CASE-1'))[0]?.status, 'acknowledged');
  const stray = await d.result('Acknowledged', '00000000-0000-4000-8000-000000000000');
  assert.deepEqual([stray.status, stray.body.length], [200, 0]);
  const ev = await srv.store.listEvents({ enrollmentId: 'CASE-1', kindPrefix: 'command.' });
  const details = ev.map((e) => (e.detail as { matched: boolean }).matched).sort();
  assert.deepEqual(details, [false, true]);
});

test('priority first, then FIFO', async () => {
  const d = await enrolled('PRIO-1');
  const low = await queueCommand(srv.store, ['PRIO-1'], 'ProfileList');
  const high = await queueCommand(srv.store, ['PRIO-1'], 'DeviceInformation', { Queries: ['OSVersion'] }, { priority: 10 });
  assert.equal(commandOf(await d.idle())?.uuid, high);
  assert.equal(commandOf(await d.result('Acknowledged', high))?.uuid, low);
});

test('NotNow: a NotNow\'d command is not handed back later in the same session, only after the next Idle', async () => {
  const d = await enrolled('NN-2');
  const a = await queueCommand(srv.store, ['NN-2'], 'InstallProfile', { Payload: Buffer.from('x') });
  const b = await queueCommand(srv.store, ['NN-2'], 'ProfileList');
  assert.equal(commandOf(await d.idle())?.uuid, a);
  assert.equal(commandOf(await d.result('NotNow', a))?.uuid, b);
  const end = await d.result('Acknowledged', b);
  assert.deepEqual([end.status, end.body.length], [200, 0], 'the session ends instead of resending the NotNow\'d command');
  assert.equal(commandOf(await d.idle())?.uuid, a, 'a new session (Idle) gets it again');
  assert.equal((await d.result('Acknowledged', a)).body.length, 0);
  assert.equal((await srv.store.getCommand(a, 'NN-2'))[0]?.status, 'acknowledged');
});
