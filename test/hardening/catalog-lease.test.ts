// The catalog refresh on several server processes sharing one database: two refreshers (two stores,
// as two nodes) waking together download once, the other skipping while the first holds the
// `catalog-refresh` lease; a node that died mid-pass holds the lease only until it runs out.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Catalogs } from '../../src/osupdate/catalog/service.js';
import { startCatalogRefresh, type CatalogRefresher } from '../../src/osupdate/catalog/refresh.js';
import type { Store } from '../../src/storage/types.js';
import { openTestStores } from '../helpers/store.js';
import { snapshot, SNAPSHOTS } from '../osupdate/sucatalog.js';

const GDMF = snapshot(SNAPSHOTS.gdmf);
let http: Server;
let url: string;
let requests = 0;
/** Answers wait for this (a slow download keeps the lease held). */
let gate: Promise<void> = Promise.resolve();
let stores: Store[];
const refreshers: CatalogRefresher[] = [];

before(async () => {
  http = createServer((_req, res) => {
    requests++;
    void gate.then(() => res.writeHead(200, { 'content-type': 'application/json' }).end(GDMF));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/pmv.json`;
  stores = await openTestStores(2);
});
after(async () => {
  for (const r of refreshers) await r.stop();
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
  for (const s of stores) await s.close();
});

function node(i: number): CatalogRefresher {
  const store = stores[i]!;
  const r = startCatalogRefresh({ catalogs: new Catalogs({ store, recheckMs: 0 }), urls: { gdmf: url }, intervalSeconds: 3600, leases: store, owner: `node-${i}` });
  refreshers.push(r);
  return r;
}

async function until(what: string, probe: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !probe(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  }
}

test('two nodes waking together download a catalog once: the other skips while the lease is held', async () => {
  let open!: () => void;
  gate = new Promise((r) => (open = r));
  // Both start a pass at once (the refresh runs on start); neither has a copy yet.
  const [a, b] = [node(0), node(1)];
  await until('the first download', () => requests === 1);
  // The node holding the lease is stuck in its download; the other's pass has been skipped.
  const other = await Promise.any([a.runOnce(), b.runOnce()]);
  assert.deepEqual(other, [{ kind: 'gdmf', result: 'skipped' }]);
  open();
  const outcomes = (await Promise.all([a.runOnce(), b.runOnce()])).flat().map((o) => o.result).sort();
  assert.ok(outcomes.includes('skipped'), JSON.stringify(outcomes));
  assert.equal(requests, 1, 'one download for two nodes');
  const held = (await new Catalogs({ store: stores[1]!, recheckMs: 0 }).states()).find((s) => s.kind === 'gdmf');
  assert.ok(held?.sha256, 'the catalog is stored for both nodes');
});

test('a node that died mid-pass holds the refresh only until its lease runs out', async () => {
  const [a] = refreshers as [CatalogRefresher, CatalogRefresher];
  const before = requests;
  const now = new Date();
  assert.ok(await stores[0]!.takeLease('catalog-refresh', 'dead-node', now, new Date(now.getTime() + 400)));
  assert.deepEqual(await a.runOnce(true), [{ kind: 'gdmf', result: 'skipped' }], 'the dead node still holds the lease');
  assert.equal(requests, before);
  await new Promise((r) => setTimeout(r, 450));
  assert.deepEqual(await a.runOnce(true), [{ kind: 'gdmf', result: 'unchanged' }], 'taken over once it ran out');
  assert.equal(requests, before + 1);
  // The lease is dropped after each pass: another node refreshes at once.
  assert.deepEqual(await refreshers[1]!.runOnce(true), [{ kind: 'gdmf', result: 'unchanged' }]);
});
