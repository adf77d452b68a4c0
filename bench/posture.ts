// OS update posture at fleet scale:
//   compute  = the posture of 100,000 synthetic devices (models and versions drawn from the real
//              catalogs: every board ID and model identifier gdmf lists, each on a release it can
//              install) against the full catalogs (gdmf + SOFA macOS and iOS, 2026-08), with one
//              posture computer (what the fleet recompute does); baseline: a fresh computation per
//              device (computePosture, nothing shared), on a sample
//   store    = bulk upsert of the 100,000 postures (SQLite, PostgreSQL)
//   summary  = GET /v1/os/summary's query over them, median of several runs, unfiltered and
//              filtered; baseline: reading every row and counting in JS
// PostgreSQL is skipped with a notice when unreachable. Run: npx tsx bench/posture.ts [--devices N]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { openStore } from '../src/storage/index.js';
import type { PostureFilter, Store } from '../src/storage/types.js';
import { parseCatalog } from '../src/osupdate/catalog/parse.js';
import { CatalogIndex, catalogView } from '../src/osupdate/catalog/view.js';
import type { ParsedDoc } from '../src/osupdate/catalog/model.js';
import type { CatalogInfo, CatalogKind, CatalogView, DeviceInventory } from '../src/osupdate/types.js';
import type { Platform } from '../src/mdm/types.js';
import { computePosture, createPostureComputer, catalogStamp } from '../src/osupdate/posture/compute.js';
import { postureRecord } from '../src/osupdate/posture/service.js';
import { openBenchSchema } from './pg-schema.js';

const CATALOGS = fileURLToPath(new URL('../../shared/catalogs/', import.meta.url));
const FILES = { gdmf: 'gdmf_pmv_2026-08.json', 'sofa-macos': 'sofa/v2_macos_data_feed.json', 'sofa-ios': 'sofa/v2_ios_data_feed.json' } as const;
const NOW = new Date('2026-08-22T12:00:00Z');
const SUMMARY_RUNS = 9;

export async function loadView(): Promise<CatalogView & { modelOf(board: string): string | null }> {
  const docs: Partial<Record<CatalogKind, ParsedDoc>> = {};
  const info: CatalogInfo[] = [];
  for (const [kind, file] of Object.entries(FILES) as Array<[keyof typeof FILES, string]>) {
    const { parsed } = await parseCatalog(kind, readFileSync(join(CATALOGS, file)), `file:${file}`);
    docs[kind] = parsed.doc;
    info.push({ kind, source: `file:${file}`, fetchedAt: NOW, contentDate: null, entries: parsed.entries, stale: false, lastError: null });
  }
  return catalogView(new CatalogIndex(docs), info);
}

