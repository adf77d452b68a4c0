// `updraft catalog import|list|show` as a subprocess against a running server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { runCli } from '../cli/run.js';
import { catalogsDir, snapshot, SNAPSHOTS, sucatalogXml } from './sucatalog.js';

let server: TestServer;
let env: Record<string, string>;
let dir: string;

before(async () => {
  server = await startTestServer();
  env = { UPDRAFT_SERVER: server.url, UPDRAFT_API_KEY: TEST_API_KEY };
  dir = mkdtempSync(join(tmpdir(), 'updraft-catalog-cli-'));
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('catalog import: each shipped snapshot, a gzipped sucatalog; says what it imported', async () => {
  const gdmf = await runCli(['catalog', 'import', join(catalogsDir, SNAPSHOTS.gdmf), '--kind', 'gdmf'], env);
  assert.equal(gdmf.code, 0, gdmf.stderr);
  assert.match(gdmf.stdout, /^gdmf: imported from file:gdmf_pmv_2026-08\.json: 107 entries, newest release 2026-08-17; stale: every release in it expired by 2026-11-20/);
  const mac = await runCli(['catalog', 'import', join(catalogsDir, SNAPSHOTS['sofa-macos']), '--kind', 'sofa-macos', '--json'], env);
  assert.equal(mac.code, 0, mac.stderr);
  assert.equal((JSON.parse(mac.stdout) as { entries: number }).entries, 128);
  const ios = await runCli(['catalog', 'import', '-', '--kind', 'sofa-ios'], env, snapshot(SNAPSHOTS['sofa-ios']).toString());
  assert.equal(ios.code, 0, ios.stderr);
  assert.match(ios.stdout, /^sofa-ios: imported from file:stdin: 73 entries/);
  const su = join(dir, 'index-26.merged-1.sucatalog.gz');
  writeFileSync(su, gzipSync(sucatalogXml({ indexDate: new Date() })));
  const suOut = await runCli(['catalog', 'import', su, '--kind', 'sucatalog'], env);
  assert.equal(suOut.code, 0, suOut.stderr);
  assert.match(suOut.stdout, /^sucatalog: imported from file:index-26\.merged-1\.sucatalog\.gz: 32 entries, newest release 2026-08-17; valid$/m);
  const again = await runCli(['catalog', 'import', su, '--kind', 'sucatalog'], env);
  assert.match(again.stdout, /unchanged \(the server already holds this document\)/);
});

test('catalog import: a corrupt file or an older catalog exits 1 with the reason naming the file', async () => {
  const bad = join(dir, 'pmv-truncated.json');
  writeFileSync(bad, snapshot(SNAPSHOTS.gdmf).subarray(0, 1000));
  const out = await runCli(['catalog', 'import', bad, '--kind', 'gdmf'], env);
  assert.equal(out.code, 1);
  assert.match(out.stderr, /^updraft: PUT \/v1\/catalogs\/gdmf\?file=pmv-truncated\.json: 422 file:pmv-truncated\.json: not a usable gdmf catalog: not JSON/);
  const old = join(dir, 'old.sucatalog');
  writeFileSync(old, sucatalogXml({ postedBy: new Date('2024-01-01T00:00:00Z'), indexDate: new Date('2024-01-02T00:00:00Z') }));
  const refused = await runCli(['catalog', 'import', old, '--kind', 'sucatalog'], env);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /409 file:old\.sucatalog: this sucatalog catalog is older than the one held/);
  const forced = await runCli(['catalog', 'import', old, '--kind', 'sucatalog', '--force'], env);
  assert.equal(forced.code, 0, forced.stderr);
  const missing = await runCli(['catalog', 'import', join(dir, 'nope.json'), '--kind', 'gdmf'], env);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read the catalog file .*nope\.json: ENOENT/);
  const kind = await runCli(['catalog', 'import', bad, '--kind', 'tvos'], env);
  assert.notEqual(kind.code, 0);
  assert.match(kind.stderr, /Allowed choices are gdmf, sofa-macos, sofa-ios, sucatalog/);
});

test('catalog list: a table of every kind, or the API JSON; catalog show: one as JSON', async () => {
  const human = await runCli(['catalog', 'list'], env);
  assert.equal(human.code, 0, human.stderr);
  const [header, ...rows] = human.stdout.trimEnd().split('\n');
  assert.match(header!, /^KIND\s+SOURCE\s+FETCHED\s+ENTRIES\s+NEWEST\s+AGE\s+STATE\s+LAST ERROR$/);
  assert.deepEqual(rows.map((r) => r.split(/\s+/)[0]), ['gdmf', 'sofa-macos', 'sofa-ios', 'sucatalog']);
  assert.match(rows[0]!, /^gdmf\s+file:gdmf_pmv_2026-08\.json\s+\S+ \S+\s+107\s+2026-08-17\s+\d+d\s+stale: every release in it expired/);
  assert.match(rows[0]!, /not a usable gdmf catalog: not JSON/, 'the failed import is shown');
  const json = await runCli(['catalog', 'list', '--json'], env);
  const api = await fetch(`${server.url}/v1/catalogs`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
  assert.deepEqual(JSON.parse(json.stdout), await api.json());
  const show = await runCli(['catalog', 'show', 'sofa-macos'], env);
  const detail = JSON.parse(show.stdout) as { summary: { families: { macOS: { newest: { version: string } } } } };
  assert.equal(detail.summary.families.macOS.newest.version, '26.6.2');
});
