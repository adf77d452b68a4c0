// Connect benchmark: MDM round trips over HTTP from concurrent keep-alive clients, on SQLite and PostgreSQL,
// next to a bare fastify route in the same server process as the ceiling.
//
// Method: the server (Updraft's app with the core service, plus a bare fastify route on a second port)
// runs in a child process; the parent drives it over HTTP and asks it, over IPC, for its
// process.cpuUsage() before and after each phase. "CPU/req" is the server process's user+system time
// divided by the requests (or round trips) of that phase: it includes fastify, the plist codec, the
// service and the database driver (better-sqlite3 runs in-process; for PostgreSQL the pg client's share
// is counted but the PostgreSQL server's own CPU is not). Latencies are measured by the clients.
//
// Phases per backend: "idle" = a device's Idle poll answered with an empty body; "round trip" = two PUTs,
// an Idle that receives a command and the Acknowledged result for it (recorded, next command looked up).
//
// Run: npx tsx bench/connect.ts [--seconds N] [--rounds N] [--clients N] [--sqlite-only] [--metrics]
// (--metrics: with the Prometheus metrics of `updraft serve`: request counter, check-in and report
// counters, every store call timed; compare with a run without it for their cost per request)
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildPlist } from '../src/plist/index.js';

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
  phase: 'bare route' | 'idle' | 'round trip';
  /** Requests per second (round trips per second for "round trip"). */
  perSecond: number;
  p50ms: number;
  p99ms: number;
  /** Server process CPU milliseconds per request (per round trip). */
  cpuMsPer: number;
}

const PG_DEFAULT = process.env.UPDRAFT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const CHECKIN = 'application/x-apple-aspen-mdm-checkin';
const COMMAND = 'application/x-apple-aspen-mdm';

// ---------- the server side (child process) ----------

interface ChildMsg { op: 'cpu' | 'enqueue' | 'close'; seq: number; ids?: string[]; count?: number }

async function runChild(): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const { default: pino } = await import('pino');
  const { randomUUID } = await import('node:crypto');
  const { buildApp } = await import('../src/http/app.js');
  const { createCoreService } = await import('../src/service/core.js');
  const { UnconfiguredPusher } = await import('../src/push/unconfigured.js');
  const { openTestStore } = await import('../test/helpers/store.js');
  const { DEFAULT_BODY_LIMIT } = await import('../src/config.js');

  const store = await openTestStore();
  const config = {
    listen: '127.0.0.1:0', dataDir: '', db: process.env.UPDRAFT_TEST_DB ?? 'sqlite', apiKey: 'bench', webhookUrl: null,
    webhookSecret: null, publicUrl: 'http://127.0.0.1', tlsCert: null, tlsKey: null, pushTopic: null,
    bodyLimit: DEFAULT_BODY_LIMIT, retentionDays: 0, logLevel: 'warn', certHeader: null, identityOptional: true,
  };
  const logger = pino({ level: 'warn' });
  // --metrics: the server as `updraft serve` runs it, every store call timed and every request counted.
  let app;
  if (process.env.UPDRAFT_BENCH_METRICS === '1') {
    const { createMetrics } = await import('../src/metrics/registry.js');
    const { metricsMiddleware, timedStore } = await import('../src/metrics/wrap.js');
    const { compose } = await import('../src/service/compose.js');
    const metrics = createMetrics(store, logger);
    const timed = timedStore(store, metrics);
    const service = compose(createCoreService({ store: timed }), metricsMiddleware(metrics));
    app = await buildApp({ config, store: timed, logger, pusher: new UnconfiguredPusher(), service, metrics });
  } else {
    app = await buildApp({ config, store, logger, pusher: new UnconfiguredPusher(), service: createCoreService({ store }) });
  }
  await app.listen({ host: '127.0.0.1', port: 0 });

  const bare = Fastify({ bodyLimit: DEFAULT_BODY_LIMIT });
  bare.removeAllContentTypeParsers();
  bare.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  bare.put('/mdm', async (_req, reply) => reply.code(200).send());
  await bare.listen({ host: '127.0.0.1', port: 0 });

  const port = (a: ReturnType<typeof app.server.address>) => (a && typeof a === 'object' ? a.port : 0);
  process.send!({ ready: true, url: `http://127.0.0.1:${port(app.server.address())}`, bareUrl: `http://127.0.0.1:${port(bare.server.address())}` });

  process.on('message', (m: ChildMsg) => {
    void (async () => {
      if (m.op === 'cpu') return process.send!({ seq: m.seq, cpu: process.cpuUsage() });
      if (m.op === 'enqueue') {
        for (let i = 0; i < (m.count ?? 0); i++) {
          const uuid = randomUUID();
          const raw = Buffer.from(buildPlist({
            CommandUUID: uuid,
            Command: { RequestType: 'DeviceInformation', Queries: ['OSVersion', 'BuildVersion', 'SerialNumber', 'ModelName', 'SoftwareUpdateDeviceID'] },
          }));
          await store.enqueue({ uuid, requestType: 'DeviceInformation', raw, at: new Date() }, m.ids ?? []);
        }
        return process.send!({ seq: m.seq });
      }
      await app.close();
      await bare.close();
      await store.close();
      process.send!({ seq: m.seq }, () => process.exit(0));
    })();
  });
}

