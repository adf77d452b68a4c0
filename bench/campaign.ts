// OS update campaign benchmark on a simulated clock: one Updraft (SQLite, in this process) with the
// shipped catalogs imported, a simulated fleet (RSA-2048 identities, signed requests, pushes through
// the fake APNs), and a campaign to the newest release each device can take, with a deadline. Server
// and simulator share one clock running --factor times real time. Prints the outcome (share of the
// eligible devices on the target after 1, 3 and 7 simulated days and by the deadline), commands per
// device against the fewest the protocol needs, how often the dry run predicted a device's final
// state, the wall time to all done, the server's CPU per device and its RSS. The simulator runs in a
// child process (bench/campaign-fleet.ts) that follows the bench's clock; its CPU is printed apart.
//
// Run: npx tsx bench/campaign.ts [--count 1000] [--factor 3000] [--days 7] [--scenario mixed-2026]
import 'reflect-metadata';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { DEFAULT_BODY_LIMIT } from '../src/config.js';
import { FakeApns } from '../src/push/fake-apns.js';
import { makeFakePushCert } from '../src/push/selfsigned.js';
import { startServer } from '../src/server.js';
import { fork } from 'node:child_process';
import type { FromFleet, SimDevice, ToFleet } from './campaign-fleet.js';

const { values } = parseArgs({ options: {
  count: { type: 'string', default: '1000' }, factor: { type: 'string', default: '3000' }, days: { type: 'string', default: '7' },
  scenario: { type: 'string', default: 'mixed-2026' }, dump: { type: 'string' },
} });
const count = Number(values.count);
const factor = Number(values.factor);
const days = Number(values.days);
const DAY = 86_400_000;
const root = fileURLToPath(new URL('..', import.meta.url));
const catalogs = join(root, '../shared/catalogs');
if (!existsSync(join(catalogs, 'gdmf_pmv_2026-08.json'))) throw new Error(`no catalogs at ${catalogs} (../shared beside the repository): the dry run would have no catalog to plan with`);

