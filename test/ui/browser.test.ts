// The dashboard in a real browser (playwright-core driving Debian's chromium) against a whole
// Updraft (startServer) with a simulated fleet on a simulated clock: sign in (a wrong key refused),
// read the fleet page, find a device through the list, its timeline, cancel a queued command,
// create a campaign from the form (its dry run shown first) and watch the live view reach 100 %,
// a form posted without its CSRF token refused, sign out.
// Each page is saved as a screenshot in docs/screenshots/ (the README shows two).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { Fleet } from '../../src/sim/fleet.js';
import { ScenarioSchema } from '../../src/sim/scenario.js';
import { startHarness, type Harness } from '../sim/harness.js';
import { TEST_API_KEY } from '../helpers/server.js';
import { catalogsDir } from '../osupdate/sucatalog.js';

const SHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const FACTOR = 1200;
const t0 = Date.now();
const clock = () => new Date(t0 + (Date.now() - t0) * FACTOR);
let h: Harness;
let fleet: Fleet;
let browser: BrowserContext;
let profileDir: string;
let p: Page;

before(async () => {
  h = await startHarness({ config: { campaignPollSeconds: 300 }, clock, campaignTickMs: 100 });
  for (const [kind, file] of [['gdmf', 'gdmf_pmv_2026-08.json'], ['sofa-macos', 'sofa/v2_macos_data_feed.json'], ['sofa-ios', 'sofa/v2_ios_data_feed.json']]) {
    const res = await h.api('PUT', `/v1/catalogs/${kind}?force=1`, readFileSync(join(catalogsDir, file!), 'utf8'));
    assert.equal(res.status, 200, `${kind}: ${await res.text()}`);
  }
  const scenario = ScenarioSchema.parse({
    name: 'dashboard', seed: 7, clockFactor: FACTOR, start: new Date(t0).toISOString(),
    fleet: [
      { platform: 'macos', weight: 3, models: ['Mac14,2', 'Macmini9,1'], os: ['13.7.8'], supervised: 1, ade: 1, acPower: 1 },
      { platform: 'macos', weight: 2, models: ['Mac15,12', 'Mac16,1'], os: ['15.7.7', '26.5', '26.6.2'], supervised: 1, ade: 1, acPower: 1 },
      { platform: 'ios', weight: 3, os: ['18.7.8', '26.5', '26.6.1'], supervised: 0.7, ade: 0.6 },
      { platform: 'ipados', weight: 1, os: ['26.6'], supervised: 1, ade: 1 },
    ],
    timing: { downloadSeconds: 600, installSeconds: 900 },
  });
  fleet = await Fleet.start({ server: h.url, count: 12, scenario, clockFactor: FACTOR, wakeUrl: h.fake.wakeUrl, keyPoolSize: 3 });
  mkdirSync(SHOTS, { recursive: true });
  profileDir = mkdtempSync(join(tmpdir(), 'updraft-chromium-'));
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: process.env.UPDRAFT_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 860 },
  });
  p = browser.pages()[0] ?? (await browser.newPage());
  p.setDefaultTimeout(15_000);
});
after(async () => {
  await browser?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await fleet?.stop();
  await h?.close();
});

const shot = (name: string) => p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

