// Node's floor under the real-client bench (issue 15): bench/floor-server.mjs, the smallest correct Node
// MDM server for the Idle check-in and the command round trip (node:http, a hand-written CMS and plist
// reader, node:crypto, better-sqlite3; nothing of Updraft's), run with plain `node` in its own process
// and driven by bench/client.ts's client and phases: the same RSA-2048 devices (self-signed identities,
// registered over a setup route: no SCEP in the floor), signed requests, 4 workers, rounds and cases.
// What Updraft costs above these figures is Updraft's; what the floor costs, any Node server pays.
//
// Phases: register the devices (not counted), restart (a cold process), cold (the first 250 Idle),
// 3,000 uncounted warm-up Idles, the three Idle cases, the command round trip (a ProfileList enqueued
// through PUT /floor/enqueue/<udid>, not counted; the Idle that receives it and its Acknowledged,
// counted). Peak RSS (VmHWM) and RSS once started.
// References: a bare node:http server that answers every request 200 with an empty body (no signature,
// no database) under the same cold phase, warm-up and Idle cases; the RSS of `node -e "setInterval(...)"`
// and of that bare server once started.
//
// Run: npx tsx bench/floor.ts [--devices 50] [--rounds 20]
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPlist } from '../src/plist/index.js';
import { selfSignedCert } from '../src/sim/pki.js';
import { CpuMeter, procMb } from '../src/sim/proc.js';
import { freePort, startProcess } from './process.js';
import { benchDevices, Client, coldPhase, hwmMb, idleCases, perRequest, phase, roundTrips, stop, WORKERS, type Device, type Row } from './client.js';

const SERVER = fileURLToPath(new URL('./floor-server.mjs', import.meta.url));
const BARE_HTTP = "require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => s.end()); }).listen(Number(process.argv[1]), '127.0.0.1')";
const rssMb = (pid: number) => procMb(pid) ?? 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `node args`, plain (no tsx, no loader), once `probe` answers. */
const startNode = (args: string[], probe: string) => startProcess(process.execPath, args, probe, { stderr: 'inherit' });

export interface FloorResult { rows: Row[]; startedRssMb: number; peakRssMb: number; bare: { rows: Row[]; startedRssMb: number; peakRssMb: number }; nodeIdleRssMb: number }

/** Cold phase, warm-up and Idle cases against `url` on `path` (the server just started). */
async function idlePhases(meter: CpuMeter, url: string, path: string, devices: Device[], rounds: number): Promise<{ cold: Row; idle: Row[]; mdmb: Client }> {
  const idle = (c: Client) => (d: Device) => c.signed(path, d, { Status: 'Idle', UDID: d.udid }, 'application/x-apple-aspen-mdm').then(() => undefined);
  const mdmb = new Client(url, 'sha1', 10);
  const cold = await coldPhase(meter, devices, idle(mdmb));
  for (let r = 0, n = Math.ceil(3000 / devices.length); r < n; r++) await phase(meter, devices, idle(mdmb)); // warm-up, not counted
  return { cold, idle: await idleCases(meter, devices, rounds, mdmb, idle), mdmb };
}

