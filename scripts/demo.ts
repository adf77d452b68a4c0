// `npm run demo`: the server, the fake APNs, the fake DEP service and 200 simulated devices
// (mixed-2026) in one process, so a newcomer without Apple hardware sees a living fleet within a
// minute; the devices the organization bought through ABM enroll through ADE. Options:
//   npm run demo -- [--count N] [--port P] [--data-dir DIR]
// The fleet is kept in DIR/sim-fleet.json, so the next run resumes the same devices.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_BODY_LIMIT, type Config } from '../src/config.js';
import { FakeApns } from '../src/push/fake-apns.js';
import { makeFakePushCert } from '../src/push/selfsigned.js';
import { startServer } from '../src/server.js';
import { Fleet } from '../src/sim/fleet.js';
import { loadScenario } from '../src/sim/scenario.js';
import { importCatalogSnapshots, printFleetPosture } from './lib/demo-posture.js';
import { demoDeviceCa, startDemoDep, syncDemoDep } from './lib/demo-dep.js';

const { values } = parseArgs({ options: { count: { type: 'string', default: '200' }, port: { type: 'string', default: '9000' }, 'data-dir': { type: 'string', default: './demo-data' } } });
const dataDir = resolve(values['data-dir']!);
mkdirSync(dataDir, { recursive: true });

// A stand-in push certificate, kept in the data dir so the topic (and the enrolled fleet) survive a rerun.
const pushFile = join(dataDir, 'demo-push.json');
const push: { certPem: string; keyPem: string } = existsSync(pushFile)
  ? (JSON.parse(readFileSync(pushFile, 'utf8')) as { certPem: string; keyPem: string })
  : await makeFakePushCert({ topic: `com.apple.mgmt.External.${randomUUID()}` });
writeFileSync(pushFile, JSON.stringify({ certPem: push.certPem, keyPem: push.keyPem }), { mode: 0o600 });
const fake = await FakeApns.start({ trust: [push.certPem] });
writeFileSync(join(dataDir, 'fake-apns-ca.pem'), fake.ca);
const deviceCa = demoDeviceCa(dataDir); // "Apple's device CA" for ADE MachineInfo

const url = `http://127.0.0.1:${values.port}`;
const config: Config = {
  listen: `127.0.0.1:${values.port}`, dataDir, db: 'sqlite', apiKey: '', webhookUrl: null, webhookSecret: null, publicUrl: url,
  tlsCert: null, tlsKey: null, pushTopic: null, bodyLimit: DEFAULT_BODY_LIMIT, retentionDays: 0, logLevel: 'warn', certHeader: null,
  identityOptional: false, apnsUrl: fake.url, apnsCa: join(dataDir, 'fake-apns-ca.pem'), campaignPollSeconds: 300,
  // DEP syncs only when asked: the demo syncs before the fleet enrolls (at start, a rerun's DEP name
  // still points at the last run's fake DEP, gone).
  adeDeviceCaFiles: [deviceCa.certFile], depSyncSeconds: 0,
};
// Server and devices share one simulated clock, the scenario's (60× real time), so updates move in minutes.
const scenario = loadScenario('mixed-2026');
const t0 = Date.now();
const clock = () => new Date(t0 + (Date.now() - t0) * scenario.clockFactor);
const server = await startServer(config, { clock, campaignTickMs: 1000 });
const apiKey = server.deps.config.apiKey;
const auth = { authorization: `Bearer ${apiKey}` };
const imported = await fetch(`${server.url}/v1/pushcert?force=1`, { method: 'PUT', body: push.certPem + push.keyPem, headers: auth });
if (!imported.ok) throw new Error(`importing the demo push certificate: ${imported.status} ${await imported.text()}`);

