// The dashboard's pages over a fleet of 100,000 devices, on SQLite and PostgreSQL: each page's
// server time (median and slowest of several requests over loopback, signed in), against the goal
// of 300 ms. The fleet: enrollments, inventories and OS postures of the posture bench's synthetic
// fleet (models and versions from the real catalogs), written straight through the database driver
// (the store's per-device paths would take minutes), last check-ins spread over 120 days, and one
// campaign holding every device in mixed states.
// Run: npx tsx bench/ui.ts [--devices N] [--sqlite-only]   (PostgreSQL skipped with a notice when unreachable)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import pino from 'pino';
import { openStore } from '../src/storage/index.js';
import type { NewCampaignDevice, Store } from '../src/storage/types.js';
import { buildApp } from '../src/http/app.js';
import { UnconfiguredPusher } from '../src/push/unconfigured.js';
import { compose } from '../src/service/compose.js';
import { createCoreService } from '../src/service/core.js';
import { DEFAULT_BODY_LIMIT, type Config } from '../src/config.js';
import { createPostureComputer, catalogStamp } from '../src/osupdate/posture/compute.js';
import { postureRecord } from '../src/osupdate/posture/service.js';
import { createCampaignEngine } from '../src/osupdate/campaign/index.js';
import { loadView, syntheticFleet } from './posture.js';
import { openBenchSchema } from './pg-schema.js';
import { osKey } from '../src/storage/inventory.js';

const KEY = 'bench-ui-key';
const RUNS = 7;
const GOAL_MS = 300;
const NOW = new Date();
const DAY = 86_400_000;

type Row = Record<string, string | number | null>;
type Insert = (table: string, rows: Row[]) => Promise<void>;

/** Fleet rows: enrollments, inventories, and the campaign's device rows. */
export function fleetRows(count: number) {
  const view = loadView();
  return view.then((v) => {
    const fleet = syntheticFleet(v, count);
    const compute = createPostureComputer(v, NOW);
    const stamp = catalogStamp(v, NOW);
    const postures = fleet.map((inv) => postureRecord(compute(inv), stamp));
    const enrollments: Row[] = [];
    const inventories: Row[] = [];
    fleet.forEach((inv, i) => {
      const id = inv.deviceId;
      const seen = NOW.getTime() - Math.floor((i * 7919) % (120 * 24)) * 3600_000;
      enrollments.push({
        id, type: 'Device', device_id: id, udid: id, topic: 'com.apple.mgmt.bench', enabled: 1, token_update_tally: 1, awaiting_configuration: 0,
        serial_number: `C02${String(i).padStart(7, '0')}`, model: inv.model, model_name: inv.model, product_name: inv.productName,
        device_name: `Device ${i}`, os_version: inv.osVersion, os_key: osKey(inv.osVersion), build_version: inv.buildVersion, platform: inv.platform,
        last_seen_at: seen, created_at: NOW.getTime() - 200 * DAY, updated_at: NOW.getTime(),
      });
      inventories.push({
        device_id: id, phase: i % 65536, platform: inv.platform, os_version: inv.osVersion, build_version: inv.buildVersion, product_name: inv.productName,
        model: inv.model, software_update_device_id: inv.softwareUpdateDeviceId, board_id: inv.boardId, is_supervised: Number(inv.isSupervised),
        is_user_enrollment: Number(inv.isUserEnrollment), enrolled_via_dep: Number(inv.enrolledViaDep), bootstrap_token_escrowed: Number(inv.bootstrapTokenEscrowed),
        data: '{}', information_at: NOW.getTime(), updated_at: NOW.getTime(),
      });
    });
    return { fleet, postures, enrollments, inventories };
  });
}

export function sqliteInsert(file: string): { insert: Insert; close(): void } {
  const db = new Database(file);
  return {
    async insert(table, rows) {
      const cols = Object.keys(rows[0]!);
      const stmt = db.prepare(`insert into ${table} (${cols.join(', ')}) values (${cols.map(() => '?').join(', ')})`);
      db.transaction(() => { for (const r of rows) stmt.run(...cols.map((c) => r[c] ?? null)); })();
    },
    close: () => db.close(),
  };
}

