// `updraft sim`: a simulated fleet against a running server (enrolls through the real profile and
// SCEP, wakes on pushes from the fake APNs, answers commands, goes through OS updates), or with
// --bench a load generator that prints enroll rate, round trips per second, p50/p99, errors, CPU
// per round trip and resident memory (the idle fleet's, then after the load; the server's too with
// --server-pid, and its CPU per request for each enrollment step and for the load's cold start and
// warm rest). The simulator itself is imported in the action: `updraft --help` does not load it.
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Option, type Command } from 'commander';
import type { FleetOptions } from '../sim/fleet.js';
import { CpuMeter, cpuSpan, procMb, type CpuFigures } from '../sim/proc.js';
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
  digest: string;
  bench?: boolean;
  serverPid?: string;
  serverDb?: string;
  newConnectionEvery: string;
  adeCaCert?: string;
  adeCaKey?: string;
  depUrl?: string;
  enrollChild?: boolean;
}

/** What the enrolling child is given (as JSON in its environment) and reports back over IPC. */
type ChildOptions = Omit<FleetOptions, 'scenario' | 'onProgress' | 'onResult' | 'onError' | 'onEnrollStep'> & { scenario: string; serverProc: ServerProc | null };
/** The server measured with --server-pid (and --server-db): its process, and its PostgreSQL database's backends. */
interface ServerProc { pid: number; db: string | null }
type StepFigures = { step: string } & CpuFigures;
interface ChildDone { enrolled: number; enrollFailed: number; errors: number; lastError: string | null; wakeSince: number | null; steps: StepFigures[] }
type ChildMessage = { progress: [number, number] } | { done: ChildDone } | { error: string };

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

/** --ade-ca-cert and --ade-ca-key go together: the PEM text of "Apple's device CA" for ADE devices. */
function adeCaOption(o: SimCliOptions): { certPem: string; keyPem: string } | null {
  if (!o.adeCaCert && !o.adeCaKey) return null;
  if (!o.adeCaCert || !o.adeCaKey) throw new Error('--ade-ca-cert and --ade-ca-key go together');
  return { certPem: readFileSync(o.adeCaCert, 'utf8'), keyPem: readFileSync(o.adeCaKey, 'utf8') };
}

const rssMb = () => Math.round(process.memoryUsage().rss / 1048576);

const digestOf = (v: string): 'sha1' | 'sha256' => {
  if (v !== 'sha1' && v !== 'sha256') throw new Error(`--digest must be sha256 or sha1, got ${JSON.stringify(v)}`);
  return v;
};

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
async function idleFigures(serverPid: number | null | undefined, settleMs: number): Promise<Record<string, number | null>> {
  await new Promise((r) => setTimeout(r, settleMs));
  const m = process.memoryUsage();
  return { simRssMb: rssMb(), simHeapMb: Math.round(m.heapUsed / 1048576), simHeapTotalMb: Math.round(m.heapTotal / 1048576), simExternalMb: Math.round((m.external + m.arrayBuffers) / 1048576), ...(serverPid ? { serverRssMb: procMb(serverPid) } : {}) };
}

/** The hidden `updraft sim --enroll-child`: enrolls the fleet described in UPDRAFT_SIM_ENROLL into its state
 * file (profile, SCEP, Authenticate, TokenUpdate, first Idle; pushes meanwhile answered), reports
 * progress, then its figures and wake cursor, and exits. Enrollment's OpenSSL and HTTP churn leaves
 * glibc's heap fragmented (18-25 MB that Node cannot trim): it goes away with this process. */