/** A small seeded PRNG (mulberry32), so every run draws the same fleet. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const platformOf = (family: string, id: string): Platform | null =>
  family === 'macOS' ? 'macOS' : family === 'visionOS' ? 'visionOS' : /^iPhone/.test(id) ? 'iOS' : /^iPad/.test(id) ? 'iPadOS' : /^AppleTV/.test(id) ? 'tvOS' : null;

/** Devices on releases their hardware can install (newer releases likelier), plus 1% unknown hardware. */
export function syntheticFleet(view: CatalogView & { modelOf(board: string): string | null }, count: number): DeviceInventory[] {
  const random = prng(2026);
  const hardware: Array<{ platform: Platform; id: string }> = [];
  for (const family of ['macOS', 'iOS', 'visionOS'] as const) {
    const ids = new Set(view.releases(family).filter((r) => r.sources.includes('gdmf')).flatMap((r) => r.supportedDevices));
    for (const id of ids) {
      const platform = platformOf(family, id);
      if (platform) hardware.push({ platform, id });
    }
  }
  const fleet: DeviceInventory[] = [];
  for (let i = 0; i < count; i++) {
    const unknown = random() < 0.01;
    const hw = hardware[Math.floor(random() * hardware.length)]!;
    const mac = hw.platform === 'macOS';
    const model = unknown ? 'Mac99,1' : mac ? view.modelOf(hw.id) : hw.id;
    const keys = { platform: hw.platform, model, softwareUpdateDeviceId: unknown ? 'J999AP' : hw.id, boardId: mac && !unknown ? hw.id : null };
    const releases = (view.releasesFor(keys) ?? []).filter((r) => r.extra === null);
    let pick = 0;
    while (pick < releases.length - 1 && random() < 0.55) pick++;
    const release = releases[pick];
    fleet.push({
      deviceId: `POSTURE-${String(i).padStart(6, '0')}`,
      platform: hw.platform,
      osVersion: unknown ? '26.5' : (release?.version ?? null),
      buildVersion: release?.build || null,
      supplementalBuildVersion: null,
      supplementalOsVersionExtra: null,
      productName: model,
      model,
      modelNumber: null,
      modelName: null,
      softwareUpdateDeviceId: keys.softwareUpdateDeviceId,
      boardId: keys.boardId,
      isSupervised: random() < 0.85,
      isAppleSilicon: mac ? /^J\d/.test(hw.id) && random() < 0.9 : null,
      availableDeviceCapacity: null,
      batteryLevel: null,
      isUserEnrollment: random() < 0.05,
      enrolledViaDep: random() < 0.75,
      osUpdateSettings: null,
      bootstrapTokenRequiredForSoftwareUpdate: mac ? random() < 0.5 : null,
      bootstrapTokenEscrowed: random() < 0.8,
      lastUpdateAttempt: null,
      updatedAt: NOW,
      serialNumber: null,
      deviceName: null,
      modelMarketingName: null,
      osMarketingName: null,
      deviceCapacity: null,
      pendingUpdate: null,
      informationAt: NOW,
      queriedAt: null,
    });
  }
  return fleet;
}

