// `updraft sim`: a simulated fleet against a running server (enrolls through the real profile and
// SCEP, wakes on pushes from the fake APNs, answers commands, goes through OS updates), or with
// --bench a load generator that prints enroll rate, round trips per second, p50/p99, errors, CPU
// per round trip and resident memory (the idle fleet's, then after the load; the server's too with
// --server-pid). The simulator itself is imported in the action: `updraft --help` does not load it.
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Command } from 'commander';
import { defaultServer } from './profile.js';

export interface SimCliOptions {
  server: string;
  count: string;
  mix?: string;
  scenario: string;
  clockFactor?: string;
  interval: string;
  duration?: string;
  state?: string;
  apnsWake?: string;
  offset: string;
  concurrency: string;
  keys: string;
  keyType: string;
  bench?: boolean;
  serverPid?: string;
}

const num = (v: string, flag: string, min = 0): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new Error(`${flag} must be a number ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
};

function bar(done: number, total: number): string {
  const width = 30;
  const filled = total ? Math.round((done / total) * width) : width;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} enrolled`;
}

function keyType(v: string): 'rsa' | 'ec' {
  if (v !== 'rsa' && v !== 'ec') throw new Error(`--key-type must be rsa or ec, got ${JSON.stringify(v)}`);
  return v;
}

const rssMb = () => Math.round(process.memoryUsage().rss / 1048576);

/** Resident size of another process on this machine (Linux /proc), null where unreadable. */
export function rssOfPid(pid: number): number | null {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

/** One full collection once enrollment is over: its garbage (responses, CMS messages, parsed
 * declarations) is all dead, and an idle fleet allocates too little for V8 to collect it soon. */
function collectAfterBurst(): void {
  setFlagsFromString('--expose-gc');
  // Compacting: the devices kept are scattered over pages that enrollment's garbage filled; moving
  // them together gives those pages back (measured: 2,000 devices, heap 29 → 19 MB, RSS 99 → 90 MB).
  setFlagsFromString('--compact-on-every-full-gc');
  (runInNewContext('gc') as (() => void) | undefined)?.();
  setFlagsFromString('--no-compact-on-every-full-gc');
}

/** The idle fleet's footprint: measured once enrollment is over and the fleet has sat idle a moment. */
async function idleFigures(serverPid: number | null, settleMs: number): Promise<Record<string, number | null>> {
  await new Promise((r) => setTimeout(r, settleMs));
  const m = process.memoryUsage();
  return { simRssMb: rssMb(), simHeapMb: Math.round(m.heapUsed / 1048576), simHeapTotalMb: Math.round(m.heapTotal / 1048576), simExternalMb: Math.round((m.external + m.arrayBuffers) / 1048576), ...(serverPid ? { serverRssMb: rssOfPid(serverPid) } : {}) };
}

export async function runSim(o: SimCliOptions, out: (line: string) => void = console.log): Promise<void> {
  const count = num(o.count, '--count', 1);
  const serverPid = o.serverPid ? num(o.serverPid, '--server-pid', 1) : null;
  // V8 doubles the young generation whenever many objects survive a scavenge, as a fleet's devices
  // do while it enrolls or loads, up to 2 × 16 MB that an idle process then keeps resident. A fleet
  // lives in the old generation, so the young one stays at its first size (measured: 10,000 idle
  // devices 114 → 80-97 MB RSS, see docs/sim.md). Read by V8 at each growth, so it works at runtime.
  setFlagsFromString('--semi-space-growth-factor=1');
  const [{ Fleet }, { hammer }, { loadScenario, parseMix }] = await Promise.all([import('../sim/fleet.js'), import('../sim/load.js'), import('../sim/scenario.js')]);
  const tty = process.stderr.isTTY;
  let lastDraw = 0;
  const started = performance.now();
  const fleet = await Fleet.start({
    server: o.server,
    count,
    scenario: loadScenario(o.scenario),
    mix: o.mix ? parseMix(o.mix) : undefined,
    clockFactor: o.clockFactor ? num(o.clockFactor, '--clock-factor') : undefined,
    interval: o.bench ? 0 : num(o.interval, '--interval'),
    wakeUrl: o.apnsWake ?? process.env.UPDRAFT_APNS_WAKE ?? null,
    statePath: o.state ?? null,
    offset: num(o.offset, '--offset'),
    enrollConcurrency: num(o.concurrency, '--concurrency', 1),
    sessionConcurrency: num(o.concurrency, '--concurrency', 1),
    keyPoolSize: num(o.keys, '--keys', 1),
    keyType: keyType(o.keyType),
    onProgress: (done, total) => {
      const now = performance.now();
      if (done === total ? lastDraw === Infinity : now - lastDraw < 100) return; // the full bar once
      lastDraw = done === total ? Infinity : now;
      process.stderr.write(tty ? `\r${bar(done, total)}` : done === total ? `${bar(done, total)}\n` : '');
    },
  });
  if (tty) process.stderr.write('\n');
  const enrollSeconds = (performance.now() - started) / 1000;
  collectAfterBurst();
  const enrollFigures = { devices: count, enrolled: fleet.stats.enrolled, enrollFailed: fleet.stats.enrollFailed, enrollSeconds: Number(enrollSeconds.toFixed(1)), enrollPerSecond: Number((fleet.stats.enrolled / enrollSeconds).toFixed(1)) };
  if (o.bench) {
    const idle = await idleFigures(serverPid, count >= 1000 ? 3000 : 300);
    process.stderr.write(`updraft sim: idle fleet of ${fleet.stats.enrolled} devices: ${JSON.stringify(idle)}\n`);
    fleet.stats.reset();
    setFlagsFromString('--semi-space-growth-factor=2'); // V8's default for the load: fewer scavenges a round trip
    const cpu = process.cpuUsage();
    await hammer(fleet, o.duration ? num(o.duration, '--duration') : 10, num(o.concurrency, '--concurrency', 1));
    const used = process.cpuUsage(cpu);
    const s = fleet.stats.summary();
    const simCpuMsPerRoundTrip = Number(((used.user + used.system) / 1000 / Math.max(1, Number(s.roundTrips))).toFixed(3));
    out(JSON.stringify({
      ...enrollFigures, ...s, simCpuMsPerRoundTrip, idleFleet: idle,
      simulatorRssMb: rssMb(), ...(serverPid ? { serverRssMb: rssOfPid(serverPid) } : {}),
    }, null, 2));
    await fleet.stop();
    return;
  }
  out(`${fleet.stats.enrolled} devices enrolled in ${enrollFigures.enrollSeconds} s (${enrollFigures.enrollPerSecond}/s); running${o.duration ? ` for ${o.duration} s` : ' until interrupted'}`);
  if (fleet.stats.enrollFailed) out(`${fleet.stats.enrollFailed} enrollments failed: ${fleet.stats.lastError}`);
  const report = setInterval(() => {
    const s = fleet.stats.summary();
    out(`commands ${s.commands}, round trips ${s.roundTrips}, p50 ${s.p50ms} ms, p99 ${s.p99ms} ms, errors ${s.errors}, rss ${rssMb()} MB`);
  }, 10_000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    if (o.duration) setTimeout(resolve, num(o.duration, '--duration') * 1000);
  });
  clearInterval(report);
  await fleet.stop();
  out(JSON.stringify(fleet.stats.summary()));
}

