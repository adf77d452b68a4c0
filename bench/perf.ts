// Where the server's CPU goes, as the kernel counts it: Linux `perf` samples the `updraft serve` process
// on CPU (its JavaScript named through `--perf-basic-prof`, the kernel, OpenSSL, SQLite, V8 builtins)
// while the bench client drives one phase. V8's own `--cpu-prof` samples wall-clock time of the main
// thread: on a busy machine it charges the time the process waits to be scheduled (after a socket write
// wakes the client, say) to whatever native call was on the stack, and it misses the kernel and V8's
// background threads. This one counts only time on CPU, every thread included.
//
// Run: npx tsx bench/perf.ts [--phase idle|roundtrip|results|enroll|scep] [--devices 50] [--seconds 8] [--pg] [--no-build] [--top 40]
//   results: each device answers command after command (an Acknowledged whose answer is the next
//   command), its queue filled beforehand (POST /v1/enqueue, before the profile starts): the device
//   side of a round trip without the API's enqueue in the samples.
//   [--keep DIR]: keeps perf.data and the JIT symbol map there, for `perf report -i DIR/perf.data` / `perf script`.
// Needs `perf` (Debian: linux-perf) and permission to profile (root, or kernel.perf_event_paranoid <= 1).
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchDevices, Client, enrollmentSteps, PG, root, startServer, stop, WORKERS, type Device } from './client.js';
import { benchDatabase } from './pg-database.js';

const opt = (n: string, d: string) => { const i = process.argv.indexOf(n); return i > 0 ? process.argv[i + 1]! : d; };
const phaseName = opt('--phase', 'idle');
const devicesN = Number(opt('--devices', '50'));
const seconds = Number(opt('--seconds', '8'));
const top = Number(opt('--top', '40'));
const keep = opt('--keep', '');
if (!['idle', 'roundtrip', 'results', 'enroll', 'scep'].includes(phaseName)) throw new Error(`--phase: idle, roundtrip, results, enroll or scep, not ${phaseName}`);
try { execFileSync('perf', ['--version'], { stdio: 'ignore' }); } catch { throw new Error('bench/perf.ts needs Linux perf on PATH (Debian: apt-get install linux-perf)'); }
if (!process.argv.includes('--no-build')) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });

const dir = mkdtempSync(join(tmpdir(), 'updraft-perf-'));
const pgBench = process.argv.includes('--pg') ? await benchDatabase(PG, `updraft_perf_${process.pid}`) : null;
process.env.UPDRAFT_BENCH_SERVER_NODE_ARGS = `--perf-basic-prof ${process.env.UPDRAFT_BENCH_SERVER_NODE_ARGS ?? ''}`;
const server = await startServer({ UPDRAFT_DATA_DIR: dir, UPDRAFT_DB: pgBench?.url ?? join(dir, 'updraft.db') });
const pid = server.child.pid!;
const client = new Client(server.url, 'sha1', 10);
const mdm = (d: Device, msg: Record<string, unknown>) => client.signed('/mdm/connect', d, { UDID: d.udid, ...msg }, 'application/x-apple-aspen-mdm');
const uuidOf = (b: Buffer) => /<key>CommandUUID<\/key>\s*<string>([^<]+)<\/string>/.exec(b.toString())?.[1];
const auth = { authorization: `Basic ${Buffer.from('updraft:bench').toString('base64')}`, 'content-type': 'application/json' };

