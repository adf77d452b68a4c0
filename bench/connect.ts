// Connect benchmark: MDM round trips over HTTP from concurrent clients, on SQLite and PostgreSQL, next to
// a bare fastify route in the same server process as the ceiling, unsigned and as a real client sends
// them (RSA-2048 device identities, Mdm-Signature over SHA-1 or SHA-256, connection churn, cold and warm).
//
// Method: the server (bench/connect-server.ts: Updraft's app with the core service without device
// identity, the same app with identity on, a bare fastify route) runs in a child process; the parent
// drives it over HTTP and asks it, over IPC, for its process.cpuUsage() before and after each phase.
// "CPU/req" is the server process's user+system time divided by the requests (or round trips) of that
// phase: it includes fastify, the plist codec, signature verification where on, the service and the
// database driver (better-sqlite3 runs in-process; for PostgreSQL the pg client's share is counted but
// the PostgreSQL server's own CPU is not: bench/client.ts adds it). Latencies are measured by the clients.
//
// Phases per backend:
//   cold        the first 250 (rounded up to a multiple of the clients) signed Idle check-ins (SHA-1,
//               keep-alive) the fresh server process answers after the fleet's Authenticate and
//               TokenUpdate, measured once with no warm-up: compare with "idle, signed SHA-1" (warm)
//   idle        a device's Idle poll answered with an empty body, unsigned (identity off), keep-alive
//   idle, new connection every 10   the same, every 10th request with `Connection: close` (mdmb's churn)
//   round trip  two unsigned PUTs: an Idle that receives a command and the Acknowledged result for it
//   idle, signed SHA-1 / SHA-256    Idle with Mdm-Signature, identity on (verified, bound to the enrollment)
//   idle, signed SHA-1, new connection every 10   as mdmb drives a server
// Each warm phase runs after a short warm-up, over several rounds, and reports its least disturbed round.
// Signatures are made once per device and digest (the server verifies every request all the same), so
// the clients' signing does not take CPU from the server on a small machine.
//
// Run: npx tsx bench/connect.ts [--seconds N] [--rounds N] [--clients N] [--sqlite-only] [--metrics]
// (--metrics: with the Prometheus metrics of `updraft serve`: request counter, check-in and report
// counters, every store call timed; compare with a run without it for their cost per request)
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { buildPlist } from '../src/plist/index.js';
import { createCA } from '../src/pki/ca.js';
import { issuedCert, signedData, type Digest } from '../src/sim/pki.js';
import { PG, reachable } from './client.js';
import { Server } from './connect-server.js';

export interface BenchConnectOptions {
  /** Concurrent simulated devices (one keep-alive connection each); default 32. */
  clients?: number;
  /** Measured seconds per phase (after a short warm-up); default 2. */
  seconds?: number;
  /** Rounds of all phases; each phase reports its least disturbed round; default 3. */
  rounds?: number;
  /** Backends to run: "sqlite" and/or a postgres:// URL; default SQLite plus PostgreSQL when reachable. */
  dbs?: string[];
  /** Print the table (default true). */
  print?: boolean;
}

export interface PhaseResult {
  backend: string;
  /** 'bare route', 'idle', 'round trip', 'cold: first N Idle, signed SHA-1', 'idle, signed SHA-256', … (see the top of this file). */
  phase: string;
  /** Requests per second (round trips per second for "round trip"). */
  perSecond: number;
  p50ms: number;
  p99ms: number;
  /** Server process CPU milliseconds per request (per round trip). */
  cpuMsPer: number;
  /** Requests (round trips) measured, and the connections the server accepted meanwhile. */
  requests: number;
  connections: number;
}

const CHECKIN = 'application/x-apple-aspen-mdm-checkin';
const COMMAND = 'application/x-apple-aspen-mdm';
const CHURN = 10;

