// The bundle `npm run build` makes (what `npm start` and `bin/updraft.js` run): built afresh, its
// `serve` enrolls a simulated fleet over SCEP and takes it through an OS update campaign to the end,
// serves the dashboard's pages (loaded on first use, from chunks) and static files (read from
// src/ui/static) and its metrics, and the API's OpenAPI document carries package.json's version.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Fleet } from '../../src/sim/fleet.js';
import { repoRoot } from '../helpers/fixtures.js';
import { devices, scenario, serveRig, waitFor } from '../osupdate/campaign-resume.js';
import { startServeProcess, type ServeProcess } from '../osupdate/serve-process.js';

// Inside the project, so the bundle finds node_modules (better-sqlite3 stays outside it) and package.json.
const out = mkdtempSync(join(repoRoot, 'node_modules/.cache-updraft-bundle-'));
let server: ServeProcess | undefined;
let fleet: Fleet | undefined;
const rig = serveRig(() => ({ server, fleet }));

before(() => execFileSync(process.execPath, [join(repoRoot, 'scripts/build.mjs'), out], { cwd: repoRoot, stdio: 'inherit' }));
after(() => rmSync(out, { recursive: true, force: true }));

test('the build is one entry file and chunks loaded on first use', () => {
  assert.deepEqual(readdirSync(join(out, 'cli')).filter((f) => f.endsWith('.js')), ['main.js']);
  assert.ok(readdirSync(join(out, 'chunks')).filter((f) => f.endsWith('.js')).length > 10);
});

test("the bundle leaves fastify's lazily required packages out, and stands in for semver with what fastify calls", () => {
  const chunks = readdirSync(join(out, 'chunks')).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(out, 'chunks', f), 'utf8'));
  const fastify = chunks.filter((c) => c.includes('FST_ERR_'));
  assert.ok(fastify.length > 0);
  for (const pkg of ['@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', 'light-my-request']) assert.ok(fastify.some((c) => c.includes(`require("${pkg}")`)), pkg);
  assert.ok(!chunks.some((c) => c.includes('node_modules/ajv/')), 'no Ajv in any chunk');
  type Semver = { gt(a: string, b: unknown): boolean; coerce(v: string): unknown; satisfies(v: string, r: string, o?: object): boolean };
  const req = createRequire(import.meta.url);
  const [stub, semver] = [req(join(repoRoot, 'scripts/semver-lazy.cjs')) as Semver, req('semver') as Semver];
  for (const s of [stub, semver]) {
    assert.equal(s.satisfies('5.3.0', '5.x', { includePrerelease: false }), true);
    assert.equal(s.satisfies('5.3.0', '>=4 <5'), false);
    assert.equal(s.gt('5.3.0', s.coerce('5.0.0-rc.1')), true);
  }
});

test('the bundled server enrolls a fleet and updates it, and serves the dashboard and the API', async () => {
  const { database, apns } = rig;
  server = await startServeProcess({ db: database.db, dataDir: database.dataDir, apnsUrl: apns.fake.url, apnsCa: apns.ca, main: join(out, 'cli/main.js'), args: ['--campaign-poll-seconds', '1'] });
  assert.equal((await server.api('PUT', '/v1/pushcert', apns.pushcert)).status, 200);
  fleet = await Fleet.start({ server: server.url, count: 3, scenario, wakeUrl: apns.fake.wakeUrl, interval: 2, keyPoolSize: 2 });

  const created = await server.api('POST', '/v1/campaigns', { name: 'bundle', select: { all: true }, target: { version: '26.6.2' } });
  assert.equal(created.status, 201, await created.clone().text());
  const { id } = (await created.json()) as { id: string };
  await waitFor('every device done', async () => ((await devices(server!.api, id)).every((d) => d.state === 'done') ? true : null));
  assert.deepEqual(fleet.devices.map((d) => d.osVersion), ['26.6.2', '26.6.2', '26.6.2']);

  const signin = await fetch(`${server.url}/ui/signin`);
  assert.equal(signin.status, 200);
  assert.match(await signin.text(), /<form/);
  const css = await fetch(`${server.url}/ui/assets/ui.css`);
  assert.equal(css.status, 200);
  assert.equal(await css.text(), readFileSync(join(repoRoot, 'src/ui/static/ui.css'), 'utf8'));
  // prom-client's CPU metric works without @opentelemetry/api, which the bundle leaves out
  const metrics = await server.api('GET', '/metrics');
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /^updraft_process_cpu_seconds_total \d/m);
  const openapi = (await (await fetch(`${server.url}/v1/openapi.json`)).json()) as { info: { version: string } };
  assert.equal(openapi.info.version, (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version);
});
