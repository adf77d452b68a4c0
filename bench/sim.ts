// Simulator benchmark: `updraft serve` in a child process (SQLite in a temp dir), the simulator in
// this one. Enrolls N devices (profile, SCEP, Authenticate, TokenUpdate, first Idle, all signed),
// then runs back-to-back signed check-in sessions for a few seconds. Prints the enroll rate, round
// trips per second, p50/p99 latency, errors, the simulator's CPU per signed request, and the RSS of
// both processes (the simulator's measured with the whole fleet enrolled and idle).
//
// Run: npx tsx bench/sim.ts [--count 1000] [--seconds 10] [--key-type ec|rsa] [--concurrency 64]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Fleet } from '../src/sim/fleet.js';
import { hammer } from '../src/sim/load.js';
import { loadScenario } from '../src/sim/scenario.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '10' },
    'key-type': { type: 'string', default: 'ec' }, concurrency: { type: 'string', default: '64' },
  },
});
const count = Number(values.count);
const concurrency = Number(values.concurrency);
const root = fileURLToPath(new URL('..', import.meta.url));

const freePort = () => new Promise<number>((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as net.AddressInfo; s.close(() => resolve(port)); });
});
const rssOf = (pid: number) => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
const mb = (bytes: number) => Math.round(bytes / 1048576);

const dataDir = mkdtempSync(join(tmpdir(), 'updraft-bench-sim-'));
const port = await freePort();
const server = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--log-level', 'error'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
const url = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  if (await fetch(`${url}/mdm/enroll`).then((r) => r.ok, () => false)) break;
  if (i > 300) throw new Error('the server did not start');
  await new Promise((r) => setTimeout(r, 100));
}

try {
  const started = performance.now();
  const fleet = await Fleet.start({ server: url, count, scenario: loadScenario('mixed-2026'), keyType: values['key-type'] === 'rsa' ? 'rsa' : 'ec', enrollConcurrency: concurrency, sessionConcurrency: concurrency });
  const enrollSeconds = (performance.now() - started) / 1000;
  const enrollError = fleet.stats.lastError;
  global.gc?.();
  const idle = { simRssMb: mb(process.memoryUsage().rss), simHeapMb: mb(process.memoryUsage().heapUsed), serverRssMb: rssOf(server.pid!) };
  fleet.stats.reset();
  const cpu = process.cpuUsage();
  await hammer(fleet, Number(values.seconds), concurrency);
  const used = process.cpuUsage(cpu);
  const s = fleet.stats.summary();
  console.log(JSON.stringify({
    devices: count, keyType: values['key-type'], concurrency, enrolled: fleet.stats.enrolled, enrollFailed: fleet.stats.enrollFailed, enrollError: enrollError ?? undefined,
    enrollSeconds: Number(enrollSeconds.toFixed(1)), enrollPerSecond: Number((fleet.stats.enrolled / enrollSeconds).toFixed(1)),
    roundTripsPerSecond: s.roundTripsPerSecond, p50ms: s.p50ms, p99ms: s.p99ms, errors: s.errors,
    signCpuMsPerRequest: s.signCpuMsPerRequest,
    simCpuMsPerRoundTrip: Number(((used.user + used.system) / 1000 / Math.max(1, Number(s.roundTrips))).toFixed(3)),
    idleFleet: idle, afterLoad: { simRssMb: mb(process.memoryUsage().rss), serverRssMb: rssOf(server.pid!) },
  }, null, 2));
  await fleet.stop();
} finally {
  server.kill();
  rmSync(dataDir, { recursive: true, force: true });
}
