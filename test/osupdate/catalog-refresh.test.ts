// Scheduled catalog refresh against a local HTTP server standing in for gdmf.apple.com and SOFA:
// ETag and Last-Modified honoured (304), garbage, errors and an unreachable server recorded while
// the last good copy stays in use, and the refresh started by the composition root from
// --catalog-url / --catalog-refresh (and their UPDRAFT_* variables).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Catalogs } from '../../src/osupdate/catalog/service.js';
import { refreshCatalog, startCatalogRefresh } from '../../src/osupdate/catalog/refresh.js';
import { startServer } from '../../src/server.js';
import { CliError } from '../../src/cli/client.js';
import type { Store } from '../../src/storage/types.js';
import { openTestStore, testDatabase } from '../helpers/store.js';
import { testConfig } from '../helpers/server.js';
import { snapshot, SNAPSHOTS } from './sucatalog.js';
import { parseServeFlags } from '../helpers/serve-flags.js';

type Mode = 'good' | 'garbage' | 'html' | 'error';
let mode: Mode = 'good';
const seen: IncomingHttpHeaders[] = [];
let http: Server;
let base: string;
let store: Store;
let catalogs: Catalogs;
const GDMF = snapshot(SNAPSHOTS.gdmf);
const LAST_MODIFIED = 'Mon, 17 Aug 2026 18:00:00 GMT';

