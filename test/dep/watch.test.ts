// The server's DEP token watch: a warning logged for a token within 30 days of expiry or past it,
// none for a token with time left or a DEP name without one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Store } from '../../src/storage/types.js';
import { openTestStore } from '../helpers/store.js';
import { checkDepTokens } from '../../src/dep/watch.js';

let store: Store;
before(async () => {
  store = await openTestStore();
});
after(() => store.close());

test('warns for the token expiring in 12 days and the expired one, not for the others', async () => {
  const now = new Date('2026-12-06T12:00:00Z');
  const tokens = (expiry: string) => ({ consumer_key: 'CK', consumer_secret: 'CS', access_token: 'AT', access_secret: 'AS', access_token_expiry: expiry });
  await store.saveDepTokens('soon', tokens('2026-12-18T13:00:00Z'), now);
  await store.saveDepTokens('gone', tokens('2026-12-01T00:00:00Z'), now);
  await store.saveDepTokens('fine', tokens('2027-06-01T00:00:00Z'), now);
  await store.saveDepStagingPki('new', { certPem: 'C', keyPem: 'K' }, now);
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }));
  const warnings = await checkDepTokens(store, logger, now);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /token of gone expired on 2026-12-01.*updraft dep token gone FILE/);
  assert.match(warnings[1]!, /token of soon expires in 12 days/);
  assert.equal(lines.length, 2);
  assert.equal(JSON.parse(lines[1]!).dep, 'soon');
});
