// Catalog import speed and memory. Each measurement runs in its own child process, so its peak
// resident memory (maxRSS above the child's RSS at the start) is its own:
//   snapshots     parse the shipped gdmf and SOFA feeds and merge them into a CatalogView (median of 5)
//   json.parse    baseline: JSON.parse of the same three files, nothing else (median of 5)
//   sucatalog     parse a synthetic 30 MB software update catalog, gzipped (inflate + plist + keep)
//   expo          baseline: inflate the same file and parse it with @expo/plist
//   import        the same catalog through the service into SQLite (parse, compress, store), then a
//                 second service's first view() (what another server process pays after a change)
// Run: npx tsx bench/catalog.ts [--mb 30]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import expoModule from '@expo/plist';
import { parseCatalog } from '../src/osupdate/catalog/parse.js';
import { CatalogIndex, catalogView } from '../src/osupdate/catalog/view.js';
import { Catalogs } from '../src/osupdate/catalog/service.js';
import { openStore } from '../src/storage/index.js';
import type { CatalogKind } from '../src/osupdate/types.js';
import type { ParsedDoc } from '../src/osupdate/catalog/model.js';
import { snapshot, SNAPSHOTS, sucatalogXml } from '../test/osupdate/sucatalog.js';

const expoPlist = expoModule.default;
const SCRIPT = fileURLToPath(import.meta.url);

interface Figure {
  /** Wall time (median where repeated). */
  ms: number;
  /** CPU time of the process (user + system), the steadier figure on a shared machine. */
  cpuMs: number;
  peakMb: number;
  extra?: Record<string, number>;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const mb = (bytes: number): number => bytes / 1048576;

async function snapshots(): Promise<Figure> {
  const times: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const c = cpu();
    const docs: Partial<Record<CatalogKind, ParsedDoc>> = {};
    for (const kind of ['gdmf', 'sofa-macos', 'sofa-ios'] as const) docs[kind] = (await parseCatalog(kind, snapshot(SNAPSHOTS[kind]), kind)).parsed.doc;
    const view = catalogView(new CatalogIndex(docs), []);
    view.releasesFor({ platform: 'macOS', model: 'Mac14,2', softwareUpdateDeviceId: null, boardId: null });
    times.push(performance.now() - t);
    cpus.push(cpu() - c);
  }
  return { ms: median(times), cpuMs: median(cpus), peakMb: 0 };
}

async function jsonParse(): Promise<Figure> {
  const times: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const c = cpu();
    for (const kind of ['gdmf', 'sofa-macos', 'sofa-ios'] as const) JSON.parse(snapshot(SNAPSHOTS[kind]).toString('utf8'));
    times.push(performance.now() - t);
    cpus.push(cpu() - c);
  }
  return { ms: median(times), cpuMs: median(cpus), peakMb: 0 };
}

async function sucatalog(file: string): Promise<Figure> {
  const bytes = readFileSync(file);
  const t = performance.now();
  const c = cpu();
  const { parsed } = await parseCatalog('sucatalog', bytes, file);
  return { ms: performance.now() - t, cpuMs: cpu() - c, peakMb: 0, extra: { products: parsed.entries } };
}

async function expo(file: string): Promise<Figure> {
  const bytes = readFileSync(file);
  const t = performance.now();
  const c = cpu();
  const doc = expoPlist.parse(gunzipSync(bytes).toString('utf8')) as { Products: Record<string, unknown> };
  return { ms: performance.now() - t, cpuMs: cpu() - c, peakMb: 0, extra: { products: Object.keys(doc.Products).length } };
}

async function importAndView(file: string): Promise<Figure> {
  const dir = mkdtempSync(join(tmpdir(), 'updraft-bench-catalog-'));
  const stores = [await openStore({ db: 'sqlite', dataDir: dir }), await openStore({ db: 'sqlite', dataDir: dir })];
  try {
    const bytes = readFileSync(file);
    const t = performance.now();
    const c = cpu();
    await new Catalogs({ store: stores[0]! }).import('sucatalog', bytes, { source: 'file:bench' });
    const importMs = performance.now() - t;
    const importCpu = cpu() - c;
    const t2 = performance.now();
    const c2 = cpu();
    const view = await new Catalogs({ store: stores[1]! }).view();
    const extra = { view_ms: performance.now() - t2, view_cpu_ms: cpu() - c2, products: view.suProducts().length };
    return { ms: importMs, cpuMs: importCpu, peakMb: 0, extra };
  } finally {
    for (const s of stores) await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const MODES: Record<string, (file: string) => Promise<Figure>> = { snapshots, 'json.parse': jsonParse, sucatalog, expo, import: importAndView };

/** In a child: run one mode and print its figure as JSON. */
async function child(mode: string, file: string): Promise<void> {
  const startRss = process.memoryUsage().rss;
  const figure = await MODES[mode]!(file);
  figure.peakMb = mb(process.resourceUsage().maxRSS * 1024 - startRss);
  process.stdout.write(JSON.stringify(figure) + '\n');
}

function run(mode: string, file: string): Figure {
  const out = execFileSync(process.execPath, ['--import', 'tsx', SCRIPT, '--child', mode, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Figure;
}

export async function benchCatalog(targetMb = 30): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'updraft-bench-catalog-'));
  try {
    // ~2.4 KB of XML per filler product: enough of them for the target size.
    const xml = sucatalogXml({ fillers: Math.round((targetMb * 1048576) / 2470) });
    const gz = gzipSync(xml);
    const file = join(dir, 'index.sucatalog.gz');
    writeFileSync(file, gz);
    console.log(`synthetic sucatalog: ${mb(xml.length).toFixed(1)} MB of XML, ${mb(gz.length).toFixed(1)} MB gzipped`);
    const rows: Array<[string, Figure]> = Object.keys(MODES).map((m) => [m, run(m, file)]);
    for (const [mode, f] of rows) {
      const extra = Object.entries(f.extra ?? {}).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(0)}`).join(', ');
      console.log(
        `  ${mode.padEnd(11)} ${f.ms.toFixed(0).padStart(6)} ms  ${f.cpuMs.toFixed(0).padStart(6)} ms CPU   peak +${f.peakMb.toFixed(0).padStart(4)} MB RSS${extra ? `   (${extra})` : ''}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') await child(argv[1]!, argv[2]!);
else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchCatalog(argv[0] === '--mb' ? Number(argv[1]) : 30);