before(async () => {
  http = createServer((req, res) => {
    seen.push(req.headers);
    if (mode === 'error') return void res.writeHead(503, { 'content-type': 'text/plain' }).end('try later');
    if (mode === 'garbage') return void res.writeHead(200, { 'content-type': 'application/json' }).end(GDMF.subarray(0, 3000));
    if (mode === 'html') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Captive portal</body></html>');
    if (req.url === '/sofa-ios.json') {
      if (req.headers['if-modified-since'] === LAST_MODIFIED) return void res.writeHead(304).end();
      return void res.writeHead(200, { 'last-modified': LAST_MODIFIED }).end(snapshot(SNAPSHOTS['sofa-ios']));
    }
    if (req.headers['if-none-match'] === '"v1"') return void res.writeHead(304, { etag: '"v1"' }).end();
    res.writeHead(200, { etag: '"v1"', 'content-type': 'application/json' }).end(GDMF);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  store = await openTestStore();
  catalogs = new Catalogs({ store, recheckMs: 0 });
});
after(async () => {
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
  await store.close();
});

const gdmfState = async () => (await catalogs.states()).find((s) => s.kind === 'gdmf')!;

test('a first refresh imports the document with its ETag; the next sends If-None-Match and takes the 304', async () => {
  const url = `${base}/pmv.json`;
  assert.deepEqual(await refreshCatalog(catalogs, 'gdmf', url), { kind: 'gdmf', result: 'updated' });
  const first = await gdmfState();
  assert.equal(first.source, url);
  assert.equal(first.etag, '"v1"');
  assert.equal(seen.at(-1)!['if-none-match'], undefined);
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(await refreshCatalog(catalogs, 'gdmf', url), { kind: 'gdmf', result: 'not-modified' });
  assert.equal(seen.at(-1)!['if-none-match'], '"v1"');
  const second = await gdmfState();
  assert.equal(second.sha256, first.sha256);
  assert.equal(second.fetchedAt?.getTime(), first.fetchedAt?.getTime());
  assert.ok(second.checkedAt! > first.checkedAt!, 'the 304 confirms the copy current');
});

test('Last-Modified is kept and sent back as If-Modified-Since', async () => {
  const url = `${base}/sofa-ios.json`;
  assert.equal((await refreshCatalog(catalogs, 'sofa-ios', url)).result, 'updated');
  assert.equal((await catalogs.states()).find((s) => s.kind === 'sofa-ios')?.lastModified, LAST_MODIFIED);
  assert.equal((await refreshCatalog(catalogs, 'sofa-ios', url)).result, 'not-modified');
  assert.equal(seen.at(-1)!['if-modified-since'], LAST_MODIFIED);
});

test('garbage, an HTML page, an HTTP error, an unreachable server: recorded, and the last good copy stays', async () => {
  const url = `${base}/pmv.json`;
  const held = await gdmfState();
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const nowhere = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/pmv.json`;
  await new Promise((r) => closed.close(r));
  const cases: Array<[Mode, string, RegExp]> = [
    ['garbage', url, new RegExp(`^${url}: not a usable gdmf catalog: not JSON`)],
    ['html', url, /not JSON .*looks like XML or HTML/],
    ['error', url, new RegExp(`^${url} answered HTTP 503 Service Unavailable$`)],
    ['good', nowhere, new RegExp(`^cannot download ${nowhere}: ECONNREFUSED$`)],
  ];
  for (const [m, target, reason] of cases) {
    mode = m;
    const outcome = await refreshCatalog(catalogs, 'gdmf', target);
    assert.equal(outcome.result, 'failed', m);
    assert.match((outcome as { error: string }).error, reason, m);
    const now = await gdmfState();
    assert.equal(now.sha256, held.sha256, `${m}: the last good copy stays`);
    assert.match(now.lastError!.message, reason);
  }
  mode = 'good';
  const view = await catalogs.view();
  assert.equal(view.findRelease('macOS', '26.6.2')?.build, '25G83');
  assert.match(view.info.find((i) => i.kind === 'gdmf')!.lastError!.message, /ECONNREFUSED/);
  // The next good answer (a 304 here) clears the error.
  assert.equal((await refreshCatalog(catalogs, 'gdmf', url)).result, 'not-modified');
  assert.equal((await gdmfState()).lastError, null);
});

test('a refresh another process made within half an interval is skipped', async () => {
  const refresher = startCatalogRefresh({ catalogs, urls: { gdmf: `${base}/pmv.json` }, intervalSeconds: 3600 });
  try {
    const count = seen.length;
    assert.deepEqual(await refresher.runOnce(), [{ kind: 'gdmf', result: 'skipped' }]);
    assert.equal(seen.length, count);
    assert.deepEqual(await refresher.runOnce(true), [{ kind: 'gdmf', result: 'not-modified' }]);
  } finally {
    await refresher.stop();
  }
});

const parse = parseServeFlags;

test('--catalog-url KIND=URL,… and --catalog-refresh, or their variables; bad ones name the flag', () => {
  const c = parse(['--catalog-url', 'gdmf=https://gdmf.example/v2/pmv, sofa-macos=https://sofa.example/v2/macos_data_feed.json', '--catalog-refresh', '600']);
  assert.deepEqual(c.catalogUrls, { gdmf: 'https://gdmf.example/v2/pmv', 'sofa-macos': 'https://sofa.example/v2/macos_data_feed.json' });
  assert.equal(c.catalogRefreshSeconds, 600);
  const e = parse([], { UPDRAFT_CATALOG_URL: 'sucatalog=http://10.0.0.5/index.sucatalog.gz', UPDRAFT_CATALOG_REFRESH: '60', UPDRAFT_CATALOG_MAX_AGE: '3' });
  assert.deepEqual([e.catalogUrls, e.catalogRefreshSeconds, e.catalogMaxAgeDays], [{ sucatalog: 'http://10.0.0.5/index.sucatalog.gz' }, 60, 3]);
  assert.throws(() => parse(['--catalog-url', 'tvos=https://x']), (err: unknown) => err instanceof CliError && /--catalog-url \(UPDRAFT_CATALOG_URL\) takes KIND=URL with KIND one of gdmf, sofa-macos, sofa-ios, sucatalog, got "tvos=https:\/\/x"/.test(err.message));
  assert.throws(() => parse(['--catalog-url', 'gdmf=ftp://x']), /--catalog-url \(UPDRAFT_CATALOG_URL\): gdmf needs an http\(s\) URL/);
  assert.throws(() => parse(['--catalog-url', 'https://x']), /takes KIND=URL/);
});

test('the server refreshes configured catalogs on start and says so in GET /v1/catalogs and its log', async () => {
  const db = await testDatabase();
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const running = await startServer(
    testConfig({ db: db.db, dataDir: db.dataDir, catalogUrls: { gdmf: `${base}/pmv.json`, 'sofa-macos': `${base}/broken` }, catalogRefreshSeconds: 3600 }),
    { logger },
  );
  try {
    mode = 'good';
    const headers = { authorization: `Bearer ${running.deps.config.apiKey}` };
    let list: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 100; i++) {
      list = ((await (await fetch(`${running.url}/v1/catalogs`, { headers })).json()) as { catalogs: Array<Record<string, unknown>> }).catalogs;
      if (list[0]!.held && list[1]!.last_error) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(list[0]!.source, `${base}/pmv.json`);
    assert.equal(list[0]!.refresh_url, `${base}/pmv.json`);
    assert.equal(list[1]!.held, false);
    assert.match(String((list[1]!.last_error as { message: string }).message), /\/broken: not a usable sofa-macos catalog: OSVersions is missing/);
    const warning = lines.find((l) => l.msg === 'catalog import or refresh failed: the last good copy stays in use');
    assert.equal(warning?.kind, 'sofa-macos');
    assert.match(String(warning?.error), /OSVersions is missing/);
    assert.ok(lines.some((l) => l.msg === 'catalog imported' && l.kind === 'gdmf'));
  } finally {
    await running.close();
    await db.remove();
  }
});
