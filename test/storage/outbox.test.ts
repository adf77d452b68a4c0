// Webhook outbox: claims lease items, survive crashes by lease expiry, and never hand the same
// item to two claimers, even from separate connections (separate server processes).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../src/storage/types.js';
import { openTestStores, testDbLabel } from '../helpers/store.js';
import { T0, at } from './setup.js';

describe(`outbox (${testDbLabel})`, () => {
  let a: Store;
  let b: Store;
  before(async () => {
    [a, b] = (await openTestStores(2)) as [Store, Store];
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  async function drain(store: Store) {
    for (let items = await store.outboxClaim(at(1e6), at(2e6), 1000); items.length; items = await store.outboxClaim(at(1e6), at(2e6), 1000)) {
      for (const i of items) await store.outboxDone(i.id, at(1e6));
    }
  }

  test('claim leases due items in order; done removes them; a failed delivery retries later', async () => {
    await drain(a);
    await a.outboxAdd('mdm.Authenticate', '{"n":1}', at(0));
    await a.outboxAdd('mdm.Connect', '{"n":2}', at(1));
    await a.outboxAdd('mdm.Connect', '{"n":3}', at(100));
    assert.equal(await a.outboxPending(), 3);

    const claimed = await a.outboxClaim(at(10), at(40), 10);
    assert.deepEqual(claimed.map((i) => i.body), ['{"n":1}', '{"n":2}']);
    assert.deepEqual(claimed.map((i) => i.attempts), [1, 1]);
    assert.equal(claimed[0]?.topic, 'mdm.Authenticate');
    assert.deepEqual(claimed[0]?.createdAt, T0);
    assert.deepEqual(await b.outboxClaim(at(20), at(50), 10), [], 'leased items are not claimable');

    await a.outboxDone(claimed[0]!.id, at(11));
    await a.outboxRetry(claimed[1]!.id, at(30), 'HTTP 502');
    assert.equal(await a.outboxPending(), 2);

    const retried = await b.outboxClaim(at(30), at(60), 10);
    assert.deepEqual(retried.map((i) => [i.body, i.attempts, i.lastError]), [['{"n":2}', 2, 'HTTP 502']]);
    await b.outboxDone(retried[0]!.id, at(31));
    // A claimer that dies without done/retry: the item comes back when its lease ends.
    const [third] = await a.outboxClaim(at(100), at(130), 10);
    assert.equal(third?.body, '{"n":3}');
    assert.deepEqual(await b.outboxClaim(at(129), at(200), 10), []);
    assert.deepEqual((await b.outboxClaim(at(130), at(200), 10)).map((i) => i.body), ['{"n":3}']);
  });

  test('concurrent claimers on separate connections never get the same item', async () => {
    await drain(a);
    const total = 120;
    for (let i = 0; i < total; i++) await a.outboxAdd('mdm.Connect', JSON.stringify({ i }), at(0));
    const seen: number[] = [];
    const worker = async (store: Store) => {
      for (;;) {
        const items = await store.outboxClaim(at(10), at(1000), 7);
        if (items.length === 0) return;
        for (const item of items) {
          seen.push(item.id);
          await store.outboxDone(item.id, at(11));
        }
      }
    };
    await Promise.all([worker(a), worker(b), worker(a), worker(b)]);
    assert.equal(seen.length, total);
    assert.equal(new Set(seen).size, total);
    assert.equal(await a.outboxPending(), 0);
  });
});
