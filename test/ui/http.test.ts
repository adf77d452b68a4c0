// The dashboard over plain HTTP (no browser): sign-in and its cookie, CSRF on every form, every value
// escaped, the device list paged, sorted and filtered in the server, bad parameters refused with a
// reason, and htmx and uPlot served from the project's own dependencies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { html, raw } from '../../src/ui/html.js';
import { hashApiKey } from '../../src/http/api/auth.js';
import { postForm, setCookies, signIn, signinForm, type UiClient } from './client.js';
import { storeWithSecondConnection } from '../storage/setup.js';

let srv: TestServer;
let ui: UiClient;
const at = new Date('2026-08-20T10:00:00Z');
/** As text "9.3.5" sorts after "26.1" and "10.15.7"; as versions it comes first. */
const OS_VERSIONS = ['26.1', '9.3.5', '10.15.7'];
const rowsOf = (body: string) => [...body.matchAll(/<a href="\/ui\/devices\/([^"]+)">/g)].map((m) => decodeURIComponent(m[1]!));

before(async () => {
  srv = await startTestServer();
  const { store } = srv;
  for (let i = 0; i < 120; i++) {
    const id = `UI-${String(i).padStart(4, '0')}`;
    await store.authenticate({
      id, type: 'Device', deviceId: id, udid: id, topic: 'com.apple.mgmt.test', at,
      inventory: { deviceName: i === 7 ? '<script>alert("x")</script> & co' : `Mac ${String(i).padStart(3, '0')}`, serialNumber: `SER${i}`, model: i % 2 ? 'Mac14,2' : 'iPhone15,2', platform: i % 2 ? 'macOS' : 'iOS', osVersion: OS_VERSIONS[i % 3] },
    });
    await store.touch(id, new Date(Date.now() - (i < 10 ? 40 : 1) * 86_400_000));
  }
  ui = await signIn(srv.url, TEST_API_KEY);
});
after(() => srv?.close());

test('html`` escapes every interpolation; raw() and nested fragments pass through', () => {
  const name = `<img src=x onerror="alert('1')">&`;
  assert.equal(html`<p title="${name}">${name}</p>`.text, '<p title="&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;">&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;</p>');
  assert.equal(html`<ul>${['<a>', html`<li>${'<b>'}</li>`]}</ul>`.text, '<ul>&lt;a&gt;<li>&lt;b&gt;</li></ul>');
  assert.equal(html`${raw('<hr>')}${null}${undefined}${false}${0}`.text, '<hr>0');
});

test('a wrong key is refused and sets no session; the right one gives an HttpOnly, SameSite=Strict session cookie', async () => {
  const form = await signinForm(srv.url);
  const wrong = await postForm(srv.url, '/ui/signin', { _signin: form.token, key: 'not-the-key' }, { cookie: form.cookie });
  assert.equal(wrong.status, 401);
  assert.match(await wrong.text(), /Wrong API key/);
  assert.ok(!setCookies(wrong).some((c) => c.startsWith('updraft_session=')));

  const ok = await postForm(srv.url, '/ui/signin', { _signin: form.token, key: TEST_API_KEY, next: '/ui/devices' }, { cookie: form.cookie });
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.get('location'), '/ui/devices');
  const cookie = setCookies(ok).find((c) => c.startsWith('updraft_session='))!;
  assert.match(cookie, /; HttpOnly/);
  assert.match(cookie, /; SameSite=Strict/);
  assert.match(cookie, /; Path=\/ui/);
  assert.doesNotMatch(cookie, /Secure/, 'plain HTTP: no Secure flag');

  const https = await postForm(srv.url, '/ui/signin', { _signin: form.token, key: TEST_API_KEY }, { cookie: form.cookie, 'x-forwarded-proto': 'https' });
  assert.match(setCookies(https).find((c) => c.startsWith('updraft_session='))!, /; Secure/, 'over HTTPS (a TLS proxy) the cookie is Secure');

  const noToken = await postForm(srv.url, '/ui/signin', { key: TEST_API_KEY }, { cookie: form.cookie });
  assert.equal(noToken.status, 403, 'the sign-in form without its token is refused');
});

