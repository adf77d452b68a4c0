// The dashboard's device commands and server page over plain HTTP: each everyday command button
// queues its command (a Mac's lock carries its PIN); the server page shows the webhook backlog (the
// URL without its password), catalog freshness and DDM sets; and a read-only key sees no form that
// changes anything on any page, where an operator sees them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { hashApiKey } from '../../src/http/api/auth.js';
import { signIn, type UiClient } from './client.js';
import { catalogsDir } from '../osupdate/sucatalog.js';
import { fixture } from '../helpers/fixtures.js';
import { CHECKIN_CONTENT_TYPE, put } from '../helpers/device.js';
import { parsePlist, type PlistDict } from '../../src/plist/index.js';

let srv: TestServer;
let ui: UiClient;
const at = new Date('2026-08-20T10:00:00Z');
const MAC = 'PAGES-MAC';
const PHONE = 'PAGES-PHONE';

before(async () => {
  srv = await startTestServer({ config: { webhookUrl: 'http://hook:s3cret-pw@127.0.0.1:9/hook' } });
  for (const [id, platform, model] of [[MAC, 'macOS', 'Mac14,2'], [PHONE, 'iOS', 'iPhone15,2']] as const) {
    await srv.store.authenticate({ id, type: 'Device', deviceId: id, udid: id, topic: 'com.apple.mgmt.test', at, inventory: { deviceName: id, serialNumber: `S-${id}`, model, platform, osVersion: platform === 'macOS' ? '15.1' : '18.1' } });
  }
  ui = await signIn(srv.url, TEST_API_KEY);
});
after(() => srv?.close());

const queued = async (id: string) => (await srv.store.listQueue(id)).map((q) => q.requestType);
/** The actions of every POST form in a page. */
const postForms = (body: string) => [...body.matchAll(/<form[^>]*method="post"[^>]*action="([^"]+)"/g)].map((m) => m[1]!);

test('the device page\'s buttons queue refresh inventory, OS update scan, restart and lock; a Mac\'s lock carries its PIN', async () => {
  const page = await (await ui.get(`/ui/devices/${MAC}`)).text();
  for (const label of ['Refresh inventory', 'OS update scan', 'Restart', 'Lock']) assert.match(page, new RegExp(`<button type="submit"[^>]*>${label}</button>`), label);
  assert.match(page, /<label class="sr-only" for="lock-pin">Lock PIN \(6 digits\)<\/label><input id="lock-pin" name="pin"/, 'a Mac asks a PIN, labelled');
  assert.doesNotMatch(await (await ui.get(`/ui/devices/${PHONE}`)).text(), /lock-pin/, 'an iPhone has no PIN field');
  const csrf = await ui.csrf(`/ui/devices/${MAC}`);

  const scan = await ui.post(`/ui/devices/${MAC}/actions/scan`, { _csrf: csrf });
  assert.equal(scan.status, 303);
  assert.equal(scan.headers.get('location'), `/ui/devices/${MAC}?done=scan`);
  assert.match(await (await ui.get(scan.headers.get('location')!)).text(), /role="status">ScheduleOSUpdateScan queued and the device pushed\./);
  assert.equal((await ui.post(`/ui/devices/${MAC}/actions/restart`, { _csrf: csrf })).status, 303);
  assert.equal((await ui.post(`/ui/devices/${MAC}/actions/lock`, { _csrf: csrf, pin: '123456' })).status, 303);
  const inv = await ui.post(`/ui/devices/${MAC}/actions/inventory`, { _csrf: csrf });
  assert.equal(inv.headers.get('location'), `/ui/devices/${MAC}?done=inventory`);
  const again = await ui.post(`/ui/devices/${MAC}/actions/inventory`, { _csrf: csrf });
  assert.equal(again.headers.get('location'), `/ui/devices/${MAC}?done=inventory-waiting`, 'one inventory query waits at a time');

  const types = await queued(MAC);
  for (const t of ['ScheduleOSUpdateScan', 'RestartDevice', 'DeviceLock', 'DeviceInformation']) assert.ok(types.includes(t), `${t} queued: ${types.join(', ')}`);
  assert.equal(types.filter((t) => t === 'DeviceInformation').length, 1);
  const lock = (await srv.store.listQueue(MAC)).find((q) => q.requestType === 'DeviceLock')!;
  const [cmd] = await srv.store.getCommand(lock.uuid, MAC);
  assert.match(cmd!.raw!.toString('utf8'), /<key>PIN<\/key>\s*<string>123456<\/string>/);

  const unknown = await ui.post(`/ui/devices/${MAC}/actions/erase`, { _csrf: csrf });
  assert.equal(unknown.status, 404);
  assert.match(await unknown.text(), /unknown action: erase/);
  assert.equal((await ui.post('/ui/devices/NO-SUCH/actions/restart', { _csrf: csrf })).status, 404);
});