async function runEnrollChild(): Promise<void> {
  const send = (m: ChildMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));
  process.on('disconnect', () => process.exit(1)); // the fleet's process is gone: stop enrolling
  const o = JSON.parse(process.env.UPDRAFT_SIM_ENROLL ?? '{}') as ChildOptions;
  try {
    setFlagsFromString('--semi-space-growth-factor=1');
    const [{ Fleet }, { loadScenario }] = await Promise.all([import('../sim/fleet.js'), import('../sim/scenario.js')]);
    let last = 0;
    // With a server to measure, enrollment goes one step at a time for the whole fleet: CPU per step.
    const steps: StepFigures[] = [];
    const meter = o.serverProc ? new CpuMeter(o.serverProc.pid, o.serverProc.db) : null;
    let span: (() => CpuFigures) | null = null;
    let requests = 0;
    const onEnrollStep = (step: string, done: boolean, n: number) => {
      requests = n;
      if (!done) span = cpuSpan(meter!, () => requests);
      else steps.push({ step, ...span!() });
    };
    const fleet = await Fleet.start({
      ...o, scenario: loadScenario(o.scenario), ...(meter ? { onEnrollStep } : {}),
      onProgress: (done, total) => {
        const now = performance.now();
        if (done === total || now - last >= 100) { last = now; void send({ progress: [done, total] }); }
      },
    });
    const wakeSince = await fleet.handOver(); // a push the child took is answered here, later ones are replayed
    await fleet.stop();
    const { enrolled, enrollFailed, errors, lastError } = fleet.stats;
    await send({ done: { enrolled, enrollFailed, errors, lastError, wakeSince, steps } });
  } catch (err) {
    await send({ error: (err as Error).message });
    process.exitCode = 1;
  }
  process.exit(); // with its exit code; nothing of the fleet needs to linger (the state is written)
}

/** Enrolls in a short-lived child process (this same command), which writes the state file this
 * process then loads: a fleet loaded from a state file idles ~50 MB smaller than one enrolled here. */
function enrollInChild(o: ChildOptions, onProgress: (done: number, total: number) => void): Promise<ChildDone> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, UPDRAFT_SIM_ENROLL: JSON.stringify(o) };
    const child = fork(process.argv[1], ['sim', '--enroll-child'], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: ChildDone | null = null;
    let failure: string | null = null;
    child.on('message', (m: ChildMessage) => {
      if ('progress' in m) onProgress(...m.progress);
      else if ('done' in m) result = m.done;
      else failure = m.error;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (result) resolve(result);
      else reject(new Error(failure ?? `the enrolling process ended (${signal ?? `exit code ${code}`})`));
    });
  });
}