test('pages need a session; a forged cookie is no session', async () => {
  const anon = await fetch(`${srv.url}/ui/devices?q=x`, { redirect: 'manual' });
  assert.equal(anon.status, 303);
  assert.equal(anon.headers.get('location'), `/ui/signin?next=${encodeURIComponent('/ui/devices?q=x')}`);
  const forged = await fetch(`${srv.url}/ui`, { redirect: 'manual', headers: { cookie: ui.cookie.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) } });
  assert.equal(forged.status, 303);
  const page = await ui.get('/ui');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy')!, /script-src 'self'/);
  assert.match(await page.text(), /<h1>Fleet<\/h1>/);
});

test('a form POST without the CSRF token, or with another session\'s, is refused with 403', async () => {
  const other = await signIn(srv.url, TEST_API_KEY);
  const none = await ui.post('/ui/signout', {});
  assert.equal(none.status, 403);
  assert.match(await none.text(), /CSRF/);
  const foreign = await ui.post('/ui/signout', { _csrf: await other.csrf() });
  assert.equal(foreign.status, 403);
  assert.equal((await ui.get('/ui')).status, 200, 'still signed in');
  const header = await other.post('/ui/signout', {}, { 'x-csrf-token': await other.csrf() });
  assert.equal(header.status, 303, 'the token in the X-CSRF-Token header (htmx) is accepted');
  assert.equal((await other.get('/ui')).status, 303, 'signed out: the session is no longer accepted');
});

test('device names and search text are escaped in the page', async () => {
  const res = await ui.get(`/ui/devices?q=${encodeURIComponent('<script>')}`);
  const body = await res.text();
  assert.equal(res.status, 200);
  assert.match(body, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; co/);
  assert.doesNotMatch(body, /<script>alert/);
  assert.match(body, /value="&lt;script&gt;"/, 'the search box echoes the query escaped');
  assert.match(body, /1 device</);
});

test('the device list is paged, sorted and filtered by the server', async () => {
  const p1 = await (await ui.get('/ui/devices')).text();
  assert.match(p1, /120 devices, page 1 of 3/);
  assert.equal(rowsOf(p1).length, 50);
  const p3 = await (await ui.get('/ui/devices?page=3')).text();
  assert.equal(rowsOf(p3).length, 20);
  const desc = rowsOf(await (await ui.get('/ui/devices?sort=serial&dir=desc')).text());
  assert.equal(desc[0], 'UI-0099', 'SER99 sorts last as text');
  const mac = await (await ui.get('/ui/devices?platform=macOS&seen=30')).text();
  assert.match(mac, /5 devices not seen for 30 days/);
  assert.ok(rowsOf(mac).every((id) => Number(id.slice(3)) % 2 === 1 && Number(id.slice(3)) < 10));
  const bad = await ui.get('/ui/devices?sort=nope');
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /sort must be one of/);
});

test('the OS column sorts by version, not as text: 9.x before 10.x before 26.x', async () => {
  const osOf = (id: string) => OS_VERSIONS[Number(id.slice(3)) % 3];
  const asc = rowsOf(await (await ui.get('/ui/devices?sort=os')).text()).map(osOf);
  assert.deepEqual([...new Set(asc)], ['9.3.5', '10.15.7'], 'the first 50 of 120: every 9.3.5 (40), then 10.15.7');
  const desc = rowsOf(await (await ui.get('/ui/devices?sort=os&dir=desc&page=2')).text()).map(osOf);
  assert.deepEqual([...new Set(desc)], ['10.15.7', '9.3.5'], 'descending: 26.1 (40), 10.15.7 (40), then 9.3.5');
  // An inventory report that changes the OS version moves the device in that order.
  await srv.store.upsertInventory('UI-0001', { osVersion: '8.4.1' }, new Date(), { information: true });
  assert.equal(rowsOf(await (await ui.get('/ui/devices?sort=os')).text())[0], 'UI-0001');
  await srv.store.upsertInventory('UI-0001', { osVersion: '9.3.5' }, new Date(), { information: true });
});

