// A seeded fuzz pass over every route the app registers: malformed JSON and plists, garbage bytes,
// odd content types, strange path parameters, with and without the API key. Every answer is below
// 500 (bar the documented ones), a 4xx carries a reason, the MDM routes never answer 401, and the
// server is alive with bounded memory afterwards. Bounded in count and time; UPDRAFT_FUZZ_SEED replays a run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { routesOf } from '../../src/http/app.js';
import { Rng } from '../../src/sim/random.js';
import { buildPlist } from '../../src/plist/index.js';
import { startHarness, type Harness } from '../sim/harness.js';
import { TEST_API_KEY } from '../helpers/server.js';
import { bodies, contentTypes, paramValues } from './fuzz-inputs.js';

const SEED = Number(process.env.UPDRAFT_FUZZ_SEED ?? 1313);
const PER_ROUTE = 24;
const BUDGET_MS = 35_000;
const MDM = new Set(['/mdm', '/checkin', '/mdm/checkin', '/mdm/connect']);
/** Documented 5xx: NanoMDM's enqueue and push (and MicroMDM's push) answer 500 when every id fails. */
const DOCUMENTED_5XX = new Set(['PUT /v1/enqueue/:ids', 'POST /v1/enqueue', 'GET /v1/push/:ids', 'POST /v1/push/:ids', 'POST /v1/push', 'GET /push/:udid']);

let h: Harness;
before(async () => {
  h = await startHarness();
  // One real enrollment, so some parameters hit existing rows.
  await h.store.authenticate({ id: 'FUZZ-UDID', type: 'Device', deviceId: 'FUZZ-UDID', udid: 'FUZZ-UDID', userId: null, userShortName: null, userLongName: null, certHash: null, at: new Date(), topic: 't', inventory: {} } as never);
});
after(async () => h?.close());

test(`every route under fuzzing (seed ${SEED}): < 500 but documented, reasons on 4xx, never 401 on MDM routes, alive after`, async () => {
  const rng = new Rng(SEED);
  const routes = routesOf(h.server.app).flatMap((r) => r.methods.map((m) => ({ method: m, url: r.url })));
  assert.ok(routes.length >= 40, `routes found: ${routes.length}`);
  const rssBefore = process.memoryUsage().rss;
  const start = Date.now();
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  let sent = 0;
  for (let round = 0; round < PER_ROUTE && Date.now() - start < BUDGET_MS; round++) {
    for (const r of routes) {
      const path = r.url.replace(/:(\w+)/g, () => encodeURIComponent(rng.pick(paramValues(rng))));
      const query = rng.chance(0.3) ? `?${rng.pick(['page=-1', 'per_page=999999999', 'limit=abc', 'x=%ff', 'include_done=maybe', 'a[b]=1&a[c]=2'])}` : '';
      const hasBody = r.method !== 'GET' && (r.method !== 'DELETE' || rng.chance(0.1));
      const headers: Record<string, string> = {};
      if (rng.chance(0.75)) headers.authorization = rng.chance(0.9) ? `Bearer ${TEST_API_KEY}` : rng.pick(['Basic Og==', 'Bearer ', 'Basic bmFub21kbTp4']);
      const ct = rng.pick(contentTypes);
      if (hasBody && ct) headers['content-type'] = ct;
      if (MDM.has(r.url) && rng.chance(0.5)) headers['mdm-signature'] = rng.pick(['', 'AAAA', Buffer.from(buildPlist({ a: 1 })).toString('base64')]);
      const body = hasBody ? rng.pick(bodies)(rng) : undefined;
      let res: Response;
      try {
        res = await fetch(h.url + path + query, { method: r.method, headers, body: body as string | Uint8Array | undefined, signal: AbortSignal.timeout(15_000) });
      } catch (err) {
        failures.push(`${r.method} ${path}: no answer (${(err as Error).message})`);
        continue;
      }
      const text = await res.text();
      sent++;
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const where = `${r.method} ${r.url} [${ct ?? 'no type'}] → ${res.status} ${text.slice(0, 120)}`;
      if (res.status >= 500 && !DOCUMENTED_5XX.has(`${r.method} ${r.url}`)) failures.push(where);
      if (MDM.has(r.url) && res.status === 401) failures.push(`401 on an MDM route: ${where}`);
      if (res.status >= 400 && res.status < 500 && text.trim() === '') failures.push(`4xx without a reason: ${where}`);
    }
  }
  const alive = await fetch(h.url + '/v1/openapi.json');
  assert.equal(alive.status, 200, 'the server still answers');
  const grown = (process.memoryUsage().rss - rssBefore) / 1048576;
  console.log(`fuzz: ${sent} requests over ${routes.length} routes in ${Date.now() - start} ms; statuses ${JSON.stringify(Object.fromEntries(statuses))}; rss ${(rssBefore / 1048576).toFixed(0)} MiB, then ${grown >= 0 ? '+' : ''}${grown.toFixed(1)} MiB; peak ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  assert.deepEqual(failures.slice(0, 40), [], `${failures.length} failures`);
  assert.ok(sent >= routes.length * 3, `at least three rounds (${sent})`);
  assert.ok(grown < 300, `memory bounded (rss grew ${grown.toFixed(1)} MiB)`);
});
