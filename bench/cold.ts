// Cold start, restart after restart: enroll N devices once, then R times restart `updraft serve` on the
// same data and count the server CPU of its first 250 Idle check-ins (SHA-1, a new connection every
// 10, as bench/client.ts's cold row). One cold phase scatters widely; this prints each and the median.
//
// Run: npx tsx bench/cold.ts [--devices 50] [--restarts 7] [--pg] [--no-build]
// Profile the cold phases: UPDRAFT_BENCH_COLD_PROF=/tmp/prof npx tsx bench/cold.ts
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CpuMeter } from '../src/sim/proc.js';
import { benchDevices, Client, enrollmentSteps, PG, root, startServer, stop, type Device } from './client.js';
import { benchDatabase } from './pg-database.js';

const arg = (n: string, d: number) => { const i = process.argv.indexOf(n); return i > 0 ? Number(process.argv[i + 1]) : d; };
const devicesN = arg('--devices', 50);
const restarts = arg('--restarts', 7);
const usePg = process.argv.includes('--pg');
if (!process.argv.includes('--no-build')) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });

const dataDir = mkdtempSync(join(tmpdir(), 'updraft-cold-'));
const pgBench = usePg ? await benchDatabase(PG, `updraft_cold_${process.pid}`) : null;
const pgDb = pgBench?.name ?? null;
const env = { UPDRAFT_DATA_DIR: dataDir, UPDRAFT_DB: pgBench?.url ?? join(dataDir, 'updraft.db') };
const devices = benchDevices(devicesN, 'COLD');
const idleMsg = (d: Device) => ({ Status: 'Idle', UDID: d.udid });
const uuidOf = (b: Buffer) => /<key>CommandUUID<\/key>\s*<string>([^<]+)<\/string>/.exec(b.toString())?.[1];
try {
  let server = await startServer(env);
  const client = new Client(server.url, 'sha1', 10);
  for (const [, fn] of enrollmentSteps(client, server.url).steps) for (const d of devices) await fn(d);
  for (const d of devices) { // answer what enrollment queued, so each Idle below meets an empty queue
    for (let uuid = uuidOf(await client.signed('/mdm/connect', d, idleMsg(d), 'application/x-apple-aspen-mdm')); uuid;) {
      uuid = uuidOf(await client.signed('/mdm/connect', d, { Status: 'Acknowledged', UDID: d.udid, CommandUUID: uuid }, 'application/x-apple-aspen-mdm'));
    }
  }
  client.close();
  await stop(server.child);
  const prof = process.env.UPDRAFT_BENCH_COLD_PROF;
  if (prof) process.env.UPDRAFT_BENCH_SERVER_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${prof}`;
  const per: number[] = [];
  const startup: number[] = [];
  const rounds = Math.max(1, Math.round(250 / devicesN));
  for (let r = 0; r < restarts; r++) {
    server = await startServer(env);
    const meter = new CpuMeter(server.child.pid!, pgDb);
    const c = new Client(server.url, 'sha1', 10);
    const a = meter.total(); // the new process and its database connections so far: what starting cost
    startup.push(a);
    for (let i = 0; i < rounds; i++) {
      let next = 0;
      await Promise.all(Array.from({ length: 4 }, async () => { while (next < devices.length) { const d = devices[next++]!; await c.signed('/mdm/connect', d, idleMsg(d), 'application/x-apple-aspen-mdm'); } }));
    }
    per.push((meter.total() - a) / (rounds * devicesN));
    c.close();
    await stop(server.child);
  }
  console.log(`cold start, ${usePg ? 'postgres' : 'sqlite'}: server CPU ms per Idle over the first ${rounds * devicesN} after each of ${restarts} restarts${usePg ? ' (incl. the PostgreSQL backends)' : ''}`);
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  console.log(`  runs ${per.map((x) => x.toFixed(2)).join(', ')}; median ${median(per).toFixed(3)}`);
  console.log(`  starting (CPU ms until it answers, once per restart): ${startup.map((x) => x.toFixed(0)).join(', ')}; median ${median(startup).toFixed(0)}`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
  await pgBench?.drop();
}