export async function runSim(o: SimCliOptions, out: (line: string) => void = console.log): Promise<void> {
  const count = num(o.count, '--count', 1);
  const serverPid = o.serverPid ? num(o.serverPid, '--server-pid', 1) : null;
  if (o.serverDb && !serverPid) throw new Error('--server-db goes with --server-pid');
  const serverProc = o.bench && serverPid ? { pid: serverPid, db: o.serverDb ?? null } : null;
  // V8 doubles the young generation whenever many objects survive a scavenge, as a fleet's devices
  // do while it enrolls or loads, up to 2 × 16 MB that an idle process then keeps resident. A fleet
  // lives in the old generation, so the young one stays at its first size (measured: 10,000 idle
  // devices 114 → 80-97 MB RSS, see docs/sim.md). Read by V8 at each growth, so it works at runtime.
  setFlagsFromString('--semi-space-growth-factor=1');
  const [{ Fleet }, { hammer }, { loadScenario, parseMix }] = await Promise.all([import('../sim/fleet.js'), import('../sim/load.js'), import('../sim/scenario.js')]);
  const tty = process.stderr.isTTY;
  let lastDraw = 0;
  const started = performance.now();
  const options = {
    server: o.server,
    count,
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
    digest: digestOf(o.digest),
    adeCa: adeCaOption(o),
    depUrl: o.depUrl ?? null,
    newConnectionEvery: num(o.newConnectionEvery, '--new-connection-every'),
  };
  const scenario = loadScenario(o.scenario);
  const onProgress = (done: number, total: number) => {
    const now = performance.now();
    if (done === total ? lastDraw === Infinity : now - lastDraw < 100) return; // the full bar once
    lastDraw = done === total ? Infinity : now;
    process.stderr.write(tty ? `\r${bar(done, total)}` : done === total ? `${bar(done, total)}\n` : '');
  };
  // A fleet not yet in a state file enrolls in a child process and is then loaded from the file it
  // wrote (--state, else a temporary one), so enrollment's leftovers do not stay in this process.
  const fresh = !o.state || !existsSync(o.state);
  const temp = fresh && !o.state ? mkdtempSync(join(tmpdir(), 'updraft-sim-')) : null;
  let enrolledElsewhere: ChildDone | null = null;
  let fleet: Awaited<ReturnType<typeof Fleet.start>>;
  try {
    const file = o.state ?? join(temp ?? tmpdir(), 'fleet.json');
    if (fresh) enrolledElsewhere = await enrollInChild({ ...options, scenario: o.scenario, statePath: file, serverProc }, onProgress);
    fleet = await Fleet.start({
      ...options, scenario, onProgress,
      ...(enrolledElsewhere ? { from: file, enroll: false, wakeSince: enrolledElsewhere.wakeSince ?? undefined } : {}),
    });
  } finally {
    if (temp) rmSync(temp, { recursive: true, force: true });
  }
  if (enrolledElsewhere) {
    fleet.stats.enrollFailed = enrolledElsewhere.enrollFailed;
    fleet.stats.errors += enrolledElsewhere.errors;
    fleet.stats.lastError ??= enrolledElsewhere.lastError;
  }
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
    const traffic0 = fleet.traffic;
    const meter = serverProc ? new CpuMeter(serverProc.pid, serverProc.db) : null;
    const requests = () => fleet.traffic.requests;
    const load = meter ? cpuSpan(meter, requests) : null;
    // The load's cold start (its first check-ins, up to 250) and its warm rest, measured apart.
    const coldSessions = Math.min(250, fleet.devices.length);
    let cold: CpuFigures | null = null;
    let warm: (() => CpuFigures) | null = null;
    await hammer(fleet, o.duration ? num(o.duration, '--duration') : 10, num(o.concurrency, '--concurrency', 1), meter ? {
      sessions: coldSessions,
      done: () => { cold = load!(); warm = cpuSpan(meter, requests); },
    } : undefined);
    const used = process.cpuUsage(cpu);
    const s = fleet.stats.summary();
    const simCpuMsPerRoundTrip = Number(((used.user + used.system) / 1000 / Math.max(1, Number(s.roundTrips))).toFixed(3));
    const serverCpu = load ? {
      serverCpuMsPerRoundTrip: Number((load().serverCpuMs / Math.max(1, Number(s.roundTrips))).toFixed(3)),
      serverCpuByEnrollmentStep: enrolledElsewhere?.steps ?? [],
      serverCpuCold: { checkins: coldSessions, ...cold! },
      serverCpuWarm: warm!(),
    } : {};
    out(JSON.stringify({
      ...enrollFigures, ...s, simCpuMsPerRoundTrip, idleFleet: idle,
      newConnectionEvery: options.newConnectionEvery, connectionsOpened: fleet.traffic.connections - traffic0.connections,
      ...serverCpu,
      simulatorRssMb: rssMb(), ...(serverPid ? { serverRssMb: procMb(serverPid) } : {}),
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
    .option('--digest <sha256|sha1>', 'Mdm-Signature digest: SHA-256 as Apple devices sign, or SHA-1 as mdmb does', 'sha256')
    .option('--ade-ca-cert <file>', 'PEM certificate of the device CA the server trusts for ADE (its --ade-device-ca): ADE devices enroll through /mdm/ade/enroll with a signed MachineInfo')
    .option('--ade-ca-key <file>', 'PEM private key of --ade-ca-cert')
    .option('--dep-url <url>', 'a fake DEP service (updraft fake-dep): ADE devices are listed in it and ask it where to enroll')
    .option('--bench', 'load generator: enroll, then back-to-back check-ins; print the figures')
    .option('--new-connection-every <n>', 'every n-th request says Connection: close, so the next goes on a new connection (mdmb\'s churn); 0: keep-alive only', '0')
    .option('--server-pid <pid>', 'with --bench: also report this local server process\'s resident memory and its CPU per round trip, per enrollment step (the fleet then enrolls one step at a time) and for the load\'s cold start (first 250 check-ins) and warm rest')
    .option('--server-db <name>', 'with --server-pid: count the CPU of the PostgreSQL backends serving this database (same machine) as the server\'s too')
    .addOption(new Option('--enroll-child', 'internal: enroll the fleet described in UPDRAFT_SIM_ENROLL into its state file, then exit').hideHelp())
    .action(async (o: SimCliOptions) => {
      try {
        if (o.enrollChild && process.send) return await runEnrollChild();
        await runSim(o);
      } catch (err) {
        process.stderr.write(`updraft sim: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
