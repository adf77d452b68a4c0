// One node against two: `updraft serve` processes (the compiled CLI) on one PostgreSQL database,
// driven by signed Idle check-ins from real-client devices (bench/client.ts's machinery: RSA-2048
// identities enrolled through SCEP, Mdm-Signature on every request, each device's signed once). The same load runs against
// one node, then spread over two (alternating per request, as a round-robin balancer would).
// Printed per configuration: check-ins per second, the nodes' CPU per check-in (/proc of the server
// processes), the database's CPU per check-in (the PostgreSQL backends serving the bench database,
// from /proc as bench/client.ts counts them), and what the database did per check-in
// (pg_stat_database: transactions committed, rows read, rows written).
//
// On a small machine the client (one RSA signature per request), the nodes and PostgreSQL share the
// cores: compare the configurations with each other, with the load average beside them.
// Run: npx tsx bench/nodes.ts [--devices 200] [--seconds 10] [--concurrency 16] [--no-build]
import { execFileSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { loadavg, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { buildPlist } from '../src/plist/index.js';
import { signedData } from '../src/sim/pki.js';
import { Client, enrollmentSteps, PG, reachable, root, startServer, stop, type Device } from './client.js';
import { benchDatabase } from './pg-database.js';
import { pgBackends, procCpuMs } from '../src/sim/proc.js';

interface DbStats { commits: number; read: number; written: number }
export interface NodesRow { nodes: number; checkins: number; perSecond: number; serverMs: number; dbMs: number; clientMs: number; commits: number; rowsRead: number; rowsWritten: number; load: number }

async function dbStats(admin: pg.Client, db: string): Promise<DbStats> {
  await admin.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await admin.query<Record<string, string>>(
    'SELECT xact_commit, tup_returned + tup_fetched AS read, tup_inserted + tup_updated + tup_deleted AS written FROM pg_stat_database WHERE datname = $1', [db]);
  const r = rows[0]!;
  return { commits: Number(r.xact_commit), read: Number(r.read), written: Number(r.written) };
}

/** CPU ms so far of the node processes and of every PostgreSQL backend of the database seen. */
function cpuMeter(pids: number[], db: string): () => { server: number; db: number } {
  const seen = new Map<number, number>();
  return () => {
    for (const p of pgBackends(db)) seen.set(p, procCpuMs(p) || seen.get(p) || 0);
    return { server: pids.reduce((n, p) => n + procCpuMs(p), 0), db: [...seen.values()].reduce((n, v) => n + v, 0) };
  };
}

async function forEach(devices: Device[], workers: number, fn: (d: Device) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: workers }, async () => { while (next < devices.length) await fn(devices[next++]!); }));
}

/**
 * Each device's Idle, signed once (the body never changes, and the server takes a signature again):
 * the client then spends no RSA per request, so the nodes rather than the client set the pace.
 */
function idleRequests(devices: Device[]): Map<Device, { body: Buffer; headers: Record<string, string> }> {
  return new Map(devices.map((d) => {
    const body = Buffer.from(buildPlist({ Status: 'Idle', UDID: d.udid }));
    const sig = signedData({ content: body, detached: true, certDer: d.cert!, key: d.key, at: new Date(), digest: 'sha256' }).toString('base64');
    return [d, { body, headers: { 'content-type': 'application/x-apple-aspen-mdm', 'mdm-signature': sig } }];
  }));
}

/** Idle check-ins for `seconds`, `concurrency` at a time, spread over the clients in turn. */
async function load(clients: Client[], idles: ReturnType<typeof idleRequests>, seconds: number, concurrency: number): Promise<number> {
  const devices = [...idles.keys()];
  const end = performance.now() + seconds * 1000;
  let n = 0;
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    for (let i = w; performance.now() < end; i += concurrency) {
      const { body, headers } = idles.get(devices[i % devices.length]!)!;
      const r = await clients[n++ % clients.length]!.request('PUT', '/mdm/connect', body, headers);
      if (r.status !== 200 || r.body.length > 0) throw new Error(`Idle answered ${r.status} ${r.body.length ? 'with a command' : ''}: ${r.body.toString().slice(0, 200)}`);
    }
  }));
  return n;
}

