// The PKIOperation gate: a burst of enrollments runs a few at a time, a bounded number waits in
// order, and the rest are turned away at once instead of piling up in memory.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Gate } from '../../src/http/gate.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('SCEP PKIOperation gate', () => {
  it('runs at most `concurrent` at once, queues `queued` in arrival order and refuses the rest', async () => {
    const gate = new Gate(2, 3);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const releases: Array<() => void> = [];
    const job = (n: number) => () => new Promise<number>((resolve) => {
      running++;
      peak = Math.max(peak, running);
      order.push(n);
      releases.push(() => { running--; resolve(n); });
    });
    const results = Array.from({ length: 7 }, (_, n) => gate.run(job(n)));
    await tick();
    assert.deepEqual(gate.load, { running: 2, waiting: 3 });
    assert.equal(await results[5], null, 'the sixth is turned away: the queue is full');
    assert.equal(await results[6], null);
    while (releases.length) { releases.shift()!(); await tick(); await tick(); }
    assert.deepEqual(await Promise.all(results.slice(0, 5)), [0, 1, 2, 3, 4]);
    assert.deepEqual(order, [0, 1, 2, 3, 4], 'waiters start in arrival order');
    assert.equal(peak, 2);
    assert.deepEqual(gate.load, { running: 0, waiting: 0 });
  });

  it('frees its place when the work fails', async () => {
    const gate = new Gate(1, 0);
    await assert.rejects(gate.run(() => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await gate.run(async () => 'ok'), 'ok');
  });
});