async function runFloor(devices: Device[], rounds: number): Promise<Pick<FloorResult, 'rows' | 'startedRssMb' | 'peakRssMb'>> {
  const dir = mkdtempSync(join(tmpdir(), 'updraft-bench-floor-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [SERVER, join(dir, 'floor.sqlite'), String(port)];
  let server = await startNode(args, `${url}/floor/health`);
  try {
    // ---- setup, not counted: every device's certificate registered for its UDID ----
    const setup = new Client(url, 'sha1', 0);
    const list = devices.map((d) => ({ udid: d.udid, cert: d.cert!.toString('base64') }));
    const r = await setup.request('POST', '/floor/devices', Buffer.from(JSON.stringify(list)), { 'content-type': 'application/json' });
    if (r.status !== 200) throw new Error(`registration answered ${r.status}`);
    setup.close();

    // ---- a cold server: restart on the same data ----
    await stop(server);
    server = await startNode(args, `${url}/floor/health`);
    const startedRssMb = rssMb(server.pid!);
    const meter = new CpuMeter(server.pid!);
    const startup = perRequest('restart: CPU ms from start until it answers (once, not per request)', meter.read(), 1);
    const { cold, idle, mdmb } = await idlePhases(meter, url, '/mdm/connect', devices, rounds);

    // ---- command round trips (command out, result in) ----
    const rt = await roundTrips(meter, devices, rounds, mdmb, '/mdm/connect', async (d) => {
      const body = Buffer.from(buildPlist({ CommandUUID: randomUUID(), Command: { RequestType: 'ProfileList' } }));
      const q = await mdmb.request('PUT', `/floor/enqueue/${d.udid}`, body, { 'content-type': 'application/xml' });
      if (q.status !== 201) throw new Error(`enqueue answered ${q.status}`);
    });
    mdmb.close();
    return { rows: [...idle, rt, cold, startup], startedRssMb, peakRssMb: hwmMb(server.pid!) };
  } finally {
    await stop(server);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runBare(devices: Device[], rounds: number): Promise<FloorResult['bare']> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await startNode(['-e', BARE_HTTP, String(port)], url);
  try {
    const startedRssMb = rssMb(server.pid!);
    const meter = new CpuMeter(server.pid!);
    const startup = perRequest('restart: CPU ms from start until it answers (once, not per request)', meter.read(), 1);
    const { cold, idle, mdmb } = await idlePhases(meter, url, '/mdm/connect', devices, rounds);
    mdmb.close();
    return { rows: [...idle, cold, startup], startedRssMb, peakRssMb: hwmMb(server.pid!) };
  } finally {
    await stop(server);
  }
}

/** RSS of `node -e "setInterval(() => {}, 1000)"` a second after it started. */
async function nodeIdleRss(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await sleep(1000);
  const mb = rssMb(child.pid!);
  await stop(child);
  return mb;
}

export async function benchFloor(opts: { devices?: number; rounds?: number } = {}): Promise<FloorResult> {
  const n = opts.devices ?? 50;
  const rounds = opts.rounds ?? 20;
  const devices = benchDevices(n, 'FLOOR');
  for (const d of devices) d.cert = selfSignedCert(d.key, d.udid, new Date());
  const floor = await runFloor(devices, rounds);
  const bare = await runBare(devices, rounds);
  const nodeIdleRssMb = await nodeIdleRss();
  const line = (name: string, floorMs: number | null, bareMs: number | null) =>
    console.log(`  ${name.padEnd(66)} ${floorMs === null ? '' .padStart(8) : floorMs.toFixed(3).padStart(8)} ${bareMs === null ? '' : bareMs.toFixed(3).padStart(8)}`);
  console.log(`\nNode's floor (${process.version}), bench/floor-server.mjs under the real client: ${n} devices (RSA-2048, signed), ${WORKERS} workers, ${rounds} rounds; server CPU ms per request`);
  console.log(`  ${''.padEnd(66)} ${'floor'.padStart(8)} ${'bare 200'.padStart(8)}`);
  for (const [name, ms] of floor.rows) line(name, ms, bare.rows.find(([b]) => b === name)?.[1] ?? null);
  console.log(`  peak RSS (VmHWM): floor ${floor.peakRssMb} MB, bare node:http ${bare.peakRssMb} MB`);
  console.log(`  RSS once started: floor ${floor.startedRssMb} MB, bare node:http ${bare.startedRssMb} MB, node -e "setInterval(...)" ${nodeIdleRssMb} MB`);
  return { ...floor, bare, nodeIdleRssMb };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (n: string) => { const i = process.argv.indexOf(n); return i > 0 ? Number(process.argv[i + 1]) : undefined; };
  await benchFloor({ devices: arg('--devices'), rounds: arg('--rounds') });
}
