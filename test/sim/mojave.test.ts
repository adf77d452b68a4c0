// The mojave-2018 scenario driven by hand-sent commands through the real API, pushes and all,
// replays the seed post's sequence (MicroMDM blog, 2018-10-16): the Installer Notification first,
// error 74 without DEP, 12008 for NotifyOnly, Idle at 0% on battery, downloaded but waiting,
// the install after the re-send, and the Mac back on 10.14 (18A391).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlist, Real, type PlistDict } from '../../src/plist/index.js';
import { Fleet } from '../../src/sim/fleet.js';
import { loadScenario } from '../../src/sim/scenario.js';
import type { CommandResult } from '../../src/sim/result.js';
import { fixture } from '../helpers/fixtures.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
let fleet: Fleet;
const waiters: Array<{ rt: string; resolve: (r: CommandResult) => void }> = [];

const fragment = (name: string) => fixture(`seed-blog/${name}.fragment.xml`).toString('utf8');
const seed = (name: string): PlistDict => parsePlist(`<plist version="1.0"><dict>${fragment(name)}</dict></plist>`) as PlistDict;
const seedItems = (name: string): PlistDict[] => parsePlist(`<plist version="1.0"><array>${fragment(name)}</array></plist>`) as PlistDict[];

before(async () => {
  h = await startHarness();
  fleet = await Fleet.start({
    server: h.url, count: 1, scenario: loadScenario('mojave-2018'), clockFactor: 100, wakeUrl: h.fake.wakeUrl, keyPoolSize: 1,
    onResult: (_d, rt, result) => {
      const i = waiters.findIndex((w) => w.rt === rt);
      if (i >= 0) waiters.splice(i, 1)[0].resolve(result);
    },
  });
});
after(async () => {
  await fleet.stop();
  await h.close();
});

/** Sends a command through POST /v1/enqueue (which pushes) and waits for the device's answer. */
async function send(requestType: string, payload: Record<string, unknown> = {}): Promise<CommandResult> {
  const answered = new Promise<CommandResult>((resolve, reject) => {
    waiters.push({ rt: requestType, resolve });
    setTimeout(() => reject(new Error(`no ${requestType} result within 10 s`)), 10_000).unref();
  });
  await h.enqueue([fleet.devices[0].udid], { request_type: requestType, ...payload });
  return answered;
}

const body = (r: CommandResult) => r.body as Record<string, unknown>;
const update = (key: string, action: string) => ({ updates: [{ product_key: key, install_action: action }] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the seed, step by step', async () => {
  const mac = fleet.devices[0];
  assert.equal(mac.osVersion, '10.12.6');
  assert.equal(mac.product, 'MacBookPro14,2');
  assert.equal((await send('ScheduleOSUpdateScan', { force: true })).status, 'Acknowledged');

  let items = body(await send('AvailableOSUpdates')).AvailableOSUpdates as PlistDict[];
  assert.deepEqual(items.map((i) => i.ProductKey), ['041-14451'], 'only the installer notification before it is installed');
  const [seedNotification, seedMojave] = seedItems('AvailableOSUpdates.items');
  assert.deepEqual(items[0], { ...seedNotification, MetadataURL: items[0].MetadataURL }, 'the seed\'s item (the URL is the CDN\'s)');

  const installed = body(await send('ScheduleOSUpdate', update('041-14451', 'InstallASAP')));
  assert.equal((installed.UpdateResults as PlistDict[])[0].Status, 'Installing');
  await send('ScheduleOSUpdateScan', { force: true });
  items = body(await send('AvailableOSUpdates')).AvailableOSUpdates as PlistDict[];
  const mojave = items.find((i) => i.ProductKey === '_OSX_18A391');
  assert.ok(mojave, 'the major upgrade is listed after the notification and a scan');
  for (const [k, v] of Object.entries(seedMojave)) assert.deepEqual(mojave[k], v, k);
  assert.ok(mojave.DownloadSize instanceof Real && mojave.DownloadSize.value === 12_000_000_000, 'DownloadSize is a <real>');

  const e74 = await send('ScheduleOSUpdate', update('_OSX_18A391', 'InstallASAP'));
  assert.equal(e74.status, 'Error');
  assert.deepEqual(body(e74).ErrorChain, seed('ScheduleOSUpdate.error74').ErrorChain);

  await fleet.reenroll(mac, { ade: true, supervised: true }); // "We need a DEP enrollment. No problem…"
  const e12008 = await send('ScheduleOSUpdate', update('_OSX_18A391', 'NotifyOnly'));
  assert.equal(e12008.status, 'Error');
  assert.deepEqual(body(e12008).ErrorChain, seed('ScheduleOSUpdate.error12008').ErrorChain);

  const scheduled = body(await send('ScheduleOSUpdate', update('_OSX_18A391', 'InstallASAP')));
  assert.deepEqual(scheduled.UpdateResults, seed('ScheduleOSUpdate.UpdateResults').UpdateResults);

  await sleep(300); // 30 simulated seconds on battery: nothing moves
  let status = (body(await send('OSUpdateStatus')).OSUpdateStatus as PlistDict[])[0];
  assert.deepEqual(status, seedItems('OSUpdateStatus.item')[0], 'Idle at 0% until AC power');

  fleet.setPower(mac, true);
  await sleep(400); // the 20 simulated seconds of download, and more
  status = (body(await send('OSUpdateStatus')).OSUpdateStatus as PlistDict[])[0];
  assert.deepEqual({ ...status, DownloadPercentComplete: Number(status.DownloadPercentComplete) }, { ProductKey: '_OSX_18A391', IsDownloaded: true, DownloadPercentComplete: 1, Status: 'Idle' });
  await sleep(500);
  assert.equal(mac.osVersion, '10.12.6', 'downloaded, but waiting for the command again');

  const again = body(await send('ScheduleOSUpdate', update('_OSX_18A391', 'InstallASAP')));
  assert.equal((again.UpdateResults as PlistDict[])[0].Status, 'Installing');
  const info = body(await send('DeviceInformation', { queries: ['OSVersion', 'BuildVersion'] })).QueryResponses as PlistDict;
  assert.deepEqual(info, { OSVersion: '10.14', BuildVersion: '18A391' }, 'back after the install and restart (the command waited for the boot)');
});
