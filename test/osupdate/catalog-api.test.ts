// The catalog routes over HTTP: PUT /v1/catalogs/{kind} (raw or gzipped body, force, file name),
// GET /v1/catalogs and /v1/catalogs/{kind}, and the 400/409/422 answers that keep the held copy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { Catalogs } from '../../src/osupdate/catalog/service.js';
import { DEFAULT_BODY_LIMIT } from '../../src/config.js';
import { snapshot, SNAPSHOTS, sucatalogXml } from './sucatalog.js';

let server: TestServer;
const auth = { authorization: `Bearer ${TEST_API_KEY}` };

before(async () => {
  server = await startTestServer({
    catalogs: (store) => new Catalogs({ store, now: () => new Date('2026-08-23T12:00:00Z'), recheckMs: 0 }),
  });
});
after(() => server.close());

async function put(kind: string, body: Buffer, query = ''): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}/v1/catalogs/${kind}${query}`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: new Uint8Array(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`, { headers: auth });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('PUT imports each shipped snapshot (gzipped too) and answers what is now held', async () => {
  const gdmf = await put('gdmf', snapshot(SNAPSHOTS.gdmf), '?file=gdmf_pmv_2026-08.json');
  assert.equal(gdmf.status, 200, JSON.stringify(gdmf.body));
  assert.equal(gdmf.body.source, 'file:gdmf_pmv_2026-08.json');
  assert.equal(gdmf.body.entries, 107);
  assert.equal(gdmf.body.changed, true);
  assert.equal(gdmf.body.valid, true);
  assert.equal(gdmf.body.content_date, '2026-08-17T00:00:00.000Z');
  const mac = await put('sofa-macos', gzipSync(snapshot(SNAPSHOTS['sofa-macos'])));
  assert.equal(mac.status, 200, JSON.stringify(mac.body));
  assert.equal(mac.body.source, 'api');
  assert.equal((await put('sofa-ios', snapshot(SNAPSHOTS['sofa-ios']))).status, 200);
  const big = sucatalogXml({ fillers: 5000 });
  assert.ok(big.length > DEFAULT_BODY_LIMIT, 'larger than the body limit of other routes');
  const su = await put('sucatalog', big, '?file=index-26.merged-1.sucatalog');
  assert.equal(su.status, 200, JSON.stringify(su.body));
  assert.equal(su.body.entries, 5032);
});

test('GET /v1/catalogs lists every kind with source, fetched_at, entries and validity', async () => {
  const { status, body } = await get('/v1/catalogs');
  assert.equal(status, 200);
  assert.equal(body.max_age_days, 7);
  const list = body.catalogs as Array<Record<string, unknown>>;
  assert.deepEqual(list.map((c) => c.kind), ['gdmf', 'sofa-macos', 'sofa-ios', 'sucatalog']);
  for (const c of list) {
    assert.equal(c.held, true);
    assert.equal(c.fetched_at, '2026-08-23T12:00:00.000Z');
    assert.equal(c.stale, false, String(c.stale_reason));
    assert.equal(c.last_error, null);
  }
  assert.equal(list[1]!.document_date, '2026-08-22T18:45:03.057Z');
  assert.equal(list[1]!.age_days, 0);
});

test('GET /v1/catalogs/{kind} summarises what the catalog brings', async () => {
  const gdmf = await get('/v1/catalogs/gdmf');
  assert.equal(gdmf.status, 200);
  const families = (gdmf.body.summary as { families: Record<string, { newest: { version: string }; background_security_improvements: number }> }).families;
  assert.equal(families.macOS?.newest.version, '26.6.2');
  assert.equal(families.macOS?.background_security_improvements, 2);
  assert.equal(families.visionOS?.newest.version, '26.6.1');
  assert.equal(typeof gdmf.body.sha256, 'string');
  const su = await get('/v1/catalogs/sucatalog');
  const summary = su.body.summary as { config_data: string[]; installers: Array<{ product_key: string; version: string }> };
  assert.deepEqual(summary.config_data, ['041-14451']);
  assert.equal(summary.installers.find((i) => i.product_key === '140-93587')?.version, '26.6.2');
});

test('an unknown kind is a 400 naming the kinds; a bad document a 422 with the reason; the held copy stays', async () => {
  const unknown = await put('tvos', snapshot(SNAPSHOTS.gdmf));
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.error, 'unknown catalog kind "tvos": use one of gdmf, sofa-macos, sofa-ios, sucatalog');
  assert.equal(unknown.body.field, 'kind');
  assert.equal((await get('/v1/catalogs/nope')).status, 400);

  const gz = gzipSync(snapshot(SNAPSHOTS.gdmf));
  const broken = await put('gdmf', gz.subarray(0, gz.length - 10), '?file=pmv.json.gz');
  assert.equal(broken.status, 422);
  assert.match(String(broken.body.error), /^file:pmv\.json\.gz: not a usable gdmf catalog: the gzip data does not inflate/);
  const empty = await put('gdmf', Buffer.from(JSON.stringify({ PublicAssetSets: {} })));
  assert.equal(empty.status, 422);
  assert.match(String(empty.body.error), /PublicAssetSets is empty/);
  const listed = ((await get('/v1/catalogs')).body.catalogs as Array<Record<string, unknown>>)[0]!;
  assert.equal(listed.source, 'file:gdmf_pmv_2026-08.json', 'the last good copy stays');
  assert.equal(listed.entries, 107);
  assert.match(String((listed.last_error as { message: string }).message), /PublicAssetSets is empty/);
});

test('an older catalog is a 409 unless ?force=1', async () => {
  const older = sucatalogXml({ postedBy: new Date('2025-01-01T00:00:00Z'), indexDate: new Date('2025-01-02T00:00:00Z') });
  const refused = await put('sucatalog', older, '?file=old.sucatalog');
  assert.equal(refused.status, 409);
  assert.match(String(refused.body.error), /older than the one held .*force/);
  const forced = await put('sucatalog', older, '?file=old.sucatalog&force=1');
  assert.equal(forced.status, 200);
  assert.equal(forced.body.source, 'file:old.sucatalog');
});

test('the routes are in the OpenAPI document', async () => {
  const doc = (await (await fetch(`${server.url}/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  assert.ok(doc.paths['/v1/catalogs']?.get);
  assert.ok(doc.paths['/v1/catalogs/{kind}']?.put);
  assert.ok(doc.paths['/v1/catalogs/{kind}']?.get);
});