test('search matches the start of a serial number, name, model or id, in any case', async () => {
  const serial = await (await ui.get('/ui/devices?q=ser11')).text();
  assert.match(serial, /11 devices/, 'SER11 and SER110-SER119');
  assert.deepEqual(rowsOf(serial), ['UI-0011', ...Array.from({ length: 10 }, (_, i) => `UI-011${i}`)]);
  assert.match(await (await ui.get('/ui/devices?q=mac+10')).text(), /10 devices/, 'names Mac 100-Mac 109');
  assert.match(await (await ui.get('/ui/devices?q=ui-011')).text(), /10 devices/, 'ids');
  assert.match(await (await ui.get('/ui/devices?q=IPHONE15')).text(), /60 devices/, 'models');
  assert.match(await (await ui.get('/ui/devices?q=ER11')).text(), /0 devices/, 'the middle of a serial is not its start');
  assert.match(await (await ui.get('/ui/devices?q=SER1_')).text(), /0 devices/, 'LIKE wildcards are plain characters');
});

test('past 10,000 matches the list says "more than" and pages on with Next until the last page', async () => {
  const { store, other, close } = await storeWithSecondConnection();
  const big = await startTestServer({ store });
  try {
    const n = 10_050;
    const rows = Array.from({ length: n }, (_, i) => {
      const id = `BIG-${String(i).padStart(5, '0')}`;
      return { id, device_id: id, type: 'Device', topic: 't', enabled: 1, token_update_tally: 1, awaiting_configuration: 0, created_at: 0, updated_at: 0, device_name: `Big ${String(i).padStart(5, '0')}` };
    });
    for (let i = 0; i < n; i += 500) await other.insertInto('enrollments').values(rows.slice(i, i + 500)).execute();
    const client = await signIn(big.url, TEST_API_KEY);
    assert.match(await (await client.get('/ui/devices')).text(), /10,050 devices, page 1 of 201/, 'the whole fleet: counted exactly');
    const first = await (await client.get('/ui/devices?q=big')).text();
    assert.match(first, /More than 10,000 devices, page 1</);
    assert.match(first, /<span>Page 1<\/span>\s*<a href="\/ui\/devices\?q=big&amp;page=2" rel="next">/);
    const last = await (await client.get('/ui/devices?q=big&page=201')).text();
    assert.match(last, /More than 10,000 devices, page 201</);
    assert.deepEqual(rowsOf(last), rows.slice(10_000).map((r) => r.id));
    assert.doesNotMatch(last, /rel="next"/, 'the last page has no Next');
    assert.match(last, /rel="prev"/);
  } finally {
    await big.close();
    await close();
  }
});

test('the fleet page links its figures to the filtered list', async () => {
  const body = await (await ui.get('/ui')).text();
  assert.match(body, /href="\/ui\/devices\?seen=30">10</);
  assert.match(body, /href="\/ui\/devices\?posture=unknown"><span class="n">120</);
});

test('htmx and uPlot come from the server itself', async () => {
  for (const [name, type] of [['htmx.min.js', /javascript/], ['uPlot.iife.min.js', /javascript/], ['uPlot.min.css', /css/], ['ui.css', /css/], ['ui.js', /javascript/]] as const) {
    const res = await fetch(`${srv.url}/ui/assets/${name}`);
    assert.equal(res.status, 200, name);
    assert.match(res.headers.get('content-type')!, type);
    assert.ok((await res.text()).length > 500, name);
  }
  assert.equal((await fetch(`${srv.url}/ui/assets/..%2Fpackage.json`)).status, 404);
});