// One simulated clock for server and simulator. It runs --factor times real time while this process
// keeps up and slows when it does not: every 20 ms tick credits at most 40 ms of real time, so time the
// process spends starved (a loaded machine, a long engine pass blocking the event loop) is not counted
// as simulated time in which devices and engine could have worked. The factor achieved is printed.
const t0 = Date.now();
let simElapsed = 0;
let lastTick = performance.now();
const CREDIT = 40;
const ticker = setInterval(() => {
  const now = performance.now();
  simElapsed += Math.min(now - lastTick, CREDIT) * factor;
  lastTick = now;
}, 20);
ticker.unref();
const simNow = () => t0 + simElapsed + Math.min(performance.now() - lastTick, CREDIT) * factor;
const clock = () => new Date(simNow());
const dataDir = mkdtempSync(join(tmpdir(), 'updraft-bench-campaign-'));
const KEY = 'bench-key';
const made = await makeFakePushCert({ topic: 'com.apple.mgmt.External.5e3c1a2b-5a11-4c8e-8a63-dd17d3dd35d9' });
const fake = await FakeApns.start({ trust: [made.certPem] });
writeFileSync(join(dataDir, 'apns-ca.pem'), fake.ca);
const server = await startServer({
  listen: '127.0.0.1:0', dataDir, db: 'sqlite', apiKey: KEY, webhookUrl: null, webhookSecret: null, publicUrl: 'http://127.0.0.1', tlsCert: null, tlsKey: null,
  pushTopic: null, bodyLimit: DEFAULT_BODY_LIMIT, retentionDays: 0, logLevel: 'error', certHeader: null, identityOptional: false,
  apnsUrl: fake.url, apnsCa: join(dataDir, 'apns-ca.pem'), campaignPollSeconds: 300, repushIntervalSeconds: 3600,
}, { clock, campaignTickMs: 100, logger: pino({ level: 'error' }) });
const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(server.url + path, {
    method, headers: { authorization: `Bearer ${KEY}`, ...(body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body) ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
};
const simDay = () => (clock().getTime() - campaignStart) / DAY;
let campaignStart = 0;
let child: ReturnType<typeof fork> | null = null;
let clockFeed: NodeJS.Timeout | undefined;
const peakRssMb = () => Math.round(Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024);

try {
  await api('PUT', '/v1/pushcert', made.certPem + made.keyPem);
  for (const [kind, file] of [['gdmf', 'gdmf_pmv_2026-08.json'], ['sofa-macos', 'sofa/v2_macos_data_feed.json'], ['sofa-ios', 'sofa/v2_ios_data_feed.json']] as const) {
    await api('PUT', `/v1/catalogs/${kind}?force=1`, readFileSync(join(catalogs, file)));
  }
  const enrollStart = Date.now();
  child = fork(fileURLToPath(new URL('./campaign-fleet.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const tell = (m: ToFleet) => { if (child?.connected) child.send(m); };
  const ask = <T extends FromFleet['type']>(type: T) => new Promise<Extract<FromFleet, { type: T }>>((resolve, reject) => {
    const on = (m: FromFleet) => {
      if (m.type === 'error') reject(new Error(`simulator: ${m.message}`));
      else if (m.type === type) resolve(m as Extract<FromFleet, { type: T }>);
      else return;
      child!.off('message', on);
    };
    child!.on('message', on);
  });
  clockFeed = setInterval(() => tell({ type: 'clock', t: simNow() }), 20);
  const started = ask('started');
  tell({ type: 'start', server: server.url, count, scenario: values.scenario!, start: new Date(t0).toISOString(), factor, wakeUrl: fake.wakeUrl, clock: simNow() });
  const simDevices: SimDevice[] = (await started).devices;
  const enrollSeconds = (Date.now() - enrollStart) / 1000;
  // Let the inventory queries Updraft sends at enrollment come back (the dry run plans from them): until
  // every enrolled device has answered DeviceInformation, or ten minutes.
  for (const until = Date.now() + 600_000; Date.now() < until;) {
    await new Promise((r) => setTimeout(r, 2000));
    const ids = simDevices.filter((d) => d.enrolled).map((d) => d.id);
    const answered = (await server.deps.store.listInventory(ids)).filter((i) => i.informationAt).length;
    if (answered >= ids.length) break;
  }

  const deadline = new Date(clock().getTime() + days * DAY).toISOString().slice(0, 16);
  const body = { name: 'bench', select: { all: true }, target: { policy: 'latest' }, deadline };
  const dry = await api('POST', '/v1/campaigns', { ...body, dry_run: true });
  const predicted = new Map<string, string>(dry.devices.map((d: { enrollment_id: string; state: string }) => [d.enrollment_id, d.state === 'pending' ? 'done' : d.state]));
  const eligible = [...predicted.entries()].filter(([, s]) => s === 'done').map(([id]) => id);
  const cpu0 = process.cpuUsage();
  const wall0 = Date.now();
  const sim0 = simNow();
  campaignStart = clock().getTime();
  const created = await api('POST', '/v1/campaigns', body);
  const id = created.id as string;

  const list = async (): Promise<Array<{ enrollment_id: string; state: string; reason: string; path: string | null }>> => {
    const out = [];
    for (let after = ''; ;) {
      const page = await api('GET', `/v1/campaigns/${id}/devices?limit=5000${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      out.push(...page.devices);
      if (!page.next) return out;
      after = page.next;
    }
  };
  const share = async () => {
    const done = new Set((await list()).filter((d) => d.state === 'done').map((d) => d.enrollment_id));
    return eligible.length ? eligible.filter((e) => done.has(e)).length / eligible.length : 1;
  };
  const marks: Record<string, number> = {};
  let allDoneWall: number | null = null;
  let settled: { wallSeconds: number; simulatedDays: number } | null = null;
  const SETTLED = new Set(['done', 'blocked', 'not_eligible', 'failed', 'cancelled']);
  for (const mark of [1, 3, days]) {
    while (simDay() < mark) {
      await new Promise((r) => setTimeout(r, 200));
      if (allDoneWall === null) {
        const c = await api('GET', `/v1/campaigns/${id}`);
        if (c.state === 'done') allDoneWall = (Date.now() - wall0) / 1000;
        // Settled: no device waiting or working (blocked ones wait for the deadline, when the campaign ends).
        const moving = Object.entries(c.counts as Record<string, number>).filter(([state]) => !SETTLED.has(state)).reduce((n, [, k]) => n + k, 0);
        if (settled === null && moving === 0) settled = { wallSeconds: (Date.now() - wall0) / 1000, simulatedDays: Math.round(simDay() * 100) / 100 };
      }
    }
    marks[`day${mark}`] = await share();
  }
  const cpu = process.cpuUsage(cpu0);
  const dumped = ask('dump');
  tell({ type: 'dump' });
  const { devices: simEnd, cpuMs: simCpuMs } = await dumped;
  const final = await list();
  const byState: Record<string, number> = {};
  for (const d of final) byState[d.state] = (byState[d.state] ?? 0) + 1;
  const byId = new Map(simEnd.map((d) => [d.id, d]));
  if (values.dump) {
    const plan = new Map<string, unknown>(dry.devices.map((d: { enrollment_id: string }) => [d.enrollment_id, d]));
    const rows = await server.deps.store.campaignDevices(id, { limit: 100000 });
    writeFileSync(values.dump, JSON.stringify(final.map((d) => ({ ...d, planned: plan.get(d.enrollment_id), row: rows.find((r) => r.deviceId === d.enrollment_id), sim: byId.get(d.enrollment_id)?.sim })), null, 1));
  }
  const hits = final.filter((d) => predicted.get(d.enrollment_id) === d.state).length;
  const misses = final.filter((d) => predicted.get(d.enrollment_id) !== d.state).slice(0, 8).map((d) => ({ predicted: predicted.get(d.enrollment_id), state: d.state, reason: d.reason }));

  // Commands the campaign sent per device that updated, against the fewest each path needs
  // (legacy macOS: scan, list, schedule; iOS/iPadOS: list, schedule, schedule again to install; DDM: a sync
  // to declare the enforcement and one to withdraw it).
  const store = server.deps.store;
  let sent = 0;
  let fewest = 0;
  const ENGINE = new Set(['ScheduleOSUpdateScan', 'AvailableOSUpdates', 'ScheduleOSUpdate', 'OSUpdateStatus', 'DeclarativeManagement']);
  for (const d of final.filter((x) => x.state === 'done' && x.path)) {
    const q = await store.listQueue(d.enrollment_id, { includeDone: true, limit: 1000 });
    sent += q.filter((e) => ENGINE.has(e.requestType) && e.createdAt.getTime() >= campaignStart).length;
    fewest += d.path === 'ddm' ? 2 : 3;
  }
  console.log(JSON.stringify({
    devices: count, clockFactor: factor, effectiveClockFactor: Math.round((simNow() - sim0) / (Date.now() - wall0)), enrollSeconds, eligible: eligible.length, states: byState,
    onTarget: { ...marks, byDeadline: marks[`day${days}`] },
    allSettled: settled, campaignDoneWallSeconds: allDoneWall, commandsPerUpdatedDevice: sent / Math.max(1, final.filter((x) => x.state === 'done' && x.path).length),
    commandsVsFewest: fewest ? sent / fewest : null,
    dryRunPredicted: hits / final.length, mispredicted: misses,
    serverCpuMsPerDevice: (cpu.user + cpu.system) / 1000 / count, serverRssMb: Math.round(process.memoryUsage().rss / 1048576), serverPeakRssMb: peakRssMb(),
    simulatorCpuMsPerDevice: simCpuMs / count,
  }, null, 2));
  clearInterval(clockFeed);
  const stopped = ask('stopped');
  tell({ type: 'stop' });
  await stopped;
} finally {
  clearInterval(clockFeed);
  child?.kill();
  await server.close();
  await fake.close();
  rmSync(dataDir, { recursive: true, force: true });
}
