// NanoMDM (micromdm/nanomdm, Go) under the real-client bench's client and phases (bench/client.ts), for
// issue 15's ratios: the same RSA-2048 devices, signed requests, 4 workers, rounds and cases, measured
// the same way (/proc of the server process, plus its SCEP server's during enrollment, plus the
// PostgreSQL backends of its database). NanoMDM has no SCEP server of its own: micromdm/scep's
// `scepserver` issues the identities (its CA, RSA-2048 like Updraft's, is the CA NanoMDM checks).
//
// Phases, as bench/client.ts's: enrollment (SCEP GetCACaps, GetCACert, PKIOperation against scepserver;
// Authenticate, TokenUpdate against /mdm; no profile, no DeclarativeManagement), restart, cold (the
// first 250 Idle), 3,000 uncounted warm-up Idles, the three Idle cases, the command round trip
// (ProfileList enqueued through PUT /v1/enqueue/<udid>?nopush=1, not counted; the Idle that receives it
// and its Acknowledged, counted). Peak RSS (VmHWM) of nanomdm and, separately, of scepserver.
//
// The binaries are not part of this repository (docs/performance.md says how they were built):
//   UPDRAFT_BENCH_NANOMDM=/path/to/nanomdm UPDRAFT_BENCH_SCEPSERVER=/path/to/scepserver \
//   UPDRAFT_BENCH_NANOMDM_SCHEMA=/path/to/nanomdm/storage/pgsql/schema.sql \
//   npx tsx bench/nanomdm.ts [--devices 50] [--rounds 20] [--storage filekv,file,pgsql] [--ca-bits 2048] [--skip-if-missing]
// Storages: filekv (NanoMDM's file storage), file (its older, deprecated one), pgsql (a fresh database on
// UPDRAFT_TEST_PG's server with the schema loaded; skipped unless the schema's path is given).
import { spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { buildPlist } from '../src/plist/index.js';
import { OID } from '../src/sim/pki.js';
import { CpuMeter } from '../src/sim/proc.js';
import { benchDevices, Client, coldPhase, enrollmentSteps, enrollPhases, hwmMb, idleCases, perRequest, phase, PG, reachable, roundTrips, stop, WORKERS, type Device, type Row } from './client.js';
import { benchDatabase } from './pg-database.js';
import { freePort, startProcess } from './process.js';

const API_KEY = 'bench';
const CHALLENGE = 'bench-secret';
const STORAGES = ['filekv', 'file', 'pgsql'];

export interface NanomdmBenchResult { storage: string; rows: Row[]; enrollSteps: Row[]; peakRssMb: number; scepPeakRssMb: number }

/** Both meters read as one (enrollment: nanomdm and scepserver). */
const sum = (a: CpuMeter, b: CpuMeter) => ({ read: () => { const x = a.read(); const y = b.read(); return { server: x.server + y.server, db: x.db + y.db }; } });

async function runStorage(bins: { nanomdm: string; scep: string; schema: string | null }, storage: string, devicesN: number, rounds: number, caBits: number): Promise<NanomdmBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'updraft-bench-nanomdm-'));
  const pgBench = storage === 'pgsql' ? await benchDatabase(PG, `updraft_bench_nanomdm_${process.pid}`) : null;
  let nano: ChildProcess | null = null;
  let scep: ChildProcess | null = null;
  try {
    if (pgBench) {
      const c = new pg.Client({ connectionString: pgBench.url });
      await c.connect();
      await c.query(readFileSync(bins.schema!, 'utf8')).finally(() => c.end());
    }
    // ---- the SCEP server and its CA (RSA-2048 as Updraft's unless told; scepserver's own default is 4096) ----
    const depot = join(dir, 'depot');
    execFileSync(bins.scep, ['ca', '-init', '-depot', depot, '-keySize', String(caBits)], { stdio: 'ignore' });
    const scepPort = await freePort();
    const scepUrl = `http://127.0.0.1:${scepPort}`;
    scep = await startProcess(bins.scep, ['-depot', depot, '-allowrenew', '0', '-challenge', CHALLENGE, '-http-addr', `127.0.0.1:${scepPort}`], `${scepUrl}/scep?operation=GetCACaps`, { stderr: 'tail' });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const dsn = pgBench ? `${pgBench.url}${pgBench.url.includes('?') ? '&' : '?'}sslmode=disable` : join(dir, 'db');
    const args = ['-ca', join(depot, 'ca.pem'), '-api', API_KEY, '-storage', storage, '-storage-dsn', dsn, '-listen', `127.0.0.1:${port}`,
      ...(storage === 'file' ? ['-storage-options', 'enable_deprecated=1'] : [])];
    nano = await startProcess(bins.nanomdm, args, `${url}/version`, { stderr: 'tail' });
    const meter = new CpuMeter(nano.pid!, pgBench?.name ?? null);
    const scepMeter = new CpuMeter(scep.pid!);

    const devices = benchDevices(devicesN);
    const rows: Row[] = [];
    const enrollSteps: Row[] = [];
    const row = perRequest;

    // ---- enrollment, step by step, SHA-1 and churn as mdmb ----
    const client = new Client(url, 'sha1', 10);
    const scepClient = new Client(scepUrl, 'sha1', 10);
    const enrollment = { scepUrl: `${scepUrl}/scep`, challenge: CHALLENGE, subject: [[OID.commonName, 'NanoMDM bench device']] as Array<[string, string]>, serverUrl: `${url}/mdm`, checkinUrl: `${url}/mdm`, topic: 'com.apple.mgmt.External.bench', signMessage: true, capabilities: [] };
    const { steps } = enrollmentSteps(client, url, { scep: scepClient, checkinPath: '/mdm', enrollment });
    const enrolled = await enrollPhases(sum(meter, scepMeter), devices, steps);
    enrollSteps.push(...enrolled.rows);
    rows.push(row('enrollment (SCEP + Authenticate + TokenUpdate; scepserver included)', enrolled.total, devicesN));
    client.close();
    scepClient.close();
    const scepPeakRssMb = hwmMb(scep.pid!);

    // ---- a cold server: restart on the same data ----
    const dbBefore = meter.read().db;
    await stop(nano);
    nano = await startProcess(bins.nanomdm, args, `${url}/version`, { stderr: 'tail' });
    meter.retarget(nano.pid!);
    const started = meter.read();
    const startupRow = row('restart: CPU ms from start until it answers (once, not per request)', { server: started.server, db: started.db - dbBefore }, 1);
    const idle = (c: Client) => (d: Device) => c.signed('/mdm', d, { Status: 'Idle', UDID: d.udid }, 'application/x-apple-aspen-mdm').then(() => undefined);
    const mdmb = new Client(url, 'sha1', 10);
    const coldRow = await coldPhase(meter, devices, idle(mdmb));
    // ---- warm-up, not counted (as bench/client.ts's) ----
    for (let r = 0, n = Math.ceil(3000 / devicesN); r < n; r++) await phase(meter, devices, idle(mdmb));

    // ---- warm cases ----
    rows.push(...(await idleCases(meter, devices, rounds, mdmb, idle)));

    // ---- command round trips (command out, result in) ----
    const auth = { authorization: `Basic ${Buffer.from(`nanomdm:${API_KEY}`).toString('base64')}`, 'content-type': 'application/xml' };
    rows.push(await roundTrips(meter, devices, rounds, mdmb, '/mdm', async (d) => {
      const body = Buffer.from(buildPlist({ CommandUUID: randomUUID(), Command: { RequestType: 'ProfileList' } }));
      const q = await mdmb.request('PUT', `/v1/enqueue/${d.udid}?nopush=1`, body, auth);
      if (q.status < 200 || q.status > 299) throw new Error(`enqueue answered ${q.status}: ${q.body.toString().slice(0, 200)}`);
    }));
    rows.push(coldRow, startupRow);
    mdmb.close();
    return { storage, rows, enrollSteps, peakRssMb: hwmMb(nano.pid!), scepPeakRssMb };
  } finally {
    if (nano) await stop(nano);
    if (scep) await stop(scep);
    rmSync(dir, { recursive: true, force: true });
    await pgBench?.drop();
  }
}