test('the device timeline shows the commands queued, the pushes they caused and DDM status changes, newest first', async () => {
  await srv.store.ddmApplyStatus({ enrollmentId: MAC, full: false, items: [{ name: 'softwareupdate.install-state', value: 'downloading' }], declarations: null, at: new Date() });
  const body = await (await ui.get(`/ui/devices/${MAC}`)).text();
  const timeline = /<ol class="timeline" id="timeline">([\s\S]*?)<\/ol>/.exec(body)?.[1] ?? '';
  const titles = [...timeline.matchAll(/<span class="kind">([^<]+)<\/span>/g)].map((m) => m[1]!);
  assert.equal(titles[0], 'DDM status softwareupdate.install-state', `newest first: ${titles.join(' | ')}`);
  assert.match(timeline, /DDM status softwareupdate.install-state<\/span>\s*— downloading/);
  for (const t of ['Queued RestartDevice', 'Queued DeviceLock', 'Queued ScheduleOSUpdateScan']) assert.ok(titles.includes(t), `${t} in ${titles.join(' | ')}`);
  // Each button pushed the device; the test server has no push certificate, so each attempt failed.
  assert.ok(titles.filter((t) => t === 'Push failed').length >= 3, `a push per command: ${titles.join(' | ')}`);
  assert.match(timeline, /Push failed<\/span>\s*— not_configured/);
  assert.match(timeline, /Queued RestartDevice[\s\S]*?<a href="\/ui\/devices\/PAGES-MAC\/commands\/[0-9A-Fa-f-]+">raw plist<\/a>/, 'each command links to its raw plists');
});

test('a check-in in the timeline shows its plist, escaped, with the push token, PushMagic and UnlockToken redacted', async () => {
  const UDID = '663b07bb783e9ade1dae4fbb92ea12afc0ce5b69';
  const tokenUpdate = fixture('nanomdm/mdm_testdata_TokenUpdate.1.plist');
  assert.equal((await put(`${srv.url}/mdm`, fixture('nanomdm/mdm_testdata_Authenticate.1.plist'), CHECKIN_CONTENT_TYPE)).status, 200);
  assert.equal((await put(`${srv.url}/mdm`, tokenUpdate, CHECKIN_CONTENT_TYPE)).status, 200);
  const body = await (await ui.get(`/ui/devices/${UDID}`)).text();
  const timeline = /<ol class="timeline" id="timeline">([\s\S]*?)<\/ol>/.exec(body)?.[1] ?? '';
  const plists = [...timeline.matchAll(/<pre class="checkin-plist">([\s\S]*?)<\/pre>/g)].map((m) => m[1]!);
  assert.equal(plists.length, 2, 'one folded plist per check-in');
  assert.match(timeline, /Check-in: Authenticate<\/span>[\s\S]*?<details><summary>raw plist<\/summary>/);
  const auth = plists.find((p) => p.includes('Authenticate'))!;
  assert.match(auth, /&lt;key&gt;SerialNumber&lt;\/key&gt;\s*&lt;string&gt;F5JM992LF193&lt;\/string&gt;/, 'the Authenticate plist, escaped');
  const tu = parsePlist(tokenUpdate) as PlistDict;
  const token = tu.Token as Buffer;
  const unlock = tu.UnlockToken as Buffer;
  for (const secret of [token.toString('base64'), token.toString('hex'), tu.PushMagic as string, unlock.toString('base64').slice(0, 40), unlock.toString('base64').slice(-40)]) {
    assert.ok(!body.includes(secret), `${secret} is not in the page`);
  }
  const tuPlist = plists.find((p) => p.includes('TokenUpdate'))!;
  assert.match(tuPlist, /&lt;key&gt;Token&lt;\/key&gt;\s*&lt;string&gt;\(redacted, 32 bytes\)&lt;\/string&gt;/);
  assert.match(tuPlist, new RegExp(`&lt;key&gt;UnlockToken&lt;/key&gt;\\s*&lt;string&gt;\\(redacted, ${unlock.length} bytes\\)`));
  assert.match(tuPlist, /&lt;key&gt;PushMagic&lt;\/key&gt;\s*&lt;string&gt;\(redacted, 36 bytes\)/);
  assert.match(tuPlist, /com\.apple\.mgmt\.External\.e0bd1eac/, 'the rest of the plist is kept');
  const [stored] = await srv.store.listEvents({ enrollmentId: UDID, kindPrefix: 'checkin.TokenUpdate' });
  assert.equal((stored!.detail as { tokenUpdateTally: number }).tokenUpdateTally, 1, 'the parsed detail stays beside the plist');
});

