// The command queue contract, on the backend named by UPDRAFT_TEST_DB.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../src/storage/types.js';
import { openTestStore, testDbLabel } from '../helpers/store.js';
import { fixture } from '../helpers/fixtures.js';
import { T0, ack, at, commandPlist, enqueueOne, enrollDevice, newId, nextCommand, recordResult } from './setup.js';

describe(`command queue (${testDbLabel})`, () => {
  let store: Store;
  before(async () => {
    store = await openTestStore();
  });
  after(() => store.close());

  const next = (id: string, when = at(5), skipNotNow = false) => nextCommand(store, id, { skipNotNow, at: when });

  test('hands out by priority, then in enqueue order even with equal timestamps', async () => {
    const id = await enrollDevice(store);
    const a = await enqueueOne(store, [id]);
    const b = await enqueueOne(store, [id]);
    const urgent = await enqueueOne(store, [id], { priority: 10 });
    const c = await enqueueOne(store, [id]);
    const order: string[] = [];
    for (let cmd = await next(id); cmd; cmd = await next(id)) {
      order.push(cmd.uuid);
      assert.equal(await recordResult(store, ack(id, cmd.uuid)), true);
    }
    assert.deepEqual(order, [urgent.uuid, a.uuid, b.uuid, c.uuid]);
  });

  test('a handed-out command stays queued (resent on the next poll) and gets sentAt', async () => {
    const id = await enrollDevice(store);
    const { uuid } = await enqueueOne(store, [id]);
    const first = await next(id, at(5));
    assert.equal(first?.uuid, uuid);
    assert.equal(first?.requestType, 'DeviceInformation');
    assert.deepEqual(first?.raw, commandPlist);
    assert.equal((await next(id, at(6)))?.uuid, uuid);
    const [entry] = await store.listQueue(id);
    assert.equal(entry?.status, 'queued');
    assert.deepEqual(entry?.sentAt, at(6));
  });

  test('NotNow keeps the command queued, counts, records the first time, and can be skipped', async () => {
    const id = await enrollDevice(store);
    const first = await enqueueOne(store, [id]);
    const second = await enqueueOne(store, [id]);
    const notNow = (when: Date) => ({ ...ack(id, first.uuid, when), status: 'NotNow' as const });
    assert.equal((await next(id))?.uuid, first.uuid);
    assert.equal(await recordResult(store, notNow(at(10))), true);
    // Same session: the NotNow'd command is passed over.
    assert.equal((await next(id, at(11), true))?.uuid, second.uuid);
    assert.equal(await recordResult(store, notNow(at(20))), true);
    const [detail] = await store.getCommand(first.uuid, id);
    assert.equal(detail?.status, 'queued');
    assert.equal(detail?.notNowTally, 2);
    assert.deepEqual(detail?.notNowAt, at(10));
    // A later Idle poll gets it again.
    assert.equal((await next(id, at(30), false))?.uuid, first.uuid);
    await recordResult(store, ack(id, second.uuid));
    assert.equal(await next(id, at(31), true), null);
  });

  test('expired commands are marked expired and never handed out', async () => {
    const id = await enrollDevice(store);
    const stale = await enqueueOne(store, [id], { priority: 5, expiresAt: at(60) });
    const fresh = await enqueueOne(store, [id], { expiresAt: at(600) });
    assert.equal((await next(id, at(59)))?.uuid, stale.uuid);
    assert.equal((await next(id, at(60)))?.uuid, fresh.uuid);
    const [detail] = await store.getCommand(stale.uuid, id);
    assert.equal(detail?.status, 'expired');
    assert.equal(await recordResult(store, ack(id, stale.uuid, at(61))), false);
  });

  test('results match the CommandUUID case-insensitively and keep the uuid as given', async () => {
    const id = await enrollDevice(store);
    const uuid = 'aBcD1234-0000-4000-8000-00000000000F';
    await enqueueOne(store, [id], { uuid });
    assert.equal((await next(id))?.uuid, uuid);
    assert.equal(await recordResult(store, ack(id, uuid.toLowerCase())), true);
    const [detail] = await store.getCommand(uuid.toUpperCase());
    assert.equal(detail?.uuid, uuid);
    assert.equal(detail?.status, 'acknowledged');
  });

  test('a result for a finished or unknown command returns false and changes nothing', async () => {
    const id = await enrollDevice(store);
    const { uuid } = await enqueueOne(store, [id]);
    assert.equal(await recordResult(store, ack(id, uuid, at(10))), true);
    const error = { ...ack(id, uuid, at(20)), status: 'Error' as const, raw: Buffer.from('late'), json: { late: true } };
    assert.equal(await recordResult(store, error), false);
    assert.equal(await recordResult(store, { ...error, uuid: 'no-such-command' }), false);
    assert.equal(await recordResult(store, ack(newId(), uuid)), false);
    const [detail] = await store.getCommand(uuid, id);
    assert.equal(detail?.status, 'acknowledged');
    assert.deepEqual(detail?.resultAt, at(10));
    assert.deepEqual(detail?.resultJson, { Status: 'Acknowledged', CommandUUID: uuid });
  });

  test('Error and CommandFormatError finish the command with the result stored', async () => {
    const id = await enrollDevice(store);
    const e = await enqueueOne(store, [id]);
    const f = await enqueueOne(store, [id]);
    const chain = { ErrorChain: [{ ErrorCode: 12021, ErrorDomain: 'MCMDMErrorDomain' }] };
    await recordResult(store, { ...ack(id, e.uuid), status: 'Error', json: chain });
    await recordResult(store, { ...ack(id, f.uuid), status: 'CommandFormatError', json: {} });
    const statuses = (await store.listQueue(id, { includeDone: true })).map((q) => [q.uuid, q.status]);
    assert.deepEqual(statuses, [
      [f.uuid, 'format_error'],
      [e.uuid, 'error'],
    ]);
    assert.deepEqual((await store.getCommand(e.uuid))[0]?.resultJson, chain);
    assert.equal(await next(id), null);
  });

  test('bytes round-trip exactly: command plist, result plist, unlock token', async () => {
    const id = await enrollDevice(store);
    const binary = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0x00, 0x7f, 0x0a, 0x0d]);
    const { uuid } = await enqueueOne(store, [id]);
    await store.enqueue({ uuid: 'BIN-' + uuid, requestType: 'X', raw: binary, at: T0 }, [id]);
    const result = fixture('mdmb/conversation-nanomdm/08-PUT-mdm-Acknowledged-DeviceInformation.body.plist');
    await recordResult(store, { ...ack(id, uuid), raw: result });
    const [detail] = await store.getCommand(uuid, id);
    assert.ok(detail?.raw.equals(commandPlist));
    assert.ok(detail?.resultRaw?.equals(result));
    const [bin] = await store.getCommand('BIN-' + uuid, id);
    assert.ok(bin?.raw.equals(binary));
  });

  test('one command for many enrollments: stored once, an unknown id fails alone', async () => {
    const a = await enrollDevice(store);
    const b = await enrollDevice(store);
    const ghost = newId('GHOST');
    const { uuid, outcomes } = await enqueueOne(store, [a, ghost, b]);
    assert.deepEqual(outcomes, [
      { id: a, ok: true },
      { id: ghost, ok: false, error: 'unknown enrollment' },
      { id: b, ok: true },
    ]);
    const rows = await store.getCommand(uuid);
    assert.deepEqual(rows.map((r) => r.enrollmentId).sort(), [a, b].sort());
    await recordResult(store, ack(a, uuid));
    assert.equal((await next(b))?.uuid, uuid, 'a result from one device leaves the others queued');
    const all = await enqueueOne(store, [ghost]);
    assert.deepEqual(all.outcomes, [{ id: ghost, ok: false, error: 'unknown enrollment' }]);
    assert.deepEqual(await store.getCommand(all.uuid), []);
  });

  test('id lists beyond the bind-parameter limits: enqueue, pushTargets and listEnrollments', async () => {
    const id = await enrollDevice(store);
    const many = Array.from({ length: 40_000 }, (_, i) => `UNKNOWN-${i}`);
    const { uuid, outcomes } = await enqueueOne(store, [...many, id]);
    assert.equal(outcomes.length, 40_001);
    assert.deepEqual(outcomes.filter((o) => o.ok).map((o) => o.id), [id]);
    assert.deepEqual((await store.getCommand(uuid)).map((r) => r.enrollmentId), [id]);
    assert.deepEqual((await store.pushTargets([...many, id])).map((t) => t.id), [id]);
    assert.deepEqual((await store.listEnrollments({ ids: [id, ...many] })).map((e) => e.id), [id]);
  });

  test('reusing a command UUID (any case) is refused and leaves the first command intact', async () => {
    const id = await enrollDevice(store);
    const { uuid } = await enqueueOne(store, [id]);
    const again = await store.enqueue({ uuid: uuid.toLowerCase(), requestType: 'RestartDevice', raw: Buffer.from('x'), at: T0 }, [id]);
    assert.equal(again[0]?.ok, false);
    assert.match(again[0]?.error ?? '', /already exists/);
    const rows = await store.getCommand(uuid);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.requestType, 'DeviceInformation');
  });

  test('Authenticate clears the queue of the device and its user channels, keeping finished results', async () => {
    const id = await enrollDevice(store);
    const user = `${id}:USER-1`;
    await store.tokenUpdate({ id: user, type: 'User', deviceId: id, udid: id, userId: 'USER-1', topic: 't', pushToken: 'bb', pushMagic: 'm', at: T0 });
    const done = await enqueueOne(store, [id]);
    await recordResult(store, ack(id, done.uuid));
    const pending = await enqueueOne(store, [id, user]);
    await store.authenticate({ id, type: 'Device', deviceId: id, udid: id, topic: 't', inventory: {}, at: at(100) });
    assert.equal(await next(id, at(101)), null);
    assert.equal(await next(user, at(101)), null);
    assert.deepEqual((await store.getCommand(pending.uuid)).map((r) => r.status), ['cancelled', 'cancelled']);
    assert.equal((await store.getCommand(done.uuid))[0]?.status, 'acknowledged');
  });

  test('each channel has its own queue', async () => {
    const id = await enrollDevice(store);
    const user = `${id}:USER-2`;
    await store.tokenUpdate({ id: user, type: 'User', deviceId: id, udid: id, userId: 'USER-2', topic: 't', pushToken: 'bb', pushMagic: 'm', at: T0 });
    const forUser = await enqueueOne(store, [user]);
    assert.equal(await next(id), null);
    assert.equal((await next(user))?.uuid, forUser.uuid);
  });

  test('cancel one command, clear a queue, list what is pending', async () => {
    const id = await enrollDevice(store);
    const a = await enqueueOne(store, [id]);
    const b = await enqueueOne(store, [id], { priority: 1 });
    const c = await enqueueOne(store, [id]);
    assert.deepEqual((await store.listQueue(id)).map((q) => q.uuid), [b.uuid, a.uuid, c.uuid]);
    assert.equal(await store.cancelCommand(id, a.uuid.toLowerCase(), at(1)), true);
    assert.equal(await store.cancelCommand(id, a.uuid, at(2)), false);
    assert.equal(await store.clearQueue(id, at(3)), 2);
    assert.deepEqual(await store.listQueue(id), []);
    assert.equal((await store.listQueue(id, { includeDone: true, limit: 2 })).length, 2);
    assert.equal(await next(id), null);
  });

  test('pendingEnrollments lists enabled enrollments with commands not handed out recently', async () => {
    const fresh = await enrollDevice(store);
    const sent = await enrollDevice(store);
    const disabled = await enrollDevice(store);
    await enqueueOne(store, [fresh, sent, disabled]);
    await next(sent, at(100));
    await store.checkOut(disabled, at(1));
    const pending = await store.pendingEnrollments(at(50), 1000);
    assert.ok(pending.includes(fresh));
    assert.ok(!pending.includes(sent), 'handed out after the cutoff');
    assert.ok(!pending.includes(disabled));
    assert.ok((await store.pendingEnrollments(at(200), 1000)).includes(sent));
    // A command queued after the cutoff is not pending yet: its enqueue's own push wakes the device.
    const late = await enrollDevice(store);
    await enqueueOne(store, [late], { when: at(300) });
    assert.ok(!(await store.pendingEnrollments(at(200), 1000)).includes(late), 'queued after the cutoff');
    assert.ok((await store.pendingEnrollments(at(400), 1000)).includes(late));
    const [first] = await store.pendingEnrollments(at(200), 1);
    const rest = await store.pendingEnrollments(at(200), 1000, first);
    assert.ok(first !== undefined && !rest.includes(first), 'the cursor pages past ids already seen');
    assert.deepEqual([first, ...rest], await store.pendingEnrollments(at(200), 1000));
  });
});
