// APNs push throughput against the project's fake APNs (HTTP/2, TLS client-certificate auth),
// which runs in its own process (bench/push-fake.ts) as real APNs runs elsewhere:
//   transport  = ApnsClient.send over ONE HTTP/2 connection, streams capped at 1000 (goal ≥ 5,000/s)
//   provider   = ApnsPusher.push: pushTargets lookup + sends + the batch's push-log rows (SQLite)
//   baseline   = bare node:http2 requests, 1000 in flight, on one connection to the same fake
// After a warm-up, the three run back to back ROUNDS times (the machine is shared, so figures
// move between runs); each prints the median round, with the CPU per push on each side (the
// fake's read from /proc: both share the machine's cores).
// Run: npx tsx bench/push.ts
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
import type { Store } from '../src/storage/types.js';

const TRANSPORT_PUSHES = 20_000;
const PROVIDER_DEVICES = 10_000;
const ROUNDS = 3;

export interface Fake {
  url: string;
  ca: string;
  /** CPU time the fake's process has used so far, µs (null where /proc is missing). */
  cpu(): number | null;
  stop(): void;
}

/** Start bench/push-fake.ts trusting `certPem`. */
export async function startFake(certPem: string): Promise<Fake> {
  const script = fileURLToPath(new URL('./push-fake.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(certPem);
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(d.toString('utf8')));
    child.once('exit', (code) => reject(new Error(`fake APNs exited with ${code}`)));
  });
  const ticks = 1e6 / 100; // USER_HZ is 100 on Linux
  const cpu = () => {
    try {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) * ticks;
    } catch {
      return null;
    }
  };
  return { ...(JSON.parse(line) as { url: string; ca: string }), cpu, stop: () => child.kill('SIGTERM') };
}

interface Figure {
  rate: number;
  /** CPU per push in this process and in the fake's, µs. */
  ownCpu: number;
  fakeCpu: number | null;
}

async function measure(fake: Fake, pushes: number, run: () => Promise<void>): Promise<Figure> {
  const fakeStart = fake.cpu();
  const cpu = process.cpuUsage();
  const start = performance.now();
  await run();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const fakeEnd = fake.cpu();
  return {
    rate: Math.round(pushes / seconds),
    ownCpu: (used.user + used.system) / pushes,
    fakeCpu: fakeStart === null || fakeEnd === null ? null : (fakeEnd - fakeStart) / pushes,
  };
}

function transport(fake: Fake, certPem: string, keyPem: string, topic: string) {
  const client = new ApnsClient({ url: fake.url, ca: fake.ca, certPem, keyPem, headers: { 'apns-topic': topic, 'apns-push-type': 'mdm' } });
  const tokens = Array.from({ length: 1000 }, () => randomBytes(32).toString('hex'));
  const payload = JSON.stringify({ mdm: randomUUID().toUpperCase() });
  const run = async (n: number) => {
    const results = await Promise.all(Array.from({ length: n }, (_, i) => client.send(tokens[i % tokens.length]!, payload)));
    if (results.some((r) => r.status !== 200)) throw new Error('a push failed');
  };
  return { run, close: () => client.close(), connects: () => client.connects };
}

/** The same pushes with bare node:http2 (1000 in flight): what Node itself allows here. */
function bare(fake: Fake, certPem: string, keyPem: string) {
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
  const run = async (n: number) => {
    let next = 0;
    await Promise.all(Array.from({ length: 1000 }, async () => { while (next++ < n) await one(token, payload); }));
  };
  return { run, close: () => session.close() };
}

export async function enrollments(store: Store, topic: string, count: number): Promise<string[]> {
  const at = new Date();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `BENCH-${i}-${randomUUID()}`;
    await store.authenticate({ id, type: 'Device', deviceId: id, udid: id, topic, inventory: {}, at });
    await store.tokenUpdate({ id, type: 'Device', deviceId: id, udid: id, topic, pushToken: randomBytes(32).toString('hex'), pushMagic: randomUUID(), at });
    ids.push(id);
  }
  return ids;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function summary(figures: Figure[]): { rate: number; ownCpu: number; fakeCpu: number | null } {
  const fake = figures.map((f) => f.fakeCpu).filter((x): x is number => x !== null);
  return { rate: median(figures.map((f) => f.rate)), ownCpu: median(figures.map((f) => f.ownCpu)), fakeCpu: fake.length ? median(fake) : null };
}

export async function benchPush(): Promise<void> {
  const made = await makeFakePushCert();
  const fake = await startFake(made.certPem);
  const dataDir = mkdtempSync(join(tmpdir(), 'updraft-bench-push-'));
  const store = await openStore({ db: 'sqlite', dataDir });
  try {
    const ids = await enrollments(store, made.topic, PROVIDER_DEVICES);
    const client = transport(fake, made.certPem, made.keyPem, made.topic);
    const direct = bare(fake, made.certPem, made.keyPem);
    const pusher = new ApnsPusher({ store, cert: parsePushCertPem(made.certPem + made.keyPem), logger: pino({ level: 'silent' }), url: fake.url, ca: fake.ca });
    const provide = async () => {
      const results = await pusher.push(ids);
      if (results.some((r) => !r.ok)) throw new Error('a push failed');
    };
    // Warm-up: connections, JIT, SQLite pages.
    await client.run(5000);
    await direct.run(5000);
    await provide();
    const runs = { transport: [] as Figure[], bare: [] as Figure[], provider: [] as Figure[] };
    for (let r = 0; r < ROUNDS; r++) {
      runs.transport.push(await measure(fake, TRANSPORT_PUSHES, () => client.run(TRANSPORT_PUSHES)));
      runs.bare.push(await measure(fake, TRANSPORT_PUSHES, () => direct.run(TRANSPORT_PUSHES)));
      runs.provider.push(await measure(fake, PROVIDER_DEVICES, provide));
    }
    const connects = client.connects();
    await client.close();
    direct.close();
    await pusher.close();

    const cpu = (f: { ownCpu: number; fakeCpu: number | null }) =>
      `CPU/push ${f.ownCpu.toFixed(0).padStart(3)} µs here, ${f.fakeCpu === null ? '?' : f.fakeCpu.toFixed(0)} µs in the fake`;
    const line = (label: string, f: { rate: number; ownCpu: number; fakeCpu: number | null }) =>
      console.log(`  ${label.padEnd(52)} ${String(f.rate).padStart(7)} pushes/s   ${cpu(f)}`);
    console.log(`APNs push against the fake APNs (HTTP/2 + TLS client certificate), median of ${ROUNDS} rounds:`);
    line(`transport, ${TRANSPORT_PUSHES} pushes on ${connects} connection(s) (goal 5000)`, summary(runs.transport));
    line('baseline: bare node:http2, same connection setup', summary(runs.bare));
    line(`provider + push log (SQLite), ${PROVIDER_DEVICES} enrollments`, summary(runs.provider));
    console.log(`  rounds (transport/bare/provider): ${runs.transport.map((t, i) => `${t.rate}/${runs.bare[i]!.rate}/${runs.provider[i]!.rate}`).join('  ')}`);
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
    fake.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchPush();