function pgInsert(client: pg.Client): Insert {
  return async (table, rows) => {
    const cols = Object.keys(rows[0]!);
    for (let i = 0; i < rows.length; i += 2000) {
      const batch = rows.slice(i, i + 2000);
      const params: unknown[] = [];
      const values = batch.map((r) => `(${cols.map((c) => { params.push(r[c] ?? null); return `$${params.length}`; }).join(', ')})`);
      await client.query(`insert into ${table} (${cols.join(', ')}) values ${values.join(', ')}`, params);
    }
  };
}

const SPEC = {
  select: { all: true }, target: { version: '26.6.2' }, deadline: null, timeZone: 'UTC', waves: [{ percent: 10 }, { percent: 100 }],
  promotion: { successRate: 0.9, soakSeconds: 0 }, window: null, maxInFlight: null, retries: 3, installAction: 'InstallASAP',
  installWithinHours: 24, maxUserDeferrals: null, detailsUrl: null, ddmSettings: null,
};
const STATES = ['done', 'done', 'done', 'pending', 'downloading', 'installing', 'blocked', 'failed', 'not_eligible'];

export async function seedCampaign(store: Store, ids: string[]): Promise<string> {
  const devices: NewCampaignDevice[] = ids.map((deviceId, i) => {
    const state = STATES[i % STATES.length]!;
    const ended = ['done', 'blocked', 'failed', 'not_eligible'].includes(state);
    return {
      deviceId, wave: i % 10 === 0 ? 0 : 1, state, reason: `${state}: bench`, path: i % 2 ? 'ddm' : 'legacy', targetVersion: '26.6.2', targetBuild: '25G83',
      osVersion: '15.7.7', buildVersion: '24G400', step: {}, active: !ended, nextAt: ended ? null : new Date(NOW.getTime() + 3600_000),
    };
  });
  const id = 'bench-campaign';
  await store.campaignCreate({ id, name: 'Everyone to 26.6.2', spec: SPEC, at: new Date(NOW.getTime() - 3 * DAY) }, devices);
  return id;
}

async function signIn(url: string): Promise<string> {
  const form = await fetch(`${url}/ui/signin`);
  const token = /name="_signin" value="([^"]+)"/.exec(await form.text())![1]!;
  const signin = form.headers.getSetCookie()[0]!.split(';')[0]!;
  const res = await fetch(`${url}/ui/signin`, {
    method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: signin },
    body: new URLSearchParams({ _signin: token, key: KEY }).toString(),
  });
  return res.headers.getSetCookie().find((c) => c.startsWith('updraft_session='))!.split(';')[0]!;
}

