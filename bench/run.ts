// `npm run bench`: every benchmark in one run, each printing its figures beside its baseline
// (another library, or a bare HTTP route) measured in the same run. Pass names to run a subset:
// npm run bench -- plist connect
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchPlist } from './plist.js';
import { benchStorage } from './storage.js';
import { benchIdentity } from './identity.js';
import { benchPush } from './push.js';
import { benchConnect } from './connect.js';
import { benchClient } from './client.js';
import { benchFloor } from './floor.js';
import { benchMemory } from './memory.js';
import { benchScep } from './scep.js';
import { benchEnqueue } from './enqueue.js';
import { benchDevices } from './devices.js';
import { benchCatalog } from './catalog.js';
import { benchPosture } from './posture.js';
import { benchUi } from './ui.js';
import { benchNodes } from './nodes.js';

/** The simulator bench runs server and simulator as compiled commands in their own processes. */
const benchSim = async (): Promise<void> => {
  const script = fileURLToPath(new URL('./sim.ts', import.meta.url));
  execFileSync(process.execPath, ['--import', 'tsx', script, '--count', '1000', '--seconds', '5'], { stdio: 'inherit' });
};

/**
 * The campaign bench runs in its own process (simulated clock; the server in it, the fleet in a child):
 * the outcome figures on 1,000 devices with their quirks, and the scale run on 10,000 at ×1000.
 */
const benchCampaign = (count: number, factor: number) => async (): Promise<void> => {
  const script = fileURLToPath(new URL('./campaign.ts', import.meta.url));
  execFileSync(process.execPath, ['--import', 'tsx', script, '--count', String(count), '--factor', String(factor)], { stdio: 'inherit' });
};

/**
 * NanoMDM under the real client's phases (bench/nanomdm.ts, its own process: node's OpenSSL legacy
 * provider for scepserver's DES). Needs UPDRAFT_BENCH_NANOMDM and UPDRAFT_BENCH_SCEPSERVER: named, it
 * fails without them; in a run of every benchmark it is skipped.
 */
const benchNanomdm = (skipIfMissing: boolean) => async (): Promise<void> => {
  const script = fileURLToPath(new URL('./nanomdm.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', script, ...(skipIfMissing ? ['--skip-if-missing'] : [])], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1); // it said why
};

const wanted = process.argv.slice(2);
const benches: Record<string, () => Promise<unknown>> = {
  plist: benchPlist,
  storage: benchStorage,
  identity: () => benchIdentity(),
  push: benchPush,
  enqueue: benchEnqueue,
  devices: benchDevices,
  connect: () => benchConnect(),
  client: () => benchClient(),
  floor: () => benchFloor(),
  memory: () => benchMemory(),
  scep: () => benchScep(),
  catalog: () => benchCatalog(),
  posture: () => benchPosture(),
  ui: () => benchUi(),
  nodes: () => benchNodes(),
  sim: benchSim,
  campaign: benchCampaign(1000, 1000),
  'campaign-10k': benchCampaign(10000, 1000),
  nanomdm: benchNanomdm(!wanted.includes('nanomdm')),
};

for (const name of wanted) {
  if (!(name in benches)) {
    console.error(`unknown benchmark ${JSON.stringify(name)}; choose from: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
}
for (const [name, run] of Object.entries(benches)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  console.log(`\n## ${name}`);
  await run();
}
