// The service chain as middlewares see it: order, the request meta (raw bytes, URL parameters,
// identity), and errors they raise reaching the device as their HTTP status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlist } from '../../src/plist/index.js';
import { ServiceError, type MdmMiddleware, type RequestMeta } from '../../src/service/types.js';
import { startTestServer } from '../helpers/server.js';
import { CHECKIN_CONTENT_TYPE, put, TestDevice } from '../helpers/device.js';

test('middlewares run outermost first and see the exact body, URL parameters and identity', async () => {
  const trace: string[] = [];
  const metas: RequestMeta[] = [];
  const tag = (name: string): MdmMiddleware => (next) => ({
    async checkin(msg, meta) {
      trace.push(`${name}:${msg.messageType}`);
      metas.push(meta);
      return next.checkin(msg, meta);
    },
    async report(r, meta) {
      trace.push(`${name}:${r.status}`);
      return next.report(r, meta);
    },
  });
  const srv = await startTestServer({
    middlewares: [tag('outer'), tag('inner')],
    identity: async (req) => ({ certHash: String(req.headers['x-test-cert'] ?? '') || null }),
  });
  try {
    const body = buildPlist({ MessageType: 'Authenticate', UDID: 'MW-1', Topic: 't' });
    const r = await put(`${srv.url}/mdm?tenant=acme&x=1&x=2`, body, CHECKIN_CONTENT_TYPE, { 'x-test-cert': 'abc123' });
    assert.equal(r.status, 200);
    await new TestDevice(srv.url, { ids: { UDID: 'MW-1' } }).idle();
    assert.deepEqual(trace, ['outer:Authenticate', 'inner:Authenticate', 'outer:Idle', 'inner:Idle']);
    const meta = metas[0]!;
    assert.ok(meta.raw.equals(Buffer.from(body)));
    assert.deepEqual(meta.urlParams, { tenant: 'acme', x: '1' });
    assert.equal(meta.certHash, 'abc123');
    assert.ok(Math.abs(meta.at.getTime() - Date.now()) < 60_000);
    assert.equal((await srv.store.getEnrollment('MW-1'))?.certHash, 'abc123', 'Authenticate binds the identity it came with');
  } finally {
    await srv.close();
  }
});

test('a middleware refusal reaches the device as its status (400/403), and the core never runs', async () => {
  const refuse: MdmMiddleware = (next) => ({
    checkin: async (msg, meta) => {
      if (msg.enrollment.id === 'EVIL') throw new ServiceError(403, 'certificate does not match enrollment');
      return next.checkin(msg, meta);
    },
    report: (r, meta) => next.report(r, meta),
  });
  const failing: MdmMiddleware = () => ({
    checkin: async () => { throw new Error('database exploded'); },
    report: async () => { throw new Error('database exploded'); },
  });
  const srv = await startTestServer({ middlewares: [refuse] });
  const broken = await startTestServer({ middlewares: [failing] });
  try {
    const r = await new TestDevice(srv.url, { ids: { UDID: 'EVIL' } }).authenticate();
    assert.equal(r.status, 403);
    assert.match(r.text, /certificate does not match/);
    assert.equal(await srv.store.getEnrollment('EVIL'), null);
    const b = await new TestDevice(broken.url, { ids: { UDID: 'X' } }).idle();
    assert.equal(b.status, 500, 'an unexpected failure is a 500 (never 401), without internals in the body');
    assert.equal(b.text, 'internal error');
  } finally {
    await srv.close();
    await broken.close();
  }
});