test('the device page shows the inventory and how it changed', async () => {
  await srv.store.upsertInventory(PHONE, { osVersion: '18.2' }, new Date(), { information: true });
  const body = await (await ui.get(`/ui/devices/${PHONE}`)).text();
  assert.match(body, /<h2 id="inventory-h">Inventory<\/h2>/);
  assert.match(body, /<h3>How it changed<\/h3>/);
  assert.match(body, /<td>os_?[vV]ersion<\/td><td>18\.1<\/td><td>18\.2<\/td>/);
});

test('the server page shows the webhook backlog (URL without its password), catalog freshness and DDM sets', async () => {
  const empty = await (await ui.get('/ui/server')).text();
  assert.match(empty, /No catalog imported/);
  assert.match(empty, /No declaration set\./);
  assert.match(empty, /No push certificate imported/);

  const gdmf = await fetch(`${srv.url}/v1/catalogs/gdmf?force=1`, { method: 'PUT', headers: { authorization: `Bearer ${TEST_API_KEY}` }, body: readFileSync(join(catalogsDir, 'gdmf_pmv_2026-08.json'), 'utf8') });
  assert.equal(gdmf.status, 200, await gdmf.text());
  await srv.store.ddmPutDeclaration({ identifier: 'pages.passcode', type: 'com.apple.configuration.passcode.settings', kind: 'configuration', payload: { MinimumLength: 6 }, serverToken: 't1' }, new Date());
  await srv.store.ddmPutSet('office-macs', ['pages.passcode'], new Date());
  // The import's audit entry (and its webhook event) is written once the answer is sent: wait for it.
  for (let i = 0; !(await srv.store.listAudit({})).some((a) => a.route.includes('catalogs')); i++) {
    assert.ok(i < 100, 'the catalog import is in the audit log');
    await new Promise((r) => setTimeout(r, 20));
  }
  const before = await srv.store.outboxPending();
  for (let i = 0; i < 3; i++) await srv.store.outboxAdd('mdm.Test', '{}', new Date());

  const body = await (await ui.get('/ui/server')).text();
  assert.match(body, new RegExp(`<dt>Waiting for delivery</dt><dd>${before + 3}</dd>`));
  assert.match(body, /<code>http:\/\/127\.0\.0\.1:9\/hook<\/code>/);
  assert.doesNotMatch(body, /s3cret-pw/, 'the webhook URL is shown without its password');
  assert.match(body, /<tr><th scope="row">gdmf<\/th>[\s\S]*?<span class="badge (good|warn)">(fresh|stale)<\/span>/, 'the catalog with its freshness');
  assert.match(body, /<tr><th scope="row">office-macs<\/th><td class="num">1<\/td>/, 'the DDM set with its declaration count');
});

test('a read-only key sees no form that changes anything on any page; an operator sees them', async () => {
  await srv.store.createApiKey({ id: 'pages-ro', name: 'pages-viewer', role: 'read-only', hash: hashApiKey('pages-ro-key'), createdAt: new Date() });
  await srv.store.createApiKey({ id: 'pages-op', name: 'pages-helpdesk', role: 'operator', hash: hashApiKey('pages-op-key'), createdAt: new Date() });
  const ro = await signIn(srv.url, 'pages-ro-key');
  const op = await signIn(srv.url, 'pages-op-key');
  assert.ok((await queued(MAC)).length > 0, 'the device has a queue with cancel buttons for those who may');
  const pages = ['/ui', '/ui/devices', `/ui/devices/${MAC}`, '/ui/campaigns', '/ui/server'];
  for (const path of pages) {
    const res = await ro.get(path);
    assert.equal(res.status, 200, path);
    assert.deepEqual(postForms(await res.text()), ['/ui/signout'], `${path}: only sign-out for a read-only key`);
  }
  const opDevice = postForms(await (await op.get(`/ui/devices/${MAC}`)).text());
  assert.ok(opDevice.includes(`/ui/devices/${MAC}/actions/restart`) && opDevice.some((a) => a.includes('/queue/')), `operator: ${opDevice.join(', ')}`);
});
