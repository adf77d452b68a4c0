// Abuse of the HTTP edge: slow clients (slowloris) are cut off within the configured limits, huge
// heads and bodies are refused with 431/413, and a flood of check-ins from one device gets 429 with
// Retry-After (never 401) while another device is served as usual. Memory stays bounded.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { SERVER_TIMEOUTS } from '../../src/http/app.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TestDevice } from '../helpers/device.js';

let server: TestServer;
const timeouts = { headersTimeout: 1500, requestTimeout: 2500, connectionTimeout: 2500, keepAliveTimeout: 1000 };
before(async () => {
  server = await startTestServer({ timeouts, config: { deviceRateLimit: 5, bodyLimit: 256 * 1024 } });
});
after(async () => {
  await server?.close();
  // The figure docs/operations.md gives: the test process (server and clients) at its peak over every abuse test.
  console.log(`abuse: peak rss ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
});

/** Opens a socket, sends `head`, then trickles `drip` one byte every `everyMs`; resolves with how long the server kept it open and what it said. */
function trickle(head: string, drip: string, everyMs: number, giveUpMs: number): Promise<{ ms: number; answer: string }> {
  const u = new URL(server.url);
  return new Promise((resolve) => {
    const started = Date.now();
    let answer = '';
    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    const s = net.connect(Number(u.port), u.hostname, () => {
      s.write(head); // the drip starts once the head is out (a write before connect would come first)
      timer = setInterval(() => { if (i < drip.length && !s.destroyed) s.write(drip[i++]!); }, everyMs);
    });
    const giveUp = setTimeout(() => s.destroy(), giveUpMs);
    s.on('data', (d) => { answer += d.toString(); });
    s.on('error', () => undefined);
    s.on('close', () => { clearInterval(timer); clearTimeout(giveUp); resolve({ ms: Date.now() - started, answer }); });
  });
}

test('the default limits are bounded', () => {
  for (const [k, v] of Object.entries(SERVER_TIMEOUTS)) assert.ok(v > 0 && v <= 120_000, `${k} = ${v}`);
  assert.ok(SERVER_TIMEOUTS.headersTimeout <= SERVER_TIMEOUTS.requestTimeout);
});

test('slowloris: a head trickled byte by byte is cut off after headersTimeout', async () => {
  const r = await trickle('PUT /mdm HTTP/1.1\r\nHost: x\r\n', 'X-Slow: ' + 'a'.repeat(500), 100, 20_000);
  assert.ok(r.ms >= timeouts.headersTimeout - 200 && r.ms < timeouts.headersTimeout + 2500, `closed after ${r.ms} ms: ${JSON.stringify(r.answer.slice(0, 200))}`);
  assert.match(r.answer, /^HTTP\/1\.1 408|^$/);
});

test('slowloris: a body trickled byte by byte is cut off after requestTimeout', async () => {
  const r = await trickle('PUT /mdm HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-apple-aspen-mdm-checkin\r\nContent-Length: 5000\r\n\r\n', '<'.repeat(5000), 100, 20_000);
  assert.ok(r.ms >= timeouts.requestTimeout - 200 && r.ms < timeouts.requestTimeout + 2500, `closed after ${r.ms} ms: ${JSON.stringify(r.answer.slice(0, 200))}`);
  assert.doesNotMatch(r.answer, /^HTTP\/1\.1 (401|2)/);
});

test('a huge head gets 431 and a huge body 413, on MDM and API routes alike', async () => {
  const big = 'x'.repeat(1100 * 1024);
  for (const path of ['/mdm', '/v1/enqueue']) {
    const head = await fetch(server.url + path, { method: 'PUT', headers: { 'x-big': big }, body: 'x' }).then((r) => r.status);
    assert.equal(head, 431, path);
  }
  const body = Buffer.alloc(300 * 1024, 0x3c);
  const mdm = await fetch(server.url + '/mdm', { method: 'PUT', headers: { 'content-type': 'application/x-apple-aspen-mdm-checkin' }, body });
  assert.equal(mdm.status, 413);
  assert.ok((await mdm.text()).length > 0, 'with a reason');
  const api = await fetch(server.url + '/v1/enqueue', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer test-api-key' }, body });
  assert.equal(api.status, 413);
});

test('a flood from one device gets 429 with Retry-After, never 401; another device is unaffected', async () => {
  const flood = new TestDevice(server.url, { ids: { UDID: 'FLOOD-1' } });
  const calm = new TestDevice(server.url, { ids: { UDID: 'CALM-1' } });
  await flood.enroll();
  await calm.enroll();
  const rssBefore = process.memoryUsage().rss;
  const statuses = new Map<number, number>();
  const started = Date.now();
  let retryAfter: string | null = null;
  // burst = 5/s × 30 s = 150: 400 requests from one device in a few seconds overflow it.
  for (let wave = 0; wave < 8; wave++) {
    const replies = await Promise.all(Array.from({ length: 50 }, () => fetch(server.url + '/mdm', {
      method: 'PUT', headers: { 'content-type': 'application/x-apple-aspen-mdm' },
      body: '<?xml version="1.0"?><plist version="1.0"><dict><key>Status</key><string>Idle</string><key>UDID</key><string>FLOOD-1</string></dict></plist>',
    })));
    for (const r of replies) {
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status === 429) retryAfter ??= r.headers.get('retry-after');
      await r.arrayBuffer();
    }
    assert.equal((await calm.idle()).status, 200, 'the other device is served');
  }
  const grown = (process.memoryUsage().rss - rssBefore) / 1048576;
  console.log(`flood: ${JSON.stringify(Object.fromEntries(statuses))}; rss ${(rssBefore / 1048576).toFixed(0)} MiB, then ${grown >= 0 ? '+' : ''}${grown.toFixed(1)} MiB`);
  assert.equal(statuses.get(401) ?? 0, 0);
  // The burst (150) plus what 5/s refilled meanwhile, no more.
  const allowed = 150 + Math.ceil(((Date.now() - started) / 1000) * 5);
  const ok = statuses.get(200) ?? 0;
  assert.ok(ok >= 150 && ok <= allowed, `the burst and the refill served: ${ok} (allowed ${allowed})`);
  assert.equal(ok + (statuses.get(429) ?? 0), 400, 'the rest refused with 429');
  assert.ok(retryAfter !== null && Number(retryAfter) >= 1, `Retry-After: ${retryAfter}`);
  assert.ok(grown < 100, `memory bounded: +${grown.toFixed(1)} MiB`);
});
