// A campaign's pause, resume and cancel buttons in the dashboard, against a whole server with the
// campaign engine (test/cli/campaign-server.ts): each button moves the campaign as the API reports it,
// the page then offers only the moves that remain, a move out of a cancelled campaign is a 409 with
// the reason, and a read-only key sees no button on the campaign page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MACS, startCampaignServer, type CampaignServer } from '../cli/campaign-server.js';
import { hashApiKey } from '../../src/http/api/auth.js';
import { TEST_API_KEY } from '../helpers/server.js';
import { signIn, type UiClient } from './client.js';

let server: CampaignServer;
let ui: UiClient;
let id: string;

before(async () => {
  server = await startCampaignServer({ catalogs: true, devices: [MACS.m15, MACS.m13] });
  ui = await signIn(server.h.url, TEST_API_KEY);
  const created = await server.api('POST', '/v1/campaigns', { name: 'controls', select: { all: true }, target: { policy: 'latest-minor' }, waves: ['50%', '100%'] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  id = created.body.id as string;
});
after(async () => server?.h.close());

const buttons = (body: string) => [...body.matchAll(/<form method="post" action="\/ui\/campaigns\/[^/"]+\/(\w+)">/g)].map((m) => m[1]);
const stateOf = async () => (await server.api('GET', `/v1/campaigns/${id}`)).body.state;

test('pause, resume and cancel from the campaign page move the campaign; the page offers only what remains', async () => {
  const page = `/ui/campaigns/${id}`;
  assert.deepEqual(buttons(await (await ui.get(page)).text()), ['pause', 'cancel']);
  const csrf = await ui.csrf(page);

  const paused = await ui.post(`${page}/pause`, { _csrf: csrf });
  assert.equal(paused.status, 303);
  assert.equal(paused.headers.get('location'), page);
  assert.equal(await stateOf(), 'paused');
  const body = await (await ui.get(page)).text();
  assert.match(body, /id="campaign-status"><strong>paused<\/strong>/);
  assert.deepEqual(buttons(body), ['resume', 'cancel']);

  assert.equal((await ui.post(`${page}/resume`, { _csrf: csrf })).status, 303);
  assert.equal(await stateOf(), 'running');

  assert.equal((await ui.post(`${page}/cancel`, { _csrf: csrf })).status, 303);
  assert.equal(await stateOf(), 'cancelled');
  assert.deepEqual(buttons(await (await ui.get(page)).text()), [], 'a cancelled campaign has no button');

  const again = await ui.post(`${page}/resume`, { _csrf: csrf });
  assert.equal(again.status, 409);
  assert.match(await again.text(), /cancelled/);
  assert.equal(await stateOf(), 'cancelled');
  assert.equal((await ui.post('/ui/campaigns/nope/pause', { _csrf: csrf })).status, 404);
});

test('a read-only key sees no button on a running campaign, and its pause is refused', async () => {
  const second = await server.api('POST', '/v1/campaigns', { name: 'watched', select: { all: true }, target: { policy: 'latest-minor' } });
  assert.equal(second.status, 201, JSON.stringify(second.body));
  const running = second.body.id as string;
  await server.h.store.createApiKey({ id: 'cc-ro', name: 'cc-viewer', role: 'read-only', hash: hashApiKey('cc-ro-key'), createdAt: new Date() });
  const ro = await signIn(server.h.url, 'cc-ro-key');
  const body = await (await ro.get(`/ui/campaigns/${running}`)).text();
  assert.match(body, /<strong>running<\/strong>/);
  assert.deepEqual(buttons(body), []);
  assert.equal((await ro.post(`/ui/campaigns/${running}/pause`, { _csrf: await ro.csrf(`/ui/campaigns/${running}`) })).status, 403);
  assert.equal((await server.api('GET', `/v1/campaigns/${running}`)).body.state, 'running');
});

test('the device page shows its campaign, the device\'s state there and the reason, as the API reports them', async () => {
  const list = (await server.api('GET', '/v1/campaigns')).body.campaigns as Array<{ id: string; name: string; state: string }>;
  const watched = list.find((c) => c.name === 'watched' && c.state === 'running')!;
  assert.ok(watched, JSON.stringify(list));
  // The engine moves devices meanwhile: read the page and the API until they were read in the same state.
  let seen = '';
  for (let i = 0; i < 50; i++) {
    const page = await (await ui.get(`/ui/devices/${MACS.m13.UDID}`)).text();
    const rows = (await server.api('GET', `/v1/campaigns/${watched.id}/devices`)).body.devices as Array<{ enrollment_id: string; state: string; reason: string | null }>;
    const d = rows.find((r) => r.enrollment_id === MACS.m13.UDID)!;
    const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
    const want = `<a href="/ui/campaigns/${watched.id}">watched</a> (running): <strong>${d.state}</strong>${d.reason ? ` — ${esc(d.reason)}` : ''}</p>`;
    seen = /<h2 id="campaign-h">Campaign<\/h2>([\s\S]*?)<\/section>/.exec(page)?.[1] ?? page;
    if (page.includes(want)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`the device page never showed the API's campaign state: ${seen}`);
});
