// The fake APNs itself: Apple's answers to malformed requests, and the plain-HTTP wake channel a
// simulator in another process uses (long-poll, scripted failures, GOAWAY).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { FakeApns } from '../../src/push/fake-apns.js';
import { makeFakePushCert, type SelfSigned } from '../../src/push/selfsigned.js';
import { ApnsClient } from '../../src/push/apns-client.js';

const TOKEN = 'ab'.repeat(32);

describe('fake APNs', () => {
  let fake: FakeApns;
  let cert: SelfSigned & { topic: string };
  let client: ApnsClient;

  before(async () => {
    cert = await makeFakePushCert();
    fake = await FakeApns.start({ trust: [cert.certPem] });
    client = new ApnsClient({ url: fake.url, ca: fake.ca, certPem: cert.certPem, keyPem: cert.keyPem, headers: { 'apns-topic': cert.topic, 'apns-push-type': 'mdm' } });
  });
  after(async () => {
    await client.close();
    await fake.close();
  });

  /** One raw request with our certificate, for answers the provider never provokes. */
  function raw(headers: http2.OutgoingHttpHeaders, body = ''): Promise<{ status: number; body: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const s = http2.connect(fake.url, { ca: fake.ca, cert: cert.certPem, key: cert.keyPem });
      s.on('error', reject);
      const req = s.request(headers, { endStream: false });
      let status = 0;
      let text = '';
      req.on('response', (h) => { status = Number(h[':status']); });
      req.on('data', (c: Buffer) => { text += c.toString(); });
      req.on('end', () => { s.close(); resolve({ status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }); });
      req.end(body);
    });
  }

  test("Apple's status codes and {reason} bodies for bad requests", async () => {
    const post = { ':method': 'POST', ':path': `/3/device/${TOKEN}` };
    const cases: [http2.OutgoingHttpHeaders, string, number, string][] = [
      [{ ':method': 'GET', ':path': `/3/device/${TOKEN}` }, '{"mdm":"x"}', 405, 'MethodNotAllowed'],
      [{ ':method': 'POST', ':path': '/2/device/x' }, '{"mdm":"x"}', 404, 'BadPath'],
      [{ ':method': 'POST', ':path': '/3/device/not-hex!' }, '{"mdm":"x"}', 400, 'BadDeviceToken'],
      [post, '', 400, 'PayloadEmpty'],
      [post, JSON.stringify({ mdm: 'x'.repeat(5000) }), 413, 'PayloadTooLarge'],
      [{ ...post, 'apns-topic': 'com.apple.mgmt.External.other' }, '{"mdm":"x"}', 400, 'BadTopic'],
    ];
    for (const [headers, body, status, reason] of cases) {
      const r = await raw(headers, body);
      assert.deepEqual([r.status, r.body.reason], [status, reason], reason);
    }
  });

  test('410 carries a timestamp; scripted answers are used once, in order', async () => {
    fake.unregister('cd'.repeat(32));
    const gone = await client.send('cd'.repeat(32), '{"mdm":"m"}');
    assert.equal(gone.status, 410);
    assert.equal(gone.reason, 'Unregistered');
    assert.ok(gone.timestamp && Math.abs(gone.timestamp - Date.now()) < 60_000);
    fake.respond(TOKEN, { status: 429, reason: 'TooManyRequests' }, { status: 503, reason: 'ServiceUnavailable' });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push((await client.send(TOKEN, '{"mdm":"m"}')).status);
    assert.deepEqual(answers, [429, 503, 200]);
  });

  test('wake channel: a long-poll returns the push to a token as it happens, with a cursor', async () => {
    const token = 'ef'.repeat(32);
    const start = (await (await fetch(`${fake.wakeUrl}/wakes?timeout=0`)).json()) as { next: number };
    const poll = fetch(`${fake.wakeUrl}/wakes?since=${start.next}&token=${token}&timeout=5000`);
    await new Promise((r) => setTimeout(r, 50));
    await client.send('01'.repeat(32), '{"mdm":"other"}'); // another device: not returned
    await client.send(token, '{"mdm":"MAGIC-1"}');
    const body = (await (await poll).json()) as { next: number; wakes: { token: string; pushMagic: string; topic: string; seq: number }[] };
    assert.deepEqual(body.wakes.map((w) => [w.token, w.pushMagic, w.topic]), [[token, 'MAGIC-1', cert.topic]]);
    assert.equal(body.next, body.wakes[0]!.seq);
    const empty = (await (await fetch(`${fake.wakeUrl}/wakes?since=${body.next}&token=${token}&timeout=10`)).json()) as { wakes: unknown[] };
    assert.deepEqual(empty.wakes, []);
  });

  test('wake channel: scripted failures, unregister and GOAWAY over HTTP; bad input is 400', async () => {
    const token = '02'.repeat(32);
    const postJson = (path: string, body: unknown) =>
      fetch(fake.wakeUrl + path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    assert.equal((await postJson('/respond', { token, responses: [{ status: 500, reason: 'InternalServerError' }] })).status, 200);
    assert.equal((await client.send(token, '{"mdm":"m"}')).status, 500);
    assert.equal((await postJson('/unregister', { token })).status, 200);
    assert.equal((await client.send(token, '{"mdm":"m"}')).status, 410);
    const before = fake.sessions;
    assert.equal((await postJson('/goaway', {})).status, 200);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await client.send(TOKEN, '{"mdm":"m"}')).status, 200);
    assert.equal(fake.sessions, before + 1, 'the client reconnected');
    assert.equal((await postJson('/respond', { token, responses: [{ status: 'x' }] })).status, 400);
    assert.equal((await fetch(fake.wakeUrl + '/respond', { method: 'POST', body: '{not json' })).status, 400);
    assert.equal((await fetch(`${fake.wakeUrl}/wakes?since=-1`)).status, 400);
  });

  test('without a client certificate: 403 MissingProviderToken', async () => {
    const open = await FakeApns.start({ wakeChannel: false });
    try {
      const r = await new Promise<{ status: number; reason: string }>((resolve, reject) => {
        const s = http2.connect(open.url, { ca: open.ca });
        s.on('error', reject);
        const req = s.request({ ':method': 'POST', ':path': `/3/device/${TOKEN}` });
        let text = '';
        let status = 0;
        req.on('response', (h) => { status = Number(h[':status']); });
        req.on('data', (c: Buffer) => { text += c.toString(); });
        req.on('end', () => { s.close(); resolve({ status, reason: (JSON.parse(text) as { reason: string }).reason }); });
        req.end('{"mdm":"x"}');
      });
      assert.deepEqual(r, { status: 403, reason: 'MissingProviderToken' });
    } finally {
      await open.close();
    }
  });
});
