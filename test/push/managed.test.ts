// The server's pusher: not configured until a certificate is stored, live after reload(), expiry
// warnings from 30 days before (once a day), on the backend named by UPDRAFT_TEST_DB.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '../../src/storage/types.js';
import { createPusher, expiryWarning, type ManagedPusher } from '../../src/push/index.js';
import { FakeApns } from '../../src/push/fake-apns.js';
import { makeFakePushCert } from '../../src/push/selfsigned.js';
import { parsePushCertPem } from '../../src/push/cert.js';
import { openTestStore, testDbLabel } from '../helpers/store.js';
import { captureLog, enrollPushable, TOPIC } from './helpers.js';

const DAY = 86_400_000;

test('expiryWarning: silent until 30 days before, then counts down; says so once expired', () => {
  const notAfter = new Date('2027-01-31T00:00:00Z');
  const before = (days: number) => expiryWarning(TOPIC, notAfter, new Date(notAfter.getTime() - days * DAY));
  assert.equal(before(31), null);
  assert.match(before(29.5) ?? '', /expires in 29 days \(2027-01-31T00:00:00\.000Z\).*same Apple ID/);
  assert.match(before(1) ?? '', /expires in 1 day /);
  assert.match(before(-1) ?? '', /expired on 2027-01-31/);
});

describe(`managed pusher (${testDbLabel})`, () => {
  let store: Store;
  let fake: FakeApns;
  let dir: string;
  let pusher: ManagedPusher;
  let now = Date.now();
  const log = captureLog();

  before(async () => {
    store = await openTestStore();
    dir = mkdtempSync(join(tmpdir(), 'updraft-managed-'));
    fake = await FakeApns.start({ wakeChannel: false });
    writeFileSync(join(dir, 'ca.pem'), fake.ca);
    pusher = await createPusher({ store, config: { apnsUrl: fake.url, apnsCa: join(dir, 'ca.pem') }, logger: log.logger, now: () => new Date(now) });
  });
  after(async () => {
    await pusher.close();
    await fake.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('without a stored certificate every push is not_configured', async () => {
    const d = await enrollPushable(store);
    assert.equal(pusher.configured, false);
    assert.deepEqual((await pusher.push([d.id])).map((o) => o.outcome), ['not_configured']);
  });

  test('a stored certificate goes live on reload; nearing expiry it is warned about once a day', async () => {
    const made = await makeFakePushCert({ topic: TOPIC, notAfter: new Date(now + 10 * DAY) });
    const cert = parsePushCertPem(made.certPem + made.keyPem);
    await store.savePushCert({ topic: cert.topic, certPem: cert.certPem, keyPem: cert.keyPem, notAfter: cert.notAfter }, new Date(now));
    await pusher.reload();
    assert.equal(pusher.configured, true);
    const d = await enrollPushable(store);
    assert.equal((await pusher.push([d.id]))[0]?.outcome, 'sent');

    const warnings = () => log.lines.filter((l) => l.level === 40 && /expires in/.test(l.msg));
    assert.equal(warnings().length, 1);
    assert.match(warnings()[0]!.msg, /expires in (9|10) days/);
    now += DAY / 2;
    await pusher.reload();
    assert.equal(warnings().length, 1, 'not again the same day');
    now += DAY;
    await pusher.reload();
    assert.equal(warnings().length, 2);
  });

  test('a certificate stored by another process replaces the running provider', async () => {
    const made = await makeFakePushCert({ topic: TOPIC });
    const cert = parsePushCertPem(made.certPem + made.keyPem);
    const sessions = fake.sessions;
    now += 1000;
    await store.savePushCert({ topic: cert.topic, certPem: cert.certPem, keyPem: cert.keyPem, notAfter: cert.notAfter }, new Date(now));
    await pusher.reload();
    const d = await enrollPushable(store);
    assert.equal((await pusher.push([d.id]))[0]?.outcome, 'sent');
    assert.equal(fake.sessions, sessions + 1, 'a new APNs session with the new certificate');
  });
});
