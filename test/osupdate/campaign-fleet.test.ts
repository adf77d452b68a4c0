// A mixed-2026 fleet (Macs and iPhones/iPads on both paths, ADE or not, supervised or not, User
// Enrollment, quirks on) under one campaign to the newest release each can take, on a simulated
// clock shared by server and devices: every device ends done, blocked or not eligible, for the
// reason its own facts give, and the dry run predicted it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Fleet } from '../../src/sim/fleet.js';
import { loadScenario } from '../../src/sim/scenario.js';
import type { DeviceState } from '../../src/sim/device.js';
import { startHarness, type Harness } from '../sim/harness.js';
import { catalogsDir } from './sucatalog.js';

const FACTOR = 3000;
const t0 = Date.now();
const clock = () => new Date(t0 + (Date.now() - t0) * FACTOR);
let h: Harness;
let fleet: Fleet;

before(async () => {
  h = await startHarness({ config: { campaignPollSeconds: 300 }, clock, campaignTickMs: 100 });
  for (const [kind, file] of [['gdmf', 'gdmf_pmv_2026-08.json'], ['sofa-macos', 'sofa/v2_macos_data_feed.json'], ['sofa-ios', 'sofa/v2_ios_data_feed.json']]) {
    const res = await h.api('PUT', `/v1/catalogs/${kind}?force=1`, readFileSync(join(catalogsDir, file!), 'utf8'));
    assert.equal(res.status, 200, `${kind}: ${await res.text()}`);
  }
  const scenario = { ...loadScenario('mixed-2026'), start: new Date(t0).toISOString(), clockFactor: FACTOR };
  fleet = await Fleet.start({ server: h.url, count: 30, scenario, clockFactor: FACTOR, wakeUrl: h.fake.wakeUrl, keyPoolSize: 4 });
});
after(async () => {
  await fleet?.stop();
  await h?.close();
});

const major = (v: string) => Number(v.split('.')[0]);

/** What a device's own facts say its campaign should end in, and why. */
function expected(d: DeviceState): [string, RegExp] {
  const mac = d.platform === 'macos';
  if (d.userEnrollment) return ['not_eligible', /User Enrollment/];
  if (major(d.osVersion) >= 27) return ['done', /already on 27/];
  if (mac && !d.supervised) return ['blocked', /not supervised/];
  if (mac && major(d.osVersion) < 14 && !d.ade) return ['blocked', /ADE enrollment/];
  if (!mac && !d.supervised && major(d.osVersion) < 17) return ['not_eligible', /unsupervised/];
  return ['done', /^(done: |already on )/];
}

test('every device of a mixed fleet ends done, blocked or not eligible for its own reason', async () => {
  // Let the inventory Updraft asks for at enrollment come back.
  await new Promise((r) => setTimeout(r, 3000));
  const body = { name: 'mixed', select: { all: true }, target: { policy: 'latest' }, deadline: new Date(clock().getTime() + 2 * 86400_000).toISOString().slice(0, 16), install_within_hours: 1 };
  const dry = (await (await h.api('POST', '/v1/campaigns', { ...body, dry_run: true })).json()) as { devices: Array<{ enrollment_id: string; state: string }> };
  const predicted = new Map(dry.devices.map((d) => [d.enrollment_id, d.state === 'pending' ? 'done' : d.state]));
  const created = await h.api('POST', '/v1/campaigns', body);
  assert.equal(created.status, 201, await created.clone().text());
  const { id } = (await created.json()) as { id: string };

  let rows: Array<Record<string, string>> = [];
  const end = Date.now() + 120_000;
  for (;;) {
    rows = ((await (await h.api('GET', `/v1/campaigns/${id}/devices`)).json()) as { devices: Array<Record<string, string>> }).devices;
    if (rows.every((r) => ['done', 'blocked', 'not_eligible', 'failed'].includes(r.state!))) break;
    if (Date.now() > end) assert.fail(`still working: ${JSON.stringify(rows.filter((r) => !['done', 'blocked', 'not_eligible'].includes(r.state!)).map((r) => [r.state, r.reason]))}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const byId = new Map(fleet.devices.map((d) => [d.enrollmentId ?? d.udid, d]));
  const paths = new Set<string>();
  let hits = 0;
  for (const r of rows) {
    const d = byId.get(r.enrollment_id!)!;
    const [state, reason] = expected(d);
    const what = `${d.platform} ${d.product} ${d.osVersion} supervised=${d.supervised} ade=${d.ade} ue=${d.userEnrollment}: ${r.state} (${r.reason})`;
    assert.equal(r.state, state, what);
    assert.match(r.reason!, reason, what);
    if (r.path && r.state === 'done' && !/already/.test(r.reason!)) paths.add(r.path);
    if (predicted.get(r.enrollment_id!) === r.state) hits++;
  }
  assert.deepEqual([...paths].sort(), ['ddm', 'legacy'], 'both paths updated devices');
  assert.ok(hits / rows.length >= 0.9, `the dry run predicted ${hits} of ${rows.length}`);
});
