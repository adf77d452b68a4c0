// The APNs transport on its own: one HTTP/2 session, the server's stream limit, close().
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApns } from '../../src/push/fake-apns.js';
import { makeFakePushCert, type SelfSigned } from '../../src/push/selfsigned.js';
import { ApnsClient, ApnsTransportError, type ApnsResponse } from '../../src/push/apns-client.js';

describe('APNs client', () => {
  let fake: FakeApns;
  let cert: SelfSigned & { topic: string };

  before(async () => {
    cert = await makeFakePushCert();
    // Real APNs lowers SETTINGS_MAX_CONCURRENT_STREAMS when it wants fewer streams at once.
    fake = await FakeApns.start({ trust: [cert.certPem], maxConcurrentStreams: 3, wakeChannel: false });
  });
  after(async () => {
    await fake.close();
  });

  const client = () =>
    new ApnsClient({ url: fake.url, ca: fake.ca, certPem: cert.certPem, keyPem: cert.keyPem, headers: { 'apns-topic': cert.topic, 'apns-push-type': 'mdm' } });
  const token = (i: number) => i.toString(16).padStart(64, '0');

  test("never more streams in flight than the server's SETTINGS allow, from the first push on", async () => {
    const c = client();
    try {
      let most = 0;
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          new Promise<ApnsResponse>((resolve, reject) => {
            c.post(token(i), `{"mdm":"M-${i}"}`, (err, res) => {
              most = Math.max(most, c.inFlight + 1); // this push's stream was still counted a moment ago
              if (err) reject(err);
              else resolve(res!);
            });
          }),
        ),
      );
      assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
      assert.ok(most <= 3, `${most} streams in flight against a limit of 3`);
      assert.equal(c.connects, 1, 'one connection');
      assert.deepEqual(fake.pushes({ token: token(29) }).map((p) => p.pushMagic), ['M-29']);
    } finally {
      await c.close();
    }
  });

  test('close() answers pushes still waiting with a "closed" transport error instead of leaving them pending', async () => {
    const c = client();
    const pending = Array.from({ length: 10 }, (_, i) => c.send(token(100 + i), '{"mdm":"x"}').then(() => 'sent', (err: unknown) => err));
    await c.close();
    const results = await Promise.all(pending);
    for (const r of results) {
      assert.ok(r instanceof ApnsTransportError, String(r));
      assert.equal(r.code, 'closed');
    }
    await assert.rejects(c.send(token(1), '{"mdm":"x"}'), (err: ApnsTransportError) => err.code === 'closed');
  });
});
