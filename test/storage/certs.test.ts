// The SCEP records as the store leaves the database (prepared on the raw connection on SQLite:
// sqlite/certs.ts; memo queries on PostgreSQL: certs.ts): a recorded certificate's row, a repeated
// transactionID refused without a row, the look-ups by transactionID and by hash (with the enrollment
// bound to the certificate when none was recorded), and on SQLite the wait for a Kysely transaction.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Store } from '../../src/storage/types.js';
import type { IssuedCertificateInput } from '../../src/storage/types-certs.js';
import type { Database as Schema } from '../../src/storage/schema.js';
import type { IssuedCertificatesTable } from '../../src/storage/certs.js';
import { testDbLabel } from '../helpers/store.js';
import { at, enqueueOne, enrollDevice, newId, storeWithSecondConnection } from './setup.js';

let store: Store;
let other: Kysely<Schema>;
let raw: Database.Database | undefined;
let close: () => Promise<void>;
before(async () => {
  ({ store, other, raw, close } = await storeWithSecondConnection());
});
after(() => close());

const cert = (extra: Partial<IssuedCertificateInput> = {}): IssuedCertificateInput => ({
  serial: randomBytes(8).toString('hex').toUpperCase(), subject: 'CN=device', notBefore: at(0), notAfter: at(86400), sha256: randomBytes(32).toString('hex'),
  transactionId: `tx-${newId()}`, enrollmentId: null, der: randomBytes(700), issuedAt: at(1), ...extra,
});
/** The row as stored, read on a second connection. */
const row = async (transactionId: string) => {
  const certs = other as unknown as Kysely<{ issued_certificates: IssuedCertificatesTable }>;
  const rows = await certs.selectFrom('issued_certificates').selectAll().where('transaction_id', '=', transactionId).execute();
  return rows.map((r) => ({ ...r, der: Buffer.from(r.der), not_before: Number(r.not_before), not_after: Number(r.not_after), issued_at: Number(r.issued_at) }));
};

test(`recordCertificate stores the row; the same transactionID again records nothing (${testDbLabel})`, async () => {
  const c = cert({ enrollmentId: 'ENR-1' });
  assert.equal(await store.recordCertificate(c), true);
  const stored = {
    serial: c.serial, subject: 'CN=device', not_before: at(0).getTime(), not_after: at(86400).getTime(), sha256: c.sha256,
    transaction_id: c.transactionId, enrollment_id: 'ENR-1', der: c.der, issued_at: at(1).getTime(), revoked_at: null,
  };
  assert.deepEqual(await row(c.transactionId), [stored]);
  const racer = cert({ transactionId: c.transactionId });
  assert.equal(await store.recordCertificate(racer), false, 'a concurrent request of the same transaction lost');
  assert.deepEqual(await row(c.transactionId), [stored], 'the first record stands alone');
  assert.equal((await store.certificateBySerial(racer.serial)), null);
});

test(`certificateByTransaction and certificateByHash answer the record, its enrollment from the binding when not recorded (${testDbLabel})`, async () => {
  assert.equal(await store.certificateByTransaction(`tx-${newId()}`), null);
  assert.equal(await store.certificateByHash(randomBytes(32).toString('hex')), null);
  const c = cert();
  await store.recordCertificate(c);
  const expected = { ...c, revokedAt: null };
  assert.deepEqual(await store.certificateByTransaction(c.transactionId), expected);
  assert.deepEqual(await store.certificateByHash(c.sha256), expected);
  const id = await enrollDevice(store, newId());
  await other.updateTable('enrollments').set({ cert_hash: c.sha256 }).where('id', '=', id).execute();
  assert.equal((await store.certificateByTransaction(c.transactionId))!.enrollmentId, id, 'bound at Authenticate');
  assert.equal((await store.certificateByHash(c.sha256))!.enrollmentId, id);
  await store.revokeCertificate(c.serial, at(50));
  assert.deepEqual((await store.certificateByTransaction(c.transactionId))!.revokedAt, at(50));
});

test('SQLite: the SCEP records wait while a Kysely transaction holds the connection, never run inside it', { skip: testDbLabel !== 'sqlite' && 'SQLite only' }, async () => {
  const id = await enrollDevice(store, newId());
  const c = cert();
  const order: string[] = [];
  const held = enqueueOne(store, [id], { when: at(5) }).then(() => order.push('enqueue'));
  let spins = 0;
  while (!raw!.inTransaction && spins++ < 1000) await Promise.resolve();
  assert.equal(raw!.inTransaction, true, "enqueue's transaction is open");
  const steps = [
    store.certificateByTransaction(c.transactionId).then((r) => order.push(`lookup:${r === null}`)),
    store.recordCertificate(c).then((r) => order.push(`record:${r}`)),
  ];
  await Promise.all([held, ...steps]);
  assert.deepEqual(order, ['enqueue', 'lookup:true', 'record:true']);
  assert.equal(raw!.inTransaction, false);
  assert.equal((await row(c.transactionId)).length, 1);
});