/** Waits until every simulated device has reported its inventory (its posture is then known). */
async function inventoried(): Promise<void> {
  const end = Date.now() + 60_000;
  for (;;) {
    const s = (await (await h.api('GET', '/v1/os/summary')).json()) as { devices: number };
    if (s.devices >= fleet.devices.length) return;
    assert.ok(Date.now() < end, `only ${s.devices} of ${fleet.devices.length} devices have a posture`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('a wrong key is refused; the right one signs in', async () => {
  await p.goto(`${h.url}/ui`);
  assert.match(p.url(), /\/ui\/signin\?next=/);
  await p.getByLabel('API key').fill('wrong-key');
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByText('Wrong API key.').waitFor();
  await shot('signin');
  await p.getByLabel('API key').fill(TEST_API_KEY);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByRole('heading', { name: 'Fleet', level: 1 }).waitFor();
});

test('the fleet page shows the posture, the chart, and links each figure to the filtered list', async () => {
  await inventoried();
  await p.goto(`${h.url}/ui`);
  const devices = p.locator('.figure').first();
  assert.equal((await devices.locator('.n').textContent())?.trim(), String(fleet.devices.length));
  await p.locator('#fleet-chart.drawn canvas').first().waitFor();
  await shot('fleet');
  const latest = Number(await p.locator('.figure.good .n').textContent());
  await p.locator('.figure.good a').click();
  await p.waitForURL(/posture=latest/);
  await p.getByRole('status').filter({ hasText: /devices? on the latest release/ }).waitFor();
  assert.equal(await p.locator('table.devices tbody tr').count(), latest);

  // Every figure on the fleet page (the posture figures and every number in its tables) links to a
  // device list that counts as many devices.
  await p.goto(`${h.url}/ui`);
  const links = await p.locator('main a[href^="/ui/devices?"], main a[href="/ui/devices"]').evaluateAll((as) =>
    as.map((a) => ({ href: a.getAttribute('href')!, n: (a.querySelector('.n') ?? a).textContent!.trim() })));
  const figures = links.filter((l) => /^[\d,]+$/.test(l.n));
  assert.ok(figures.length >= 10, `figures with links: ${JSON.stringify(links)}`);
  for (const { href, n } of figures) {
    await p.goto(h.url + href);
    const status = (await p.getByRole('status').filter({ hasText: /devices?\b/ }).first().textContent())!.trim();
    assert.match(status, new RegExp(`^${n} devices?\\b`), `${href}: the figure says ${n}, the list "${status}"`);
  }
});

test('a device found through the list shows its timeline, the raw plist of an exchange, and a queued command can be cancelled', async () => {
  const d = fleet.devices.find((x) => !x.enrollmentId && x.platform === 'macos')!;
  await p.goto(`${h.url}/ui/devices`);
  await p.getByLabel('Search').fill(d.serial);
  await p.getByRole('button', { name: 'Filter' }).click();
  await p.getByRole('status').filter({ hasText: /^1 device$/ }).waitFor();
  await shot('devices');
  await p.getByRole('link', { name: d.name }).click();
  await p.getByRole('heading', { name: d.name, level: 1 }).waitFor();
  const timeline = p.locator('#timeline');
  await timeline.getByText('Check-in: TokenUpdate').waitFor();
  await timeline.getByText(/Result Acknowledged \(DeviceInformation\)/).first().waitFor();

  const res = await h.api('POST', '/v1/enqueue', { ids: [d.udid], command: { request_type: 'ProfileList' }, nopush: true });
  assert.equal(res.status, 200, await res.text());
  await p.reload();
  const row = p.locator('#queue tr', { hasText: 'ProfileList' });
  await row.waitFor();
  await shot('device');
  await row.getByRole('button', { name: /Cancel ProfileList/ }).click();
  await p.getByText('Command cancelled.').waitFor();
  assert.equal(await p.locator('#queue tr', { hasText: 'ProfileList' }).count(), 0);
  assert.ok(!(await h.store.listQueue(d.udid)).some((q) => q.requestType === 'ProfileList'), 'no ProfileList left in the queue');

  await p.locator('#timeline li', { hasText: 'DeviceInformation' }).first().getByRole('link', { name: 'raw plist' }).click();
  await p.locator('#command-plist').getByText(/<string>DeviceInformation<\/string>/).waitFor();
  assert.match((await p.locator('#result-plist').textContent()) ?? '', /QueryResponses/);
});

test('a campaign created from the form shows its dry run first, then its live view reaches 100 %', async () => {
  await p.goto(`${h.url}/ui/campaigns`);
  await p.getByRole('link', { name: 'New campaign' }).click();
  await p.getByLabel('Name').fill('Ventura Macs to 26.6.2');
  await p.getByLabel('Select', { exact: true }).fill('platform=macOS,os_max=13.99');
  await p.getByLabel('Target').fill('26.6.2');
  await p.getByLabel('Waves').fill('50%,100%');
  await p.getByLabel('Success rate to promote').fill('1');
  await p.getByRole('button', { name: 'Dry run' }).click();
  const macs = fleet.devices.filter((d) => d.platform === 'macos' && d.osVersion.startsWith('13.')).length;
  assert.ok(macs >= 2, `the fleet has ${macs} macOS 13 Macs`);
  await p.locator('#dry-run-summary').getByText(`${macs} devices selected`).waitFor().catch(async (err) => {
    console.log(await p.locator('main').innerText());
    throw err;
  });
  assert.equal(await p.locator('table tbody tr', { hasText: '26.6.2' }).count(), macs);
  await shot('campaign-dry-run');
  await p.getByRole('button', { name: 'Create campaign' }).click();
  await p.getByRole('heading', { name: 'Ventura Macs to 26.6.2', level: 1 }).waitFor();
  const url = p.url();
  // The live view updates without a reload (htmx): the status line reaches 100 % and says done.
  await p.locator('#campaign-status').getByText(/^done · 100 % done/).waitFor({ timeout: 90_000 });
  assert.equal(p.url(), url, 'no navigation happened');
  await p.locator('#progress-chart.drawn canvas').first().waitFor();
  assert.equal(await p.locator('#campaign-devices tbody tr', { hasText: /^.*done/ }).count(), macs);
  await shot('campaign');
  await p.getByRole('link', { name: 'done', exact: true }).first().click();
  await p.waitForURL(/state=done/);
  assert.equal(await p.locator('#campaign-devices tbody tr').count(), macs);
});

test('the server page shows the push certificate and offers the enrollment profile; the layout fits a phone; a form without its CSRF token is refused; sign out', async () => {
  await p.goto(`${h.url}/ui/server`);
  await p.getByText('com.apple.mgmt.External.5e3c1a2b-5a11-4c8e-8a63-dd17d3dd35d9').waitFor();
  const profile = p.getByRole('link', { name: 'Download the signed enrollment profile' });
  assert.equal(await profile.getAttribute('href'), '/mdm/enroll');
  await shot('server');
  await p.keyboard.press('Tab');
  assert.equal(await p.evaluate('document.activeElement?.textContent'), 'Skip to content', 'the first Tab reaches the skip link');

  await p.setViewportSize({ width: 390, height: 844 });
  await p.goto(`${h.url}/ui`);
  await p.locator('#fleet-chart.drawn canvas').first().waitFor();
  const overflow = (await p.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
  assert.ok(overflow <= 0, `the fleet page scrolls sideways by ${overflow}px on a phone`);
  await shot('fleet-phone');
  await p.setViewportSize({ width: 1280, height: 860 });

  // A form posted without its CSRF token is refused, and changes nothing: the session goes on.
  await p.locator('form.signout input[name="_csrf"]').evaluate((el) => el.remove());
  await p.getByRole('button', { name: 'Sign out' }).click();
  await p.getByText('Refused: this form lacks a valid CSRF token.').waitFor();
  await p.goto(`${h.url}/ui`);
  await p.getByRole('heading', { name: 'Fleet', level: 1 }).waitFor();

  await p.getByRole('button', { name: 'Sign out' }).click();
  await p.getByRole('heading', { name: 'Sign in to Updraft' }).waitFor();
  await p.goto(`${h.url}/ui/devices`);
  assert.match(p.url(), /\/ui\/signin\?next=/, 'signed out: pages ask to sign in again');
});
