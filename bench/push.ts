// APNs push throughput against the project's fake APNs (HTTP/2, TLS client-certificate auth):
//   transport  = ApnsClient.send over ONE HTTP/2 connection, streams capped at 1000 (goal ≥ 5,000/s)
//   provider   = ApnsPusher.push: pushTargets lookup + send + one push-log row per push (SQLite)
// Run: npx tsx bench/push.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { ApnsClient } from '../src/push/apns-client.js';
import { ApnsPusher } from '../src/push/apns.js';
import { parsePushCertPem } from '../src/push/cert.js';
import { FakeApns } from '../src/push/fake-apns.js';
import { makeFakePushCert } from '../src/push/selfsigned.js';
import { openStore } from '../src/storage/index.js';

const TRANSPORT_PUSHES = 50_000;
const PROVIDER_DEVICES = 5_000;

async function transportRate(fake: FakeApns, certPem: string, keyPem: string, topic: string): Promise<{ rate: number; connects: number }> {
  const client = new ApnsClient({ url: fake.url, ca: fake.ca, certPem, keyPem, headers: { 'apns-topic': topic, 'apns-push-type': 'mdm' } });
  const tokens = Array.from({ length: 1000 }, () => randomBytes(32).toString('hex'));
  const payload = JSON.stringify({ mdm: randomUUID().toUpperCase() });
  await client.send(tokens[0]!, payload); // connect first: measure pushes, not the handshake
  const start = performance.now();
  const results = await Promise.all(Array.from({ length: TRANSPORT_PUSHES }, (_, i) => client.send(tokens[i % tokens.length]!, payload)));
  const seconds = (performance.now() - start) / 1000;
  if (results.some((r) => r.status !== 200)) throw new Error('a push failed');
  await client.close();
  return { rate: Math.round(TRANSPORT_PUSHES / seconds), connects: client.connects };
}

async function providerRate(fake: FakeApns, certPem: string, keyPem: string, topic: string): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'updraft-bench-push-'));
  const store = await openStore({ db: 'sqlite', dataDir });
  try {
    const at = new Date();
    const ids: string[] = [];
    for (let i = 0; i < PROVIDER_DEVICES; i++) {
      const id = `BENCH-${i}-${randomUUID()}`;
      await store.authenticate({ id, type: 'Device', deviceId: id, udid: id, topic, inventory: {}, at });
      await store.tokenUpdate({ id, type: 'Device', deviceId: id, udid: id, topic, pushToken: randomBytes(32).toString('hex'), pushMagic: randomUUID(), at });
      ids.push(id);
    }
    const pusher = new ApnsPusher({ store, cert: parsePushCertPem(certPem + keyPem), logger: pino({ level: 'silent' }), url: fake.url, ca: fake.ca });
    await pusher.push(ids.slice(0, 1));
    const start = performance.now();
    const results = await pusher.push(ids);
    const seconds = (performance.now() - start) / 1000;
    await pusher.close();
    if (results.some((r) => !r.ok)) throw new Error('a push failed');
    return Math.round(PROVIDER_DEVICES / seconds);
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchPush(): Promise<void> {
  const made = await makeFakePushCert();
  const fake = await FakeApns.start({ trust: [made.certPem], wakeChannel: false });
  try {
    const transport = await transportRate(fake, made.certPem, made.keyPem, made.topic);
    const provider = await providerRate(fake, made.certPem, made.keyPem, made.topic);
    console.log('APNs push against the fake APNs (HTTP/2 + TLS client certificate):');
    console.log(`  transport, ${TRANSPORT_PUSHES} pushes on ${transport.connects} connection(s)  ${String(transport.rate).padStart(8)} pushes/s (goal 5000)`);
    console.log(`  provider + push log (SQLite), ${PROVIDER_DEVICES} enrollments     ${String(provider).padStart(8)} pushes/s`);
  } finally {
    await fake.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchPush();
