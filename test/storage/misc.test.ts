// Events, push certificate and log, SCEP challenges, settings, and history pruning.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../src/storage/types.js';
import { openTestStore, openTestStores, testDbLabel } from '../helpers/store.js';
import { T0, ack, at, enqueueOne, enrollDevice, newId, recordResult } from './setup.js';

describe(`events, push, challenges, settings (${testDbLabel})`, () => {
  let store: Store;
  before(async () => {
    store = await openTestStore();
  });
  after(() => store.close());

  test('events: newest first, by enrollment and kind prefix, detail round-trips as JSON', async () => {
    const id = newId();
    await store.addEvent({ enrollmentId: id, kind: 'checkin.Authenticate', detail: { topic: 't', n: [1, 2] }, at: at(1) });
    await store.addEvent({ enrollmentId: id, kind: 'command.Acknowledged', at: at(2) });
    await store.addEvent({ enrollmentId: null, kind: 'checkin_other', at: at(3) });
    const mine = await store.listEvents({ enrollmentId: id });
    assert.deepEqual(mine.map((e) => e.kind), ['command.Acknowledged', 'checkin.Authenticate']);
    assert.deepEqual(mine[1]?.detail, { topic: 't', n: [1, 2] });
    assert.deepEqual(mine[1]?.at, at(1));
    assert.equal(mine[0]?.detail, undefined);
    // "_" in a prefix is literal, not a LIKE wildcard.
    assert.deepEqual((await store.listEvents({ kindPrefix: 'checkin.' })).map((e) => e.kind), ['checkin.Authenticate']);
    assert.deepEqual((await store.listEvents({ kindPrefix: 'checkin_' })).map((e) => e.kind), ['checkin_other']);
    assert.equal((await store.listEvents({ limit: 1 })).length, 1);
  });

  test('push certificate: saved, replaced on the same topic, latest returned', async () => {
    assert.equal(await store.getPushCert(), null);
    const cert = { topic: 'com.apple.mgmt.External.1', certPem: 'CERT1', keyPem: 'KEY1', notAfter: new Date('2027-01-01T00:00:00Z') };
    await store.savePushCert(cert, at(1));
    await store.savePushCert({ ...cert, certPem: 'CERT2' }, at(2));
    assert.deepEqual(await store.getPushCert(), { ...cert, certPem: 'CERT2', updatedAt: at(2) });
  });

  test('push log and targets', async () => {
    const id = await enrollDevice(store);
    const never = newId();
    await store.recordPush({ enrollmentId: id, outcome: 'sent', httpStatus: 200, apnsId: 'A-1', at: at(1) });
    await store.recordPush({ enrollmentId: id, outcome: 'BadDeviceToken', httpStatus: 400, apnsId: null, at: at(2) });
    const log = await store.listPushes(id);
    assert.deepEqual(log.map((p) => [p.outcome, p.httpStatus, p.apnsId]), [['BadDeviceToken', 400, null], ['sent', 200, 'A-1']]);
    assert.equal((await store.listPushes(id, 1)).length, 1);
    const targets = await store.pushTargets([id, never, id]);
    assert.deepEqual(targets.map((t) => t.id), [id]);
    assert.equal(targets[0]?.pushMagic, 'magic-' + id);
  });

  test('a SCEP challenge is consumed once, and never after it expires', async () => {
    await store.addChallenge('h1', at(60));
    await store.addChallenge('h2', at(60));
    assert.equal(await store.consumeChallenge('h1', at(10)), true);
    assert.equal(await store.consumeChallenge('h1', at(11)), false);
    assert.equal(await store.consumeChallenge('h2', at(60)), false);
    assert.equal(await store.consumeChallenge('unknown', at(1)), false);
  });

  test('settings: absent, set, overwritten', async () => {
    assert.equal(await store.getSetting('ca.serial'), null);
    await store.setSetting('ca.serial', '1');
    await store.setSetting('ca.serial', '2');
    assert.equal(await store.getSetting('ca.serial'), '2');
  });
});

test(`a challenge raced by two processes is consumed exactly once (${testDbLabel})`, async () => {
  const [a, b] = (await openTestStores(2)) as [Store, Store];
  try {
    for (let i = 0; i < 20; i++) await a.addChallenge(`race-${i}`, at(600));
    const wins = await Promise.all(
      Array.from({ length: 20 }, (_, i) => [a.consumeChallenge(`race-${i}`, at(1)), b.consumeChallenge(`race-${i}`, at(1))]).flat(),
    );
    assert.equal(wins.filter(Boolean).length, 20);
  } finally {
    await a.close();
    await b.close();
  }
});

test(`pruneHistory deletes only finished history older than the cutoff (${testDbLabel})`, async () => {
  const store = await openTestStore();
  try {
    const id = await enrollDevice(store);
    const oldDone = await enqueueOne(store, [id], { when: T0 });
    const oldQueued = await enqueueOne(store, [id], { when: T0 });
    const newDone = await enqueueOne(store, [id], { when: T0 });
    await recordResult(store, ack(id, oldDone.uuid, at(10)));
    await recordResult(store, ack(id, newDone.uuid, at(1000)));
    await store.addEvent({ enrollmentId: id, kind: 'old', at: at(10) });
    await store.addEvent({ enrollmentId: id, kind: 'new', at: at(1000) });
    await store.outboxAdd('mdm.Connect', '{}', at(10));
    const [item] = await store.outboxClaim(at(10), at(20), 1);
    await store.outboxDone(item!.id, at(11));
    await store.outboxAdd('mdm.Connect', '{"pending":true}', at(10));

    // Events: 'old' and the result event of oldDone (both at 10).
    assert.deepEqual(await store.pruneHistory(at(500)), { commands: 1, events: 2 });
    assert.deepEqual(await store.getCommand(oldDone.uuid), []);
    assert.equal((await store.getCommand(oldQueued.uuid))[0]?.status, 'queued', 'queued commands are never pruned');
    assert.equal((await store.getCommand(newDone.uuid))[0]?.status, 'acknowledged');
    assert.deepEqual((await store.listEvents({ enrollmentId: id })).map((e) => e.kind), ['new', 'command.Acknowledged']);
    assert.equal(await store.outboxPending(), 1);
    assert.deepEqual(await store.pruneHistory(at(500)), { commands: 0, events: 0 });
    // A pruned command's UUID is free again; the row for the still-queued one is untouched.
    assert.equal((await enqueueOne(store, [id], { uuid: oldDone.uuid })).outcomes[0]?.ok, true);
  } finally {
    await store.close();
  }
});
