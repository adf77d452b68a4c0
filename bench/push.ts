// APNs push throughput against the project's fake APNs (HTTP/2, TLS client-certificate auth),
// which runs in its own process (bench/push-fake.ts) as real APNs runs elsewhere:
//   transport  = ApnsClient.send over ONE HTTP/2 connection, streams capped at 1000 (goal ≥ 5,000/s)
//   provider   = ApnsPusher.push: pushTargets lookup + send + one push-log row per push (SQLite)
//   baseline   = bare node:http2 requests, 1000 in flight, on one connection to the same fake
// Run: npx tsx bench/push.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import http2 from 'node:http2';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pino from 'pino';
import { ApnsClient } from '../src/push/apns-client.js';
import { ApnsPusher } from '../src/push/apns.js';
import { parsePushCertPem } from '../src/push/cert.js';
import { makeFakePushCert } from '../src/push/selfsigned.js';
import { openStore } from '../src/storage/index.js';

const TRANSPORT_PUSHES = 50_000;
const PROVIDER_DEVICES = 2_000;

interface Fake {
  url: string;
  ca: string;
}

/** Start bench/push-fake.ts trusting `certPem`; resolves with its URL and CA, and a stop function. */
async function startFake(certPem: string): Promise<Fake & { stop(): void }> {
  const script = fileURLToPath(new URL('./push-fake.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(certPem);
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(d.toString('utf8')));
    child.once('exit', (code) => reject(new Error(`fake APNs exited with ${code}`)));
  });
  return { ...(JSON.parse(line) as Fake), stop: () => child.kill('SIGTERM') };
}

async function transportRate(fake: Fake, certPem: string, keyPem: string, topic: string): Promise<{ rate: number; connects: number; cpuMicros: number }> {
  const client = new ApnsClient({ url: fake.url, ca: fake.ca, certPem, keyPem, headers: { 'apns-topic': topic, 'apns-push-type': 'mdm' } });
  const tokens = Array.from({ length: 1000 }, () => randomBytes(32).toString('hex'));
  const payload = JSON.stringify({ mdm: randomUUID().toUpperCase() });
  await client.send(tokens[0]!, payload); // connect first: measure pushes, not the handshake
  const start = performance.now();
  const cpu = process.cpuUsage();
  const results = await Promise.all(Array.from({ length: TRANSPORT_PUSHES }, (_, i) => client.send(tokens[i % tokens.length]!, payload)));
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - start) / 1000;
  if (results.some((r) => r.status !== 200)) throw new Error('a push failed');
  await client.close();
  const cpuMicros = (used.user + used.system) / TRANSPORT_PUSHES;
  return { rate: Math.round(TRANSPORT_PUSHES / seconds), connects: client.connects, cpuMicros };
}

/** The same pushes with bare node:http2 (1000 in flight): what Node itself allows here. */
async function bareRate(fake: Fake, certPem: string, keyPem: string): Promise<number> {
  const session = http2.connect(fake.url, { ca: fake.ca, cert: certPem, key: keyPem });
  const one = (token: string, payload: string) =>
    new Promise<void>((resolve, reject) => {
      const req = session.request({ ':method': 'POST', ':path': `/3/device/${token}`, 'content-type': 'application/json' });
      req.on('response', () => {});
      req.on('data', () => {});
      req.on('close', resolve);
      req.on('error', reject);
      req.end(payload);
    });
  const token = randomBytes(32).toString('hex');
  const payload = JSON.stringify({ mdm: randomUUID().toUpperCase() });
  await one(token, payload);
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: 1000 }, async () => { while (next++ < TRANSPORT_PUSHES) await one(token, payload); }));
  const seconds = (performance.now() - start) / 1000;
  session.close();
  return Math.round(TRANSPORT_PUSHES / seconds);
}

async function providerRate(fake: Fake, certPem: string, keyPem: string, topic: string): Promise<number> {
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
  const fake = await startFake(made.certPem);
  try {
    const transport = await transportRate(fake, made.certPem, made.keyPem, made.topic);
    const bare = await bareRate(fake, made.certPem, made.keyPem);
    const provider = await providerRate(fake, made.certPem, made.keyPem, made.topic);
    console.log('APNs push against the fake APNs (HTTP/2 + TLS client certificate):');
    console.log(`  transport, ${TRANSPORT_PUSHES} pushes on ${transport.connects} connection(s)  ${String(transport.rate).padStart(8)} pushes/s (goal 5000)`);
    console.log(`    provider CPU per push ${transport.cpuMicros.toFixed(0)} µs: one core sustains ${Math.round(1e6 / transport.cpuMicros)} pushes/s`);
    console.log(`  baseline: bare node:http2, same connection setup          ${String(bare).padStart(8)} pushes/s`);
    console.log(`  provider + push log (SQLite), ${PROVIDER_DEVICES} enrollments     ${String(provider).padStart(8)} pushes/s`);
  } finally {
    fake.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchPush();