// ---------- the client side (parent process) ----------

class Server {
  private seq = 0;
  private waiting = new Map<number, (m: Record<string, unknown>) => void>();
  constructor(readonly child: ChildProcess, readonly url: string, readonly bareUrl: string) {
    child.on('message', (m: { seq?: number }) => {
      if (m.seq !== undefined) this.waiting.get(m.seq)?.(m as Record<string, unknown>);
    });
  }

  static start(db: string): Promise<Server> {
    const child = fork(fileURLToPath(import.meta.url), ['--child'], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, UPDRAFT_TEST_DB: db },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      child.once('message', (m: { url: string; bareUrl: string }) => resolve(new Server(child, m.url, m.bareUrl)));
      child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    });
  }

  call(op: ChildMsg['op'], extra: Partial<ChildMsg> = {}): Promise<Record<string, unknown>> {
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.waiting.set(seq, (m) => { this.waiting.delete(seq); resolve(m); });
      this.child.send({ op, seq, ...extra });
    });
  }

  async cpuMs(): Promise<number> {
    const { cpu } = (await this.call('cpu')) as unknown as { cpu: NodeJS.CpuUsage };
    return (cpu.user + cpu.system) / 1000;
  }
}

function put(agent: http.Agent, url: URL, body: Buffer, contentType: string | null): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { 'content-length': body.length };
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

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0;
}

/** Runs `cycle` from every client until the deadline; returns completed cycles/s, latency quantiles and CPU ms per cycle. */
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
  const cpu0 = await server.cpuMs();
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
  const cpu = (await server.cpuMs()) - cpu0;
  latencies.sort((a, b) => a - b);
  return { perSecond: latencies.length / elapsed, p50ms: quantile(latencies, 0.5), p99ms: quantile(latencies, 0.99), cpuMsPer: cpu / latencies.length };
}

function reachable(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect({ host: u.hostname, port: Number(u.port || 5432) });
    s.setTimeout(1500);
    s.on('connect', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
    s.on('timeout', () => { s.destroy(); resolve(false); });
  });
}