async function measure(label: string, store: Store, seed: (ids: string[]) => Promise<void>, count: number, settle?: () => Promise<unknown>): Promise<void> {
  const t0 = performance.now();
  const rows = await fleetRowsCache(count);
  await seed(rows.fleet.map((d) => d.deviceId));
  for (let i = 0; i < rows.postures.length; i += 5000) await store.upsertPostures(rows.postures.slice(i, i + 5000));
  const campaign = await seedCampaign(store, rows.fleet.map((d) => d.deviceId));
  await settle?.();
  console.log(`  ${label}: seeded ${count.toLocaleString('en')} devices (enrollments, inventories, postures, one campaign) in ${((performance.now() - t0) / 1000).toFixed(1)} s; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const logger = pino({ level: 'silent' });
  const config: Config = {
    listen: '127.0.0.1:0', dataDir: '', db: 'sqlite', apiKey: KEY, webhookUrl: null, webhookSecret: null, publicUrl: 'https://mdm.example.test',
    tlsCert: null, tlsKey: null, pushTopic: null, bodyLimit: DEFAULT_BODY_LIMIT, retentionDays: 0, logLevel: 'silent', certHeader: null, identityOptional: true,
  };
  const pusher = new UnconfiguredPusher({ store, logger });
  // The pages only read campaigns: an engine without DDM operations is enough.
  const campaigns = createCampaignEngine({ store, pusher, logger, ddm: {} as Parameters<typeof createCampaignEngine>[0]['ddm'], now: () => new Date(), pollMs: 300_000 });
  const app = await buildApp({ config, store, pusher, logger, service: compose(createCoreService({ store })), campaigns });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address() as { port: number };
  const url = `http://127.0.0.1:${addr.port}`;
  try {
    const cookie = await signIn(url);
    const mid = rows.fleet[Math.floor(count / 2)]!.deviceId;
    const pages: Array<[string, string]> = [
      ['fleet', '/ui'],
      ['devices (page 1, by name)', '/ui/devices'],
      ['devices, search "Device 4242"', '/ui/devices?q=Device+4242'],
      ['devices, search serial prefix "c02000"', '/ui/devices?q=c02000'],
      ['devices, search "d" (every device)', '/ui/devices?q=d'],
      ['devices, exploited, by last seen desc', '/ui/devices?posture=exploited&sort=seen&dir=desc'],
      ['devices, not seen 30 d, by OS', '/ui/devices?seen=30&sort=os'],
      ['devices, 2 releases behind', '/ui/devices?behind_min=2&behind_max=2'],
      ['devices, page 1000', '/ui/devices?page=1000'],
      ['devices, by posture (releases behind)', '/ui/devices?sort=behind'],
      ['devices, posture unknown', '/ui/devices?posture=unknown'],
      ['device', `/ui/devices/${mid}`],
      ['campaigns', '/ui/campaigns'],
      ['campaign (live view)', `/ui/campaigns/${campaign}`],
      ['campaign, failed devices (htmx fragment)', `/ui/campaigns/${campaign}/live?state=failed`],
      ['server', '/ui/server'],
    ];
    for (const [name, path] of pages) {
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        const res = await fetch(url + path, { headers: { cookie } });
        const body = await res.text();
        times.push(performance.now() - t);
        if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body.slice(0, 300)}`);
      }
      times.sort((a, b) => a - b);
      const med = times[Math.floor(times.length / 2)]!;
      console.log(`    ${name.padEnd(42)} median ${med.toFixed(0).padStart(4)} ms, slowest ${times.at(-1)!.toFixed(0).padStart(4)} ms ${med < GOAL_MS ? '' : `(over the ${GOAL_MS} ms goal)`}`);
    }
  } finally {
    await app.close();
  }
}

let cached: Awaited<ReturnType<typeof fleetRows>> | null = null;
async function fleetRowsCache(count: number) {
  return (cached ??= await fleetRows(count));
}

export async function benchUi(count = 100_000, sqliteOnly = false): Promise<void> {
  console.log(`  load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (${count.toLocaleString('en')} devices, ${RUNS} requests per page)`);
  const dataDir = mkdtempSync(join(tmpdir(), 'updraft-bench-ui-'));
  try {
    const sqlite = await openStore({ db: 'sqlite', dataDir });
    const raw = sqliteInsert(join(dataDir, 'updraft.db'));
    try {
      await measure('SQLite', sqlite, async () => {
        const rows = await fleetRowsCache(count);
        await raw.insert('enrollments', rows.enrollments);
        await raw.insert('device_inventory', rows.inventories);
      }, count);
    } finally {
      raw.close();
      await sqlite.close();
    }

    if (sqliteOnly) return;
    const postgres = await openBenchSchema(dataDir, 'bench_ui');
    if (!postgres) return;
    const { client } = postgres;
    try {
      await measure('PostgreSQL', postgres.store, async () => {
        const rows = await fleetRowsCache(count);
        await pgInsert(client)('enrollments', rows.enrollments);
        await pgInsert(client)('device_inventory', rows.inventories);
      }, count,
      // Every table as autovacuum leaves it after bulk changes: statistics, and the visibility map
      // that lets counts read an index only.
      () => client.query('vacuum analyze'));
    } finally {
      await postgres.drop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    console.log(`  load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { devices: { type: 'string', default: '100000' }, 'sqlite-only': { type: 'boolean', default: false } } });
  await benchUi(Number(values.devices), values['sqlite-only']);
}
