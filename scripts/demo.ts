// `npm run demo`: the server, the fake APNs and 200 simulated devices (mixed-2026) in one process,
// so a newcomer without Apple hardware sees a living fleet within a minute. Options:
//   npm run demo -- [--count N] [--port P] [--data-dir DIR]
// The fleet is kept in DIR/sim-fleet.json, so the next run resumes the same devices.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_BODY_LIMIT, type Config } from '../src/config.js';
import { FakeApns } from '../src/push/fake-apns.js';
import { makeFakePushCert } from '../src/push/selfsigned.js';
import { startServer } from '../src/server.js';
import { Fleet } from '../src/sim/fleet.js';
import { loadScenario } from '../src/sim/scenario.js';

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

const url = `http://127.0.0.1:${values.port}`;
const config: Config = {
  listen: `127.0.0.1:${values.port}`, dataDir, db: 'sqlite', apiKey: '', webhookUrl: null, webhookSecret: null, publicUrl: url,
  tlsCert: null, tlsKey: null, pushTopic: null, bodyLimit: DEFAULT_BODY_LIMIT, retentionDays: 0, logLevel: 'warn', certHeader: null,
  identityOptional: false, apnsUrl: fake.url, apnsCa: join(dataDir, 'fake-apns-ca.pem'),
};
const server = await startServer(config);
const apiKey = server.deps.config.apiKey;
const auth = { authorization: `Bearer ${apiKey}` };
const imported = await fetch(`${server.url}/v1/pushcert?force=1`, { method: 'PUT', body: push.certPem + push.keyPem, headers: auth });
if (!imported.ok) throw new Error(`importing the demo push certificate: ${imported.status} ${await imported.text()}`);

// The real catalog snapshots beside the repository (../shared/catalogs), so OS update views have data.
const snapshots = fileURLToPath(new URL('../../shared/catalogs/', import.meta.url));
const catalogs: Array<[string, string]> = [['gdmf', 'gdmf_pmv_2026-08.json'], ['sofa-macos', 'sofa/v2_macos_data_feed.json'], ['sofa-ios', 'sofa/v2_ios_data_feed.json']];
for (const [kind, file] of catalogs) {
  if (!existsSync(join(snapshots, file))) continue;
  const res = await fetch(`${server.url}/v1/catalogs/${kind}?file=${basename(file)}`, { method: 'PUT', body: readFileSync(join(snapshots, file)), headers: auth });
  if (!res.ok) console.warn(`  importing the ${kind} catalog ${file}: ${res.status} ${await res.text()}`);
}

console.log(`Updraft demo: server ${server.url} (API key ${apiKey}), fake APNs ${fake.url}, wake channel ${fake.wakeUrl}`);
const count = Number(values.count);
let shown = -1;
const fleet = await Fleet.start({
  server: server.url, count, scenario: loadScenario('mixed-2026'), wakeUrl: fake.wakeUrl, interval: 120, keyType: 'ec',
  statePath: join(dataDir, 'sim-fleet.json'),
  onProgress: (done, total) => {
    const step = Math.floor((done / total) * 10);
    if (step !== shown) { shown = step; process.stdout.write(`\r  enrolling: ${done}/${total}`); }
  },
});
const by = (key: (d: (typeof fleet.devices)[number]) => string) =>
  Object.entries(fleet.devices.reduce<Record<string, number>>((acc, d) => ({ ...acc, [key(d)]: (acc[key(d)] ?? 0) + 1 }), {})).map(([k, n]) => `${k} ${n}`).join(', ');
console.log(`\n  ${fleet.stats.enrolled} devices enrolled: ${by((d) => d.platform)}; OS ${by((d) => `${d.platform === 'macos' ? 'macOS' : 'iOS'} ${d.osVersion.split('.')[0]}`)}`);

const enqueue = (requestType: string, extra: Record<string, unknown> = {}) =>
  fetch(`${server.url}/v1/enqueue`, {
    method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ ids: fleet.devices.map((d) => d.enrollmentId ?? d.udid), command: { request_type: requestType, ...extra } }),
  });
await enqueue('DeviceInformation', { queries: ['OSVersion', 'BuildVersion', 'SoftwareUpdateDeviceID', 'SerialNumber'] });
console.log('  pushed DeviceInformation to every device; try:');
console.log(`    curl -H 'Authorization: Bearer ${apiKey}' ${server.url}/v1/enrollments`);
console.log(`    npx updraft enqueue … (or POST ${server.url}/v1/enqueue) — the simulated devices answer like real ones`);

const tick = setInterval(() => {
  const s = fleet.stats.summary();
  console.log(`  [${new Date().toISOString().slice(11, 19)}] commands answered ${s.commands}, round trips ${s.roundTrips}, p50 ${s.p50ms} ms, errors ${s.errors}`);
}, 10_000);
await new Promise<void>((r) => { process.once('SIGINT', r); process.once('SIGTERM', r); });
clearInterval(tick);
await fleet.stop();
await server.close();
await fake.close();