/** One unit of the phase's traffic for a device (an enrollment enrolls a new device each time). */
const newcomers = phaseName === 'enroll' ? benchDevices(20_000, 'PERFNEW') : [];
let fresh = 0;
const { steps, pkcsReq } = enrollmentSteps(client, server.url);
let txs = 0;
const pending = new Map<string, string>(); // results: the command each device holds
const unit: Record<string, (d: Device) => Promise<void>> = {
  idle: async (d) => { await mdm(d, { Status: 'Idle' }); },
  // the enqueue is part of the profile too: its stacks (the API route) tell it apart
  roundtrip: async (d) => {
    await client.request('POST', '/v1/commands', Buffer.from(JSON.stringify({ udid: d.udid, request_type: 'ProfileList' })), auth);
    const uuid = uuidOf(await mdm(d, { Status: 'Idle' }));
    if (uuid) await mdm(d, { Status: 'Acknowledged', CommandUUID: uuid, ProfileList: [] });
  },
  // the answer to a result is the next queued command, as long as the queue lasts
  results: async (d) => {
    const uuid = pending.get(d.udid) ?? uuidOf(await mdm(d, { Status: 'Idle' }));
    if (!uuid) throw new Error('results: the queue ran dry (raise QUEUED or lower --seconds)');
    const next = uuidOf(await mdm(d, { Status: 'Acknowledged', CommandUUID: uuid, ProfileList: [] }));
    if (next) pending.set(d.udid, next);
    else pending.delete(d.udid);
  },
  enroll: async () => { const d = newcomers[fresh++]!; for (const [, fn] of steps) await fn(d); },
  // a PKCSReq with a new transactionID each time (the client's signing is outside the server's profile)
  scep: async (d) => {
    const r = await client.request('POST', '/scep?operation=PKIOperation', pkcsReq(d, `perf-${process.pid}-${txs++}`), { 'content-type': 'application/x-pki-message' });
    if (r.status !== 200) throw new Error(`PKIOperation answered ${r.status}`);
  },
};

try {
  const devices = benchDevices(devicesN, 'PERF');
  for (const [, fn] of steps) for (const d of devices) await fn(d);
  for (const d of devices) for (let u = uuidOf(await mdm(d, { Status: 'Idle' })); u;) u = uuidOf(await mdm(d, { Status: 'Acknowledged', CommandUUID: u }));
  if (phaseName === 'results') {
    // enough for the warm-up and the profile at ~2,000 results a second (one command for the whole fleet per enqueue)
    const queued = Math.ceil(((3 + seconds) * 2500) / devices.length) + 50;
    const ids = devices.map((d) => d.udid);
    for (let i = 0; i < queued; i++) {
      const r = await client.request('POST', '/v1/enqueue', Buffer.from(JSON.stringify({ ids, command: { request_type: 'ProfileList' }, nopush: true })), auth);
      if (r.status >= 300) throw new Error(`enqueue answered ${r.status}: ${r.body.toString().slice(0, 200)}`);
    }
  }
  let running = true;
  let done = 0;
  const load = (async () => {
    let next = 0;
    await Promise.all(Array.from({ length: WORKERS }, async () => { while (running) { await unit[phaseName]!(devices[next++ % devices.length]!); done++; } }));
  })();
  await new Promise((r) => setTimeout(r, 3000)); // past the first requests' compilation
  const data = join(dir, 'perf.data');
  const before = done;
  await new Promise<void>((resolve, reject) => spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-F', '1999', '-g', '-p', String(pid), '-o', data, '--', 'sleep', String(seconds)], { stdio: 'inherit' })
    .on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`perf record exited ${c}`)))));
  const units = done - before;
  running = false;
  await load;
  const report = (...a: string[]) => execFileSync('perf', ['report', '-i', data, '--stdio', '-g', 'none', ...a], { encoding: 'utf8', maxBuffer: 64 << 20 })
    .split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  console.log(`perf, ${pgBench ? 'postgres' : 'sqlite'}, phase ${phaseName}: ${units} units in ${seconds} s, ${devicesN} devices, ${WORKERS} workers (server process only, every thread)`);
  console.log('by object (self):');
  for (const l of report('--no-children', '--sort', 'dso').slice(0, 8)) console.log(`  ${l.trim()}`);
  console.log(`top ${top} symbols (self):`);
  for (const l of report('--no-children', '--sort', 'sym').slice(0, top)) console.log(`  ${l.trim()}`);
  console.log(`top ${top} JavaScript frames (with what they call):`);
  for (const l of report('--children', '--sort', 'sym').filter((x) => x.includes('JS:')).slice(0, top)) console.log(`  ${l.trim()}`);
  if (keep) {
    mkdirSync(keep, { recursive: true });
    copyFileSync(data, join(keep, 'perf.data'));
    copyFileSync(`/tmp/perf-${pid}.map`, join(keep, `perf-${pid}.map`)); // perf report looks for it in /tmp: copy it back there to read the data
    console.log(`kept: ${keep}/perf.data (server pid ${pid})`);
  }
} finally {
  client.close();
  await stop(server.child);
  rmSync(dir, { recursive: true, force: true });
  rmSync(`/tmp/perf-${pid}.map`, { force: true }); // --perf-basic-prof's symbol map
  await pgBench?.drop();
}