const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(0)} MB`;
const ms = (t: number): string => `${t < 10 ? t.toFixed(1) : Math.round(t)} ms`;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Wall time, this process's CPU time (ms) and the result. The machine may be shared: CPU is the steadier figure. */
async function timed<T>(fn: () => Promise<T>): Promise<[number, T, number]> {
  const t = performance.now();
  const cpu = process.cpuUsage();
  const out = await fn();
  const used = process.cpuUsage(cpu);
  return [performance.now() - t, out, (used.user + used.system) / 1000];
}

async function measureStore(label: string, store: Store, records: ReturnType<typeof postureRecord>[], stamp: string, filters: Array<[string, PostureFilter]>): Promise<void> {
  const inProcess = store.dialect === 'sqlite';
  const cpuNote = (cpu: number) => (inProcess ? `, CPU ${ms(cpu)}` : '');
  const [load, , loadCpu] = await timed(async () => {
    for (let i = 0; i < records.length; i += 5000) await store.upsertPostures(records.slice(i, i + 5000));
  });
  console.log(
    `  ${label.padEnd(10)} store ${records.length.toLocaleString('en')} postures (bulk upsert): ${(load / 1000).toFixed(1)} s ` +
      `(${Math.round((load * 1000) / records.length)} µs/device${inProcess ? `; CPU ${(loadCpu / 1000).toFixed(1)} s` : ''})`,
  );
  for (const [name, filter] of filters) {
    const runs: number[] = [];
    const cpus: number[] = [];
    let devices = 0;
    for (let i = 0; i < SUMMARY_RUNS; i++) {
      const [t, s, cpu] = await timed(() => store.postureSummary(filter, stamp));
      runs.push(t);
      cpus.push(cpu);
      devices = s.devices;
    }
    console.log(`  ${label.padEnd(10)} summary ${name.padEnd(22)} ${ms(median(runs)).padStart(8)}${cpuNote(median(cpus))} (median of ${SUMMARY_RUNS}, ${devices.toLocaleString('en')} devices)`);
  }
  // Baseline: what a summary costs without the aggregate in SQL (every row read, counted in JS).
  const [naive, count, naiveCpu] = await timed(async () => naiveSummary(store));
  console.log(`  ${label.padEnd(10)} baseline: read every posture and count in JS: ${ms(naive)}${cpuNote(naiveCpu)} (${count.toLocaleString('en')} rows)`);
}

/** Reads every stored posture (in pages of 5,000 ids) and counts them per platform and version in JS. */
async function naiveSummary(store: Store): Promise<number> {
  const ids = Array.from({ length: DEVICES }, (_, i) => `POSTURE-${String(i).padStart(6, '0')}`);
  const groups = new Map<string, number>();
  let rows = 0;
  for (let i = 0; i < ids.length; i += 5000) {
    for (const p of await store.getPostures(ids.slice(i, i + 5000))) {
      rows++;
      const k = `${p.platform} ${p.osVersion}`;
      groups.set(k, (groups.get(k) ?? 0) + Number(p.onLatest));
    }
  }
  return rows;
}

let DEVICES = 100_000;

export async function benchPosture(devices = DEVICES): Promise<void> {
  DEVICES = devices;
  const view = await loadView();
  const fleet = syntheticFleet(view, devices);
  const platforms = fleet.reduce<Record<string, number>>((acc, d) => ({ ...acc, [d.platform ?? '?']: (acc[d.platform ?? '?'] ?? 0) + 1 }), {});
  const distinct = new Set(fleet.map((d) => `${d.softwareUpdateDeviceId}|${d.osVersion}`)).size;
  console.log(
    `posture of ${devices.toLocaleString('en')} synthetic devices (${Object.entries(platforms).map(([p, n]) => `${p} ${n.toLocaleString('en')}`).join(', ')}; ` +
      `${distinct.toLocaleString('en')} distinct hardware/version pairs) against gdmf + SOFA macOS/iOS (${view.releases('macOS').length} macOS, ${view.releases('iOS').length} iOS releases):`,
  );

  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const compute = createPostureComputer(view, NOW);
  const postures = fleet.map(compute);
  const computeMs = performance.now() - t0;
  const computeCpu = process.cpuUsage(cpu0);
  global.gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  console.log(
    `  compute (one posture computer):  ${ms(computeMs).padStart(9)} (CPU ${ms((computeCpu.user + computeCpu.system) / 1000)})  ${((computeMs * 1000) / devices).toFixed(1)} µs/device, ` +
      `heap +${mb(heapAfter - heapBefore)} for the postures, rss ${mb(process.memoryUsage().rss)}`,
  );
  const sample = fleet.slice(0, 2000);
  const t1 = performance.now();
  for (const inv of sample) computePosture(view, inv, NOW);
  const naive = (performance.now() - t1) / sample.length;
  console.log(`  baseline, computePosture per device (nothing shared, ${sample.length.toLocaleString('en')} devices): ${(naive * 1000).toFixed(1)} µs/device`);
  const counts = postures.reduce((c, p) => ({ on: c.on + Number(p.onLatest), behind: c.behind + Number(p.releasesBehind > 0), exploited: c.exploited + Number(p.activelyExploited.length > 0) }), { on: 0, behind: 0, exploited: 0 });
  console.log(`  fleet: ${counts.on.toLocaleString('en')} on latest, ${counts.behind.toLocaleString('en')} behind, ${counts.exploited.toLocaleString('en')} exposed to actively exploited CVEs`);

  const stamp = catalogStamp(view, NOW);
  const records = postures.map((p) => postureRecord(p, stamp));
  const filters: Array<[string, PostureFilter]> = [
    ['(whole fleet)', {}],
    ['platform=macOS', { platform: 'macOS' }],
    ['os_min=15 os_max=15', { osMin: '15', osMax: '15' }],
    ['model=Mac14,2', { model: 'Mac14,2' }],
  ];
  const dataDir = mkdtempSync(join(tmpdir(), 'updraft-bench-posture-'));
  try {
    const sqlite = await openStore({ db: 'sqlite', dataDir });
    await measureStore('SQLite', sqlite, records, stamp, filters);
    await sqlite.close();

    const postgres = await openBenchSchema(dataDir);
    if (!postgres) return;
    try {
      await measureStore('PostgreSQL', postgres.store, records, stamp, filters);
    } finally {
      await postgres.drop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { devices: { type: 'string', default: '100000' } } });
  await benchPosture(Number(values.devices));
}