export async function benchNodes(opts: { devices?: number; seconds?: number; concurrency?: number; build?: boolean } = {}): Promise<NodesRow[]> {
  if (!(await reachable(PG))) {
    console.log(`nodes: PostgreSQL not reachable at ${PG} (several nodes share one PostgreSQL database): skipped`);
    return [];
  }
  if (opts.build !== false) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  const count = opts.devices ?? 200;
  const seconds = opts.seconds ?? 10;
  const concurrency = opts.concurrency ?? 16;
  const dataDir = mkdtempSync(join(tmpdir(), 'updraft-bench-nodes-'));
  const database = await benchDatabase(PG, `updraft_bench_nodes_${process.pid}`);
  const db = database.name;
  const admin = new pg.Client({ connectionString: PG }); // reads pg_stat_database
  await admin.connect();
  // No command is queued for the devices (they answer none: an auto-queued DeclarativeManagement or
  // inventory query would be handed out again at every Idle).
  const env = { UPDRAFT_DATA_DIR: dataDir, UPDRAFT_DB: database.url, UPDRAFT_INVENTORY_INTERVAL: '0', UPDRAFT_DDM_AUTO: 'off' };
  const servers: Array<{ child: ChildProcess; url: string }> = [];
  const rows: NodesRow[] = [];
  try {
    servers.push(await startServer(env));
    const keys = Array.from({ length: 8 }, () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    const devices: Device[] = Array.from({ length: count }, (_, i) => ({
      udid: `NODES-${String(i).padStart(4, '0')}-0000-4000-8000-${String(process.pid).padStart(12, '0')}`, serial: `C02NODES${String(i).padStart(4, '0')}`, key: keys[i % keys.length]!, cert: null,
    }));
    const enroller = new Client(servers[0]!.url, 'sha256', 0);
    for (const [, step] of enrollmentSteps(enroller, servers[0]!.url).steps) await forEach(devices, 4, step);
    enroller.close();
    servers.push(await startServer(env)); // the second node: same data dir, same database
    const idles = idleRequests(devices);

    for (const nodes of [1, 2]) {
      const targets = servers.slice(0, nodes);
      // Two clients (4 sockets each) in both configurations: the same connections, spread over the nodes.
      const clients = [0, 1].map((i) => new Client(targets[i % nodes]!.url, 'sha256', 0));
      await load(clients, idles, 2, concurrency); // warm-up
      const meter = cpuMeter(servers.map((s) => s.child.pid!), db);
      await new Promise((r) => setTimeout(r, 1000)); // let the statistics of the warm-up land
      const [cpu0, stats0] = [meter(), await dbStats(admin, db)];
      const t0 = performance.now();
      const client0 = process.cpuUsage();
      const checkins = await load(clients, idles, seconds, concurrency);
      const clientCpu = process.cpuUsage(client0);
      const elapsed = (performance.now() - t0) / 1000;
      const cpu1 = meter();
      const loadAvg = loadavg()[0]!;
      await new Promise((r) => setTimeout(r, 1000));
      const stats1 = await dbStats(admin, db);
      for (const c of clients) c.close();
      rows.push({
        nodes, checkins, perSecond: checkins / elapsed, serverMs: (cpu1.server - cpu0.server) / checkins, dbMs: (cpu1.db - cpu0.db) / checkins,
        clientMs: (clientCpu.user + clientCpu.system) / 1000 / checkins, commits: (stats1.commits - stats0.commits) / checkins, rowsRead: (stats1.read - stats0.read) / checkins, rowsWritten: (stats1.written - stats0.written) / checkins, load: loadAvg,
      });
    }
  } finally {
    for (const s of servers) await stop(s.child);
    await admin.end();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(`\none node vs two on one PostgreSQL: ${count} devices (RSA-2048, signed Idle check-ins), ${concurrency} in flight, ${seconds} s each; CPU ms per check-in; database work per check-in (pg_stat_database)`);
  console.log('  nodes  check-ins/s  nodes CPU  PostgreSQL CPU  bench client CPU  commits  rows read  rows written  load (1 min)');
  for (const r of rows) {
    console.log(`  ${String(r.nodes).padStart(5)}  ${r.perSecond.toFixed(0).padStart(11)}  ${r.serverMs.toFixed(3).padStart(9)}  ${r.dbMs.toFixed(3).padStart(14)}  ${r.clientMs.toFixed(3).padStart(16)}  ${r.commits.toFixed(2).padStart(7)}  ${r.rowsRead.toFixed(1).padStart(9)}  ${r.rowsWritten.toFixed(2).padStart(12)}  ${r.load.toFixed(2).padStart(12)}`);
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (n: string) => { const i = process.argv.indexOf(n); return i > 0 ? Number(process.argv[i + 1]) : undefined; };
  await benchNodes({ devices: arg('--devices'), seconds: arg('--seconds'), concurrency: arg('--concurrency'), build: !process.argv.includes('--no-build') });
}
