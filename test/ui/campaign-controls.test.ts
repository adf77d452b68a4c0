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