async function benchBackend(db: string, clients: number, seconds: number, rounds: number, withBare: boolean): Promise<PhaseResult[]> {
  const backend = db.startsWith('postgres') ? 'postgres' : 'sqlite';
  const server = await Server.start(db);
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  try {
    const mdm = new URL(`${server.url}/mdm`);
    // Two fleets: one whose queues stay empty (idle phase), one that gets commands (round-trip phase).
    const fleet = (tag: string) => Array.from({ length: clients }, (_, i) => `BENCH-${tag}${String(i).padStart(3, '0')}-0000-4000-8000-000000000000`);
    const quiet = fleet('Q');
    const udids = fleet('C');
    const idleOf = (ids: string[]) => ids.map((UDID) => Buffer.from(buildPlist({ Status: 'Idle', UDID })));
    const quietIdle = idleOf(quiet);
    const idle = idleOf(udids);
    for (const UDID of [...quiet, ...udids]) {
      await put(agent, mdm, Buffer.from(buildPlist({ MessageType: 'Authenticate', UDID, Topic: 'com.apple.mgmt.bench', SerialNumber: 'C02BENCH', Model: 'Mac14,2', OSVersion: '15.1' })), CHECKIN);
      await put(agent, mdm, Buffer.from(buildPlist({ MessageType: 'TokenUpdate', UDID, Topic: 'com.apple.mgmt.bench', Token: Buffer.alloc(32, 7), PushMagic: 'magic' })), CHECKIN);
    }
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
    // Phases alternate over several rounds; each phase reports its least disturbed round (lowest CPU per request).
    const runs: PhaseResult[] = [];
    for (let round = 0; round < rounds; round++) {
      if (withBare) {
        runs.push({ backend: '-', phase: 'bare route', ...(await measure(server, clients, { seconds }, (c) => put(agent, bareUrl, quietIdle[c]!, COMMAND).then(() => undefined))) });
      }
      const idleRun = await measure(server, clients, { seconds }, async (c) => {
        if ((await put(agent, mdm, quietIdle[c]!, COMMAND)).length !== 0) throw new Error('idle: expected an empty body');
      });
      runs.push({ backend, phase: 'idle', ...idleRun });
      // Round trips run a fixed number of cycles, each finishing one command queued just before, so
      // queues stay as shallow as a real fleet's (queue depth is not what this measures).
      const expected = runs.findLast((r) => r.phase === 'round trip' && r.backend === backend)?.perSecond ?? idleRun.perSecond / 8;
      const cycles = Math.max(5, Math.round((expected * seconds) / clients));
      const warm = 3;
      await server.call('enqueue', { ids: udids, count: cycles + warm });
      runs.push({ backend, phase: 'round trip', ...(await measure(server, clients, { cycles, warm }, roundTrip)) });
    }
    const results: PhaseResult[] = [];
    for (const phase of ['bare route', 'idle', 'round trip'] as const) {
      const best = runs.filter((r) => r.phase === phase).sort((a, b) => a.cpuMsPer - b.cpuMsPer)[0];
      if (best) results.push(best);
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
  const dbs = opts.dbs ?? ['sqlite', ...((await reachable(PG_DEFAULT)) ? [PG_DEFAULT] : [])];
  const all: PhaseResult[] = [];
  for (const [i, db] of dbs.entries()) all.push(...(await benchBackend(db, clients, seconds, rounds, i === 0)));
  if (opts.print !== false) {
    const bare = all.find((r) => r.phase === 'bare route');
    console.log(`\nconnect: ${clients} concurrent keep-alive devices, best of ${rounds} × ${seconds} s per phase; CPU = server process user+system per request (round trip = 2 PUTs)`);
    console.log('("above bare" = server CPU beyond what the bare route spends on the same number of HTTP requests: the MDM work itself)');
    console.log('backend   phase         per second   p50 ms   p99 ms   server CPU ms   above bare   vs bare rate');
    for (const r of all) {
      const puts = r.phase === 'round trip' ? 2 : 1;
      const share = bare && r !== bare ? `${((100 * r.perSecond) / bare.perSecond).toFixed(0)}%` : '';
      const above = bare && r !== bare ? (r.cpuMsPer - puts * bare.cpuMsPer).toFixed(3) : '';
      console.log(`${r.backend.padEnd(9)} ${r.phase.padEnd(12)} ${r.perSecond.toFixed(0).padStart(11)} ${r.p50ms.toFixed(2).padStart(8)} ${r.p99ms.toFixed(2).padStart(8)} ${r.cpuMsPer.toFixed(3).padStart(15)} ${above.padStart(12)} ${share.padStart(14)}`);
    }
    if (!opts.dbs && !dbs.some((d) => d.startsWith('postgres'))) console.log(`(PostgreSQL not reachable at ${PG_DEFAULT}: skipped)`);
  }
  return all;
}

if (process.argv.includes('--child')) {
  await runChild();
} else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  if (process.argv.includes('--metrics')) process.env.UPDRAFT_BENCH_METRICS = '1';
  await benchConnect({ seconds: arg('--seconds'), rounds: arg('--rounds'), clients: arg('--clients'), dbs: process.argv.includes('--sqlite-only') ? ['sqlite'] : undefined });
}