const { dep } = await startDemoDep(server.url, auth);
console.log(`Updraft demo: server ${server.url} (API key ${apiKey}), fake APNs ${fake.url}, wake channel ${fake.wakeUrl}, fake DEP ${dep.url}`);
// The real catalog snapshots beside the repository (../shared/catalogs), so OS update views have data.
await importCatalogSnapshots(server.url, auth);
const count = Number(values.count);
let shown = -1;
const fleet = await Fleet.start({
  server: server.url, count, scenario: { ...scenario, start: new Date(t0).toISOString() }, wakeUrl: fake.wakeUrl, interval: 120, keyType: 'ec',
  statePath: join(dataDir, 'sim-fleet.json'),
  adeCa: { certPem: deviceCa.certPem, keyPem: deviceCa.keyPem }, depUrl: dep.url, beforeEnroll: () => syncDemoDep(server.url, auth),
  onProgress: (done, total) => {
    const step = Math.floor((done / total) * 10);
    if (step !== shown) { shown = step; process.stdout.write(`\r  enrolling: ${done}/${total}`); }
  },
});
const by = (key: (d: (typeof fleet.devices)[number]) => string) =>
  Object.entries(fleet.devices.reduce<Record<string, number>>((acc, d) => ({ ...acc, [key(d)]: (acc[key(d)] ?? 0) + 1 }), {})).map(([k, n]) => `${k} ${n}`).join(', ');
console.log(`\n  ${fleet.stats.enrolled} devices enrolled (${fleet.devices.filter((d) => d.ade).length} through ADE): ${by((d) => d.platform)}; OS ${by((d) => `${d.platform === 'macos' ? 'macOS' : 'iOS'} ${d.osVersion.split('.')[0]}`)}`);

const enqueue = (requestType: string, extra: Record<string, unknown> = {}) =>
  fetch(`${server.url}/v1/enqueue`, {
    method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ ids: fleet.devices.map((d) => d.enrollmentId ?? d.udid), command: { request_type: requestType, ...extra } }),
  });
await enqueue('DeviceInformation', { queries: ['OSVersion', 'BuildVersion', 'SoftwareUpdateDeviceID', 'SerialNumber'] });
await printFleetPosture(server.url, auth, fleet.devices.length);
console.log('  pushed DeviceInformation to every device; try:');
console.log(`    curl -H 'Authorization: Bearer ${apiKey}' ${server.url}/v1/enrollments`);
console.log(`    npx updraft enqueue … (or POST ${server.url}/v1/enqueue) — the simulated devices answer like real ones`);
console.log(`    npx updraft os status [UDID…] --server ${server.url} --api-key ${apiKey}   (GET ${server.url}/v1/os/summary, /v1/devices/{id}/os)`);
console.log(`    npx updraft dep devices --server ${server.url} --api-key ${apiKey}   (what ABM lists; GET ${server.url}/v1/ade/enrollments: who came through ADE)`);

// A small campaign: every Mac to the newest release of its major, in two waves.
await new Promise((r) => setTimeout(r, 5000)); // the inventory Updraft asked for at enrollment
const campaign = await fetch(`${server.url}/v1/campaigns`, {
  method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
  body: JSON.stringify({ name: 'demo: Macs to the newest minor', select: { platform: 'macOS' }, target: { policy: 'latest-minor' }, waves: ['25%', '100%'], promotion: { success_rate: 0.8 }, install_within_hours: 2 }),
}).then((r) => r.json() as Promise<{ id?: string; counts?: Record<string, number>; error?: string }>);
if (campaign.id) {
  console.log(`  campaign ${campaign.id} started: ${JSON.stringify(campaign.counts)}; watch it with`);
  console.log(`    npx updraft campaign show ${campaign.id} --devices   (or GET ${server.url}/v1/campaigns/${campaign.id}/devices)`);
} else console.warn(`  campaign not started: ${campaign.error}`);

const tick = setInterval(() => {
  const s = fleet.stats.summary();
  const at = clock().toISOString().slice(0, 16).replace('T', ' ');
  void (campaign.id ? fetch(`${server.url}/v1/campaigns/${campaign.id}`, { headers: auth }).then((r) => r.json() as Promise<{ counts: Record<string, number> }>) : Promise.resolve(null))
    .then((c) => console.log(`  [simulated ${at}] commands answered ${s.commands}, round trips ${s.roundTrips}, p50 ${s.p50ms} ms, errors ${s.errors}${c ? `; campaign ${JSON.stringify(c.counts)}` : ''}`))
    .catch(() => undefined);
}, 10_000);
await new Promise<void>((r) => { process.once('SIGINT', r); process.once('SIGTERM', r); });
clearInterval(tick);
await fleet.stop();
await server.close();
await fake.close();
await dep.close();
