// bench/connect.ts on this test run's backend, tiny: every case is measured (unsigned and signed with
// identity on, SHA-1 and SHA-256, connection churn, cold and warm), with sane figures, and churn
// really opens new connections at the server while keep-alive opens none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchConnect } from '../../bench/connect.js';

test('the connect bench measures every case; churn opens a connection every 10 requests', async () => {
  const clients = 4;
  const results = await benchConnect({ dbs: [process.env.UPDRAFT_TEST_DB ?? 'sqlite'], clients, seconds: 0.3, rounds: 1, print: false });
  const phases = results.map((r) => r.phase);
  assert.deepEqual(phases, [
    'cold: first 252 Idle, signed SHA-1', 'bare route', 'idle', 'idle, new connection every 10', 'idle, signed SHA-1', 'idle, signed SHA-256',
    'idle, signed SHA-1, new connection every 10', 'round trip',
  ]);
  for (const r of results) {
    assert.ok(r.requests > 0 && r.perSecond > 0 && r.p99ms >= r.p50ms, r.phase);
    assert.ok(Number.isFinite(r.cpuMsPer) && r.cpuMsPer > 0, `${r.phase}: server CPU ${r.cpuMsPer} ms per request`);
  }
  const by = (phase: string) => results.find((r) => r.phase === phase)!;
  assert.equal(by('cold: first 252 Idle, signed SHA-1').requests, 252);
  for (const phase of ['idle', 'idle, signed SHA-1', 'idle, signed SHA-256']) assert.equal(by(phase).connections, 0, `${phase}: keep-alive`);
  for (const phase of ['idle, new connection every 10', 'idle, signed SHA-1, new connection every 10']) {
    const r = by(phase);
    assert.ok(Math.abs(r.connections - r.requests / 10) <= clients + 1, `${phase}: ${r.connections} connections for ${r.requests} requests`);
  }
});
