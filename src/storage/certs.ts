// Certificates the SCEP CA issued. An enrollment learns its certificate only at Authenticate (as
// cert_hash), so the enrollment of a first certificate is found through that join when not recorded.
import type { Kysely } from 'kysely';
import type { Ctx } from './context.js';
import type { CertificateStore, IssuedCertificateInput, IssuedCertificateRecord } from './types-certs.js';
import { first, memoQuery } from './memo.js';

export interface IssuedCertificatesTable {
  serial: string;
  subject: string;
  not_before: number;
  not_after: number;
  sha256: string;
  transaction_id: string;
  enrollment_id: string | null;
  der: Buffer;
  issued_at: number;
  revoked_at: number | null;
}

export interface CertDb {
  issued_certificates: IssuedCertificatesTable;
  enrollments: { id: string; cert_hash: string | null };
}

export type CertificateRow = IssuedCertificatesTable & { bound_enrollment: string | null };

export const record = (r: CertificateRow): IssuedCertificateRecord => ({
  serial: r.serial,
  subject: r.subject,
  notBefore: new Date(Number(r.not_before)),
  notAfter: new Date(Number(r.not_after)),
  sha256: r.sha256,
  transactionId: r.transaction_id,
  enrollmentId: r.enrollment_id ?? r.bound_enrollment,
  der: Buffer.from(r.der),
  issuedAt: new Date(Number(r.issued_at)),
  revokedAt: r.revoked_at === null ? null : new Date(Number(r.revoked_at)),
});

const withBinding = (db: Kysely<CertDb>) =>
  db
    .selectFrom('issued_certificates as c')
    .selectAll('c')
    .select((eb) =>
      eb.selectFrom('enrollments as e').select('e.id').whereRef('e.cert_hash', '=', 'c.sha256').orderBy('e.id').limit(1).as('bound_enrollment'),
    );
// What every SCEP PKIOperation (and a RenewalReq's signer check) runs, built once (memo.ts); SQLite runs
// the same statements on its raw connection (sqlite/certs.ts).
export const byTransactionQuery = (db: Kysely<CertDb>, transactionId: string) => withBinding(db).where('c.transaction_id', '=', transactionId);
export const byHashQuery = (db: Kysely<CertDb>, sha256: string) => withBinding(db).where('c.sha256', '=', sha256);
type InsertArgs = [serial: string, subject: string, notBefore: number, notAfter: number, sha256: string, transactionId: string, enrollmentId: string | null, der: Buffer, issuedAt: number];
export const insertRecordQuery = (db: Kysely<CertDb>, ...[serial, subject, notBefore, notAfter, sha256, transactionId, enrollmentId, der, issuedAt]: InsertArgs) =>
  db
    .insertInto('issued_certificates')
    .values({ serial, subject, not_before: notBefore, not_after: notAfter, sha256, transaction_id: transactionId, enrollment_id: enrollmentId, der, issued_at: issuedAt, revoked_at: null })
    .onConflict((oc) => oc.column('transaction_id').doNothing());
/** insertRecordQuery's arguments for a certificate. */
export const insertArgs = (c: IssuedCertificateInput): InsertArgs =>
  [c.serial, c.subject, c.notBefore.getTime(), c.notAfter.getTime(), c.sha256, c.transactionId, c.enrollmentId, c.der, c.issuedAt.getTime()];
const byTransaction = memoQuery(byTransactionQuery);
const byHash = memoQuery(byHashQuery);
const insertRecord = memoQuery(insertRecordQuery);
const revokedSince = memoQuery((db: Kysely<CertDb>, at: number) =>
  db.selectFrom('issued_certificates').select('sha256').where('revoked_at', 'is not', null).where('not_after', '>=', at));

export function certificateStore(ctx: Ctx): CertificateStore {
  const db = ctx.db as unknown as Kysely<CertDb>;
  const base = () => withBinding(db);
  async function bySerial(serial: string): Promise<IssuedCertificateRecord | null> {
    const row = await base().where('c.serial', '=', serial).executeTakeFirst();
    return row ? record(row as CertificateRow) : null;
  }
  return {
    async recordCertificate(c) {
      // A transactionID already recorded (a concurrent request of the same transaction won) inserts nothing.
      const result = await insertRecord(db, ...insertArgs(c));
      return Number(result.numAffectedRows ?? 0) > 0;
    },

    async certificateByTransaction(transactionId) {
      const row = first(await byTransaction(db, transactionId));
      return row ? record(row as CertificateRow) : null;
    },

    async listCertificates(filter = {}) {
      let q = base();
      const id = filter.enrollmentId;
      if (id !== undefined)
        q = q.where((eb) =>
          eb.or([
            eb('c.enrollment_id', '=', id),
            eb.and([eb('c.enrollment_id', 'is', null), eb('c.sha256', 'in', eb.selectFrom('enrollments').select('cert_hash').where('id', '=', id).where('cert_hash', 'is not', null) as never)]),
          ]),
        );
      const rows = await q
        .orderBy('c.issued_at', 'desc')
        .orderBy('c.serial')
        .limit(filter.limit ?? 100)
        .offset(filter.offset ?? 0)
        .execute();
      return rows.map((r) => record(r as CertificateRow));
    },

    certificateBySerial: bySerial,

    async certificateByHash(sha256) {
      const row = first(await byHash(db, sha256));
      return row ? record(row as CertificateRow) : null;
    },

    async revokeCertificate(serial, at) {
      await db.updateTable('issued_certificates').set({ revoked_at: at.getTime() }).where('serial', '=', serial).where('revoked_at', 'is', null).execute();
      return bySerial(serial);
    },

    async revokedCertificateHashes(at) {
      return (await revokedSince(db, at.getTime())).rows.map((r) => r.sha256);
    },
  };
}