export function register(program: Command): void {
  program
    .command('sim')
    .description('Simulate Macs, iPhones and iPads against a running server (or with --bench, generate load)')
    .option('--server <url>', 'the server devices talk to (UPDRAFT_SERVER)', defaultServer())
    .option('--count <n>', 'devices to simulate', '10')
    .option('--mix <platform:percent,...>', 'fleet mix, e.g. macos:60,ios:40 (platforms: macos, ios, ipados)')
    .option('--scenario <name|file>', 'built-in scenario (mojave-2018, mixed-2026) or a JSON file', 'mixed-2026')
    .option('--clock-factor <x>', 'simulated seconds per real second (default: the scenario\'s)')
    .option('--interval <seconds>', 'real seconds between polls when no push arrives (0: only on pushes)', '300')
    .option('--duration <seconds>', 'stop after this long (default: until interrupted; --bench: 10)')
    .option('--state <file>', 'keep the fleet (identities, OS, updates) in this file across restarts')
    .option('--apns-wake <url>', 'the fake APNs wake channel, http://host:port (UPDRAFT_APNS_WAKE)')
    .option('--offset <n>', 'first device index, so several processes can share one fleet', '0')
    .option('--concurrency <n>', 'enrollments and sessions in flight at once', '64')
    .option('--keys <n>', 'identity keys shared by the fleet (each device still gets its own certificate)', '16')
    .option('--key-type <rsa|ec>', 'identity keys: RSA 2048 as the profile asks, or EC P-256 (cheaper to sign); both from the shared pool', 'rsa')
    .option('--bench', 'load generator: enroll, then back-to-back check-ins; print the figures')
    .option('--server-pid <pid>', 'with --bench: also report this local server process\'s resident memory')
    .action(async (o: SimCliOptions) => {
      try {
        await runSim(o);
      } catch (err) {
        process.stderr.write(`updraft sim: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