test('a read-only key sees no button that changes anything, and its POSTs are refused', async () => {
  await srv.store.createApiKey({ id: 'ro1', name: 'auditor', role: 'read-only', hash: hashApiKey('read-only-key'), createdAt: new Date() });
  const ro = await signIn(srv.url, 'read-only-key');
  const device = await (await ro.get('/ui/devices/UI-0001')).text();
  assert.match(device, /auditor \(read-only\)/);
  assert.doesNotMatch(device, /\/actions\//, 'no command buttons');
  assert.doesNotMatch(device, /<button[^>]*>(Restart|Lock|Cancel)/);
  const campaigns = await (await ro.get('/ui/campaigns')).text();
  assert.doesNotMatch(campaigns, /New campaign/);
  const refused = await ro.post('/ui/devices/UI-0001/actions/restart', { _csrf: await ro.csrf() });
  assert.equal(refused.status, 403);
  assert.match(await refused.text(), /read-only role changes nothing/);
  assert.equal((await srv.store.listQueue('UI-0001')).length, 0);
  // The audit entry is written once the answer is sent (as for the API): wait for it.
  let audit = await srv.store.listAudit({ key: 'auditor' });
  for (let i = 0; audit.length === 0 && i < 100; i++) {
    await new Promise((r) => setTimeout(r, 20));
    audit = await srv.store.listAudit({ key: 'auditor' });
  }
  assert.deepEqual(audit.map((a) => [a.route, a.targets, a.status, a.role]), [['/ui/devices/:id/actions/:action', ['UI-0001', 'restart'], 403, 'read-only']], 'the refused change is in the audit log');
  assert.equal((await ro.post('/ui/signout', { _csrf: await ro.csrf() })).status, 303, 'it may still sign out');

  await srv.store.revokeApiKey('ro1', new Date());
  const form = await signinForm(srv.url);
  const revoked = await postForm(srv.url, '/ui/signin', { _signin: form.token, key: 'read-only-key' }, { cookie: form.cookie });
  assert.equal(revoked.status, 401, 'a revoked key signs in no more');
});

test('revoking a key ends the dashboard sessions it opened, on their next request', async () => {
  await srv.store.createApiKey({ id: 'op1', name: 'helpdesk', role: 'operator', hash: hashApiKey('operator-key'), createdAt: new Date() });
  const op = await signIn(srv.url, 'operator-key');
  const csrf = await op.csrf();
  assert.equal((await op.get('/ui/devices')).status, 200);
  await srv.store.revokeApiKey('helpdesk', new Date());
  const page = await op.get('/ui/devices');
  assert.equal(page.status, 303, 'the next page asks to sign in again');
  assert.match(page.headers.get('location')!, /^\/ui\/signin/);
  const post = await op.post('/ui/devices/UI-0002/actions/restart', { _csrf: csrf });
  assert.equal(post.status, 401, 'and a form it still holds is refused');
  assert.equal((await srv.store.listQueue('UI-0002')).length, 0);
  assert.equal((await ui.get('/ui/devices')).status, 200, "the server key's session goes on");
});

test('the server page warns from 30 days before the push certificate expires', async () => {
  const notAfter = new Date(Date.now() + 12 * 86_400_000 + 3600_000);
  await srv.store.savePushCert({ topic: 'com.apple.mgmt.External.test-topic', certPem: 'x', keyPem: 'x', notAfter }, new Date());
  const body = await (await ui.get('/ui/server')).text();
  assert.match(body, /com\.apple\.mgmt\.External\.test-topic/);
  assert.match(body, /role="alert">The push certificate expires in 12 days/);
  await srv.store.savePushCert({ topic: 'com.apple.mgmt.External.test-topic', certPem: 'x', keyPem: 'x', notAfter: new Date(Date.now() + 90 * 86_400_000) }, new Date());
  assert.doesNotMatch(await (await ui.get('/ui/server')).text(), /expires in \d+ days? \(/);
});

test('the server page lists the DEP names and warns from 30 days before a server token expires', async () => {
  const tokens = { consumer_key: 'CK_ui', consumer_secret: 'CS_ui', access_token: 'AT_ui', access_secret: 'AS_ui' };
  const inDays = (d: number) => new Date(Date.now() + d * 86_400_000 + 3600_000).toISOString();
  await srv.store.saveDepTokens('ui-soon', { ...tokens, access_token_expiry: inDays(12) }, new Date());
  await srv.store.saveDepTokens('ui-later', { ...tokens, consumer_key: 'CK_later', access_token_expiry: inDays(90) }, new Date());
  await srv.store.saveDepTokens('ui-gone', { ...tokens, consumer_key: 'CK_gone', access_token_expiry: '2020-01-01T00:00:00Z' }, new Date());
  const body = await (await ui.get('/ui/server')).text();
  assert.match(body, /class="notice warn" role="alert">the DEP server token of ui-soon expires in 12 days/);
  assert.match(body, /class="notice error" role="alert">the DEP server token of ui-gone expired on 2020-01-01/);
  assert.doesNotMatch(body, /token of ui-later/);
  assert.match(body, /<th scope="row">ui-later<\/th><td>CK_later<\/td>/);
  assert.equal(body.includes('CS_ui'), false, 'no secrets on the page');
});