function put(agent: http.Agent, url: URL, body: Buffer, contentType: string | null, extra: http.OutgoingHttpHeaders = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { ...extra, 'content-length': body.length };
    if (contentType) headers['content-type'] = contentType;
    const req = http.request({ agent, host: url.hostname, port: url.port, path: url.pathname, method: 'PUT', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks)}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Headers that make every `every`-th request of a phase close its connection (0: none do). */
function churn(every: number): () => http.OutgoingHttpHeaders {
  let n = 0;
  return () => (every > 0 && ++n % every === 0 ? { connection: 'close' } : {});
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0;
}

/** How long a phase runs: for a time, or for a fixed number of cycles per client (after `warm` unmeasured ones). */
type Plan = { seconds: number } | { cycles: number; warm: number };

/** Runs `cycle` from every client per the plan; returns completed cycles/s, latency quantiles and CPU ms per cycle. */
async function measure(server: Server, clients: number, plan: Plan, cycle: (client: number) => Promise<void>) {
  const each = (body: (c: number) => Promise<void>) => Promise.all(Array.from({ length: clients }, (_, c) => body(c)));
  const warmUntil = Date.now() + 300;
  await each(async (c) => {
    if ('warm' in plan) for (let i = 0; i < plan.warm; i++) await cycle(c);
    else while (Date.now() < warmUntil) await cycle(c);
  });
  const latencies: number[] = [];
  const at0 = await server.sample();
  const t0 = performance.now();
  const more = 'seconds' in plan ? () => performance.now() < t0 + plan.seconds * 1000 : (n: number) => n < plan.cycles;
  await each(async (c) => {
    for (let n = 0; more(n); n++) {
      const s = performance.now();
      await cycle(c);
      latencies.push(performance.now() - s);
    }
  });
  const elapsed = (performance.now() - t0) / 1000;
  const at1 = await server.sample();
  latencies.sort((a, b) => a - b);
  return {
    perSecond: latencies.length / elapsed, p50ms: quantile(latencies, 0.5), p99ms: quantile(latencies, 0.99), cpuMsPer: (at1.cpuMs - at0.cpuMs) / latencies.length,
    requests: latencies.length, connections: at1.connections - at0.connections,
  };
}

/** The bench's device CA and RSA-2048 identity keys (shared by the signed fleet, each device its own certificate). */
function identities() {
  const ca = createCA('Updraft connect bench CA');
  const keys = Array.from({ length: 4 }, () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
  return { ca, keys };
}

async function benchBackend(db: string, clients: number, seconds: number, rounds: number, withBare: boolean, ids: ReturnType<typeof identities>): Promise<PhaseResult[]> {
  const backend = db.startsWith('postgres') ? 'postgres' : 'sqlite';
  const server = await Server.start(db, ids.ca.certDer);
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  try {
    const mdm = new URL(`${server.url}/mdm`);
    const signedMdm = new URL(`${server.signedUrl}/mdm`);
    // Three fleets: one whose queues stay empty (idle phases), one that gets commands (round trips), one that signs.
    const fleet = (tag: string) => Array.from({ length: clients }, (_, i) => `BENCH-${tag}${String(i).padStart(3, '0')}-0000-4000-8000-000000000000`);
    const quiet = fleet('Q');
    const udids = fleet('C');
    const signers = fleet('S').map((UDID, i) => {
      const key = ids.keys[i % ids.keys.length]!;
      const certDer = issuedCert(key, UDID, ids.ca.certDer, ids.ca.key, new Date());
      const sign = (body: Buffer, digest: Digest) => signedData({ content: body, detached: true, certDer, key, at: new Date(), digest }).toString('base64');
      const idle = Buffer.from(buildPlist({ Status: 'Idle', UDID }));
      return { UDID, sign, idle, sig: { sha1: sign(idle, 'sha1'), sha256: sign(idle, 'sha256') } };
    });
    const idleOf = (list: string[]) => list.map((UDID) => Buffer.from(buildPlist({ Status: 'Idle', UDID })));
    const quietIdle = idleOf(quiet);
    const idle = idleOf(udids);
    const enrollment = (UDID: string) => [
      Buffer.from(buildPlist({ MessageType: 'Authenticate', UDID, Topic: 'com.apple.mgmt.bench', SerialNumber: 'C02BENCH', Model: 'Mac14,2', OSVersion: '15.1' })),
      Buffer.from(buildPlist({ MessageType: 'TokenUpdate', UDID, Topic: 'com.apple.mgmt.bench', Token: Buffer.alloc(32, 7), PushMagic: 'magic' })),
    ];
    for (const UDID of [...quiet, ...udids]) for (const m of enrollment(UDID)) await put(agent, mdm, m, CHECKIN);
    for (const s of signers) for (const m of enrollment(s.UDID)) await put(agent, signedMdm, m, CHECKIN, { 'mdm-signature': s.sign(m, 'sha256') });
    if (await put(agent, signedMdm, signers[0]!.idle, COMMAND).then(() => true, () => false)) throw new Error('the signed server took an unsigned request: identity is off');

    const idleSigned = (digest: Digest, every = 0) => {
      const extra = churn(every);
      return async (c: number) => {
        const s = signers[c]!;
        if ((await put(agent, signedMdm, s.idle, COMMAND, { 'mdm-signature': s.sig[digest], ...extra() })).length !== 0) throw new Error('idle: expected an empty body');
      };
    };
    const idleUnsigned = (every = 0) => {
      const extra = churn(every);
      return async (c: number) => {
        if ((await put(agent, mdm, quietIdle[c]!, COMMAND, extra())).length !== 0) throw new Error('idle: expected an empty body');
      };
    };
    // Cold: the fresh process's first signed Idle check-ins, before any other phase warms it.
    const coldCycles = Math.ceil(250 / clients);
    const runs: PhaseResult[] = [{ backend, phase: `cold: first ${coldCycles * clients} Idle, signed SHA-1`, ...(await measure(server, clients, { cycles: coldCycles, warm: 0 }, idleSigned('sha1'))) }];

    const bareUrl = new URL(`${server.bareUrl}/mdm`);
    const uuidRe = /<key>CommandUUID<\/key>\s*<string>([^<]+)<\/string>/;
    const roundTrip = async (c: number) => {
      const cmd = await put(agent, mdm, idle[c]!, COMMAND);
      const uuid = uuidRe.exec(cmd.toString('utf8'))?.[1];
      if (!uuid) throw new Error('round trip: the Idle poll got no command (queue ran dry)');
      const ack = buildPlist({
        Status: 'Acknowledged', UDID: udids[c]!, CommandUUID: uuid, RequestType: 'DeviceInformation',
        QueryResponses: { OSVersion: '15.1', BuildVersion: '24B83', SerialNumber: 'C02BENCH', ModelName: 'MacBook Pro', SoftwareUpdateDeviceID: 'J314sAP' },
      });
      await put(agent, mdm, Buffer.from(ack), null);
    };
    const idleCases: Array<[string, (c: number) => Promise<void>]> = [
      ['idle', idleUnsigned()],
      [`idle, new connection every ${CHURN}`, idleUnsigned(CHURN)],
      ['idle, signed SHA-1', idleSigned('sha1')],
      ['idle, signed SHA-256', idleSigned('sha256')],
      [`idle, signed SHA-1, new connection every ${CHURN}`, idleSigned('sha1', CHURN)],
    ];
    // Phases alternate over several rounds; each phase reports its least disturbed round (lowest CPU per request).
    for (let round = 0; round < rounds; round++) {
      if (withBare) {
        runs.push({ backend: '-', phase: 'bare route', ...(await measure(server, clients, { seconds }, (c) => put(agent, bareUrl, quietIdle[c]!, COMMAND).then(() => undefined))) });
      }
      for (const [phase, cycle] of idleCases) runs.push({ backend, phase, ...(await measure(server, clients, { seconds }, cycle)) });
      // Round trips run a fixed number of cycles, each finishing one command queued just before, so
      // queues stay as shallow as a real fleet's (queue depth is not what this measures).
      const expected = runs.findLast((r) => r.phase === 'round trip' && r.backend === backend)?.perSecond ?? runs.findLast((r) => r.phase === 'idle')!.perSecond / 8;
      const cycles = Math.max(5, Math.round((expected * seconds) / clients));
      const warm = 3;
      await server.call('enqueue', { ids: udids, count: cycles + warm });
      runs.push({ backend, phase: 'round trip', ...(await measure(server, clients, { cycles, warm }, roundTrip)) });
    }
    const results: PhaseResult[] = [];
    for (const phase of new Set(runs.map((r) => r.phase))) {
      results.push(runs.filter((r) => r.phase === phase).sort((a, b) => a.cpuMsPer - b.cpuMsPer)[0]!);
    }
    return results;
  } finally {
    agent.destroy();
    await server.call('close');
  }
}

export async function benchConnect(opts: BenchConnectOptions = {}): Promise<PhaseResult[]> {
  const clients = opts.clients ?? 32;
  const seconds = opts.seconds ?? 2;
  const rounds = opts.rounds ?? 3;
  const dbs = opts.dbs ?? ['sqlite', ...((await reachable(PG)) ? [PG] : [])];
  const ids = identities();
  const all: PhaseResult[] = [];
  for (const [i, db] of dbs.entries()) all.push(...(await benchBackend(db, clients, seconds, rounds, i === 0, ids)));
  if (opts.print !== false) {
    const bare = all.find((r) => r.phase === 'bare route');
    console.log(`\nconnect: ${clients} concurrent devices, best of ${rounds} × ${seconds} s per warm phase; CPU = server process user+system per request (round trip = 2 PUTs)`);
    console.log('("above bare" = server CPU beyond what the bare route spends on the same number of HTTP requests: the MDM work itself)');
    console.log(`${'backend'.padEnd(9)} ${'phase'.padEnd(46)} per second   p50 ms   p99 ms   server CPU ms   above bare   vs bare rate   new conns`);
    for (const r of all) {
      const puts = r.phase === 'round trip' ? 2 : 1;
      const share = bare && r !== bare ? `${((100 * r.perSecond) / bare.perSecond).toFixed(0)}%` : '';
      const above = bare && r !== bare ? (r.cpuMsPer - puts * bare.cpuMsPer).toFixed(3) : '';
      console.log(`${r.backend.padEnd(9)} ${r.phase.padEnd(46)} ${r.perSecond.toFixed(0).padStart(10)} ${r.p50ms.toFixed(2).padStart(8)} ${r.p99ms.toFixed(2).padStart(8)} ${r.cpuMsPer.toFixed(3).padStart(15)} ${above.padStart(12)} ${share.padStart(14)} ${String(r.connections).padStart(11)}`);
    }
    if (!opts.dbs && !dbs.some((d) => d.startsWith('postgres'))) console.log(`(PostgreSQL not reachable at ${PG}: skipped)`);
  }
  return all;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  if (process.argv.includes('--metrics')) process.env.UPDRAFT_BENCH_METRICS = '1';
  await benchConnect({ seconds: arg('--seconds'), rounds: arg('--rounds'), clients: arg('--clients'), dbs: process.argv.includes('--sqlite-only') ? ['sqlite'] : undefined });
}