/**
 * Runs the bench on each storage. Without the binaries it says so and fails (`skipIfMissing`: prints
 * why and returns, for `npm run bench` with no names).
 */
export async function benchNanomdm(opts: { devices?: number; rounds?: number; storages?: string[]; caBits?: number; skipIfMissing?: boolean } = {}): Promise<NanomdmBenchResult[]> {
  const nanomdm = process.env.UPDRAFT_BENCH_NANOMDM;
  const scep = process.env.UPDRAFT_BENCH_SCEPSERVER;
  const schema = process.env.UPDRAFT_BENCH_NANOMDM_SCHEMA ?? null;
  const missing = [['UPDRAFT_BENCH_NANOMDM', nanomdm], ['UPDRAFT_BENCH_SCEPSERVER', scep]].filter(([, p]) => !p || !existsSync(p)).map(([n, p]) => `${n}${p ? ` (${p}: no such file)` : ''}`);
  if (missing.length) {
    const why = `the NanoMDM bench needs the nanomdm and scepserver binaries (built outside this repository, see docs/performance.md): set ${missing.join(' and ')}`;
    if (opts.skipIfMissing) { console.log(`skipped: ${why}`); return []; }
    throw new Error(why);
  }
  const devices = opts.devices ?? 50;
  const rounds = opts.rounds ?? 20;
  let storages = opts.storages ?? ['filekv', 'pgsql'];
  const bad = storages.filter((s) => !STORAGES.includes(s));
  if (bad.length) throw new Error(`unknown storage ${bad.join(', ')}; choose from ${STORAGES.join(', ')}`);
  if (storages.includes('pgsql') && (!schema || !(await reachable(PG)))) {
    const why = !schema ? 'set UPDRAFT_BENCH_NANOMDM_SCHEMA to NanoMDM\'s storage/pgsql/schema.sql' : `PostgreSQL at ${PG} is not reachable`;
    if (!opts.storages) { console.log(`pgsql skipped: ${why}`); storages = storages.filter((s) => s !== 'pgsql'); } else throw new Error(`pgsql: ${why}`);
  }
  const out: NanomdmBenchResult[] = [];
  for (const storage of storages) {
    const r = await runStorage({ nanomdm: nanomdm!, scep: scep!, schema }, storage, devices, rounds, opts.caBits ?? 2048);
    out.push(r);
    const pgPart = storage === 'pgsql';
    console.log(`\nNanoMDM, ${storage} storage${opts.caBits && opts.caBits !== 2048 ? ` (SCEP CA RSA-${opts.caBits})` : ''}: ${devices} devices (RSA-2048, signed), ${WORKERS} workers, ${rounds} rounds; server CPU ms per request${pgPart ? ' (incl. the PostgreSQL backends; their part in brackets)' : ''}`);
    const line = (indent: string, [name, ms, db]: Row) => console.log(`${indent}${name.padEnd(68 - indent.length)} ${ms.toFixed(3).padStart(8)}${pgPart ? ` [${db.toFixed(3)}]` : ''}`);
    for (const r0 of r.rows) line('  ', r0);
    console.log('  enrollment by step:');
    for (const r0 of r.enrollSteps) line('    ', r0);
    console.log(`  peak RSS: nanomdm ${r.peakRssMb} MB, scepserver ${r.scepPeakRssMb} MB`);
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && !process.execArgv.includes('--openssl-legacy-provider')) {
  // scepserver's CertRep is DES-CBC, which OpenSSL 3 keeps in its legacy provider: run again with it
  const r = spawnSync(process.execPath, ['--openssl-legacy-provider', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (n: string) => { const i = process.argv.indexOf(n); return i > 0 ? process.argv[i + 1] : undefined; };
  const num = (n: string) => (arg(n) === undefined ? undefined : Number(arg(n)));
  try {
    await benchNanomdm({ devices: num('--devices'), rounds: num('--rounds'), storages: arg('--storage')?.split(','), caBits: num('--ca-bits'), skipIfMissing: process.argv.includes('--skip-if-missing') });
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
