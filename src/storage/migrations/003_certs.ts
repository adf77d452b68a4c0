// Certificates issued by the SCEP CA: one row per certificate, found by serial, SHA-256 fingerprint,
// SCEP transactionID (CertPoll, retries; unique, so two concurrent requests of one transaction cannot
// both be recorded) or enrollment; revoked_at is set by POST /v1/certificates/{serial}/revoke
// and every node re-reads the revoked ones (a partial index keeps that read small).
import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../schema.js';

export function certsMigration(dialect: Dialect): Migration {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('issued_certificates')
        .addColumn('serial', 'text', (c) => c.primaryKey())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('not_before', 'bigint', (c) => c.notNull())
        .addColumn('not_after', 'bigint', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull().unique())
        .addColumn('transaction_id', 'text', (c) => c.notNull())
        .addColumn('enrollment_id', 'text')
        .addColumn('der', blob, (c) => c.notNull())
        .addColumn('issued_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('issued_certificates_transaction').unique().on('issued_certificates').column('transaction_id').execute();
      await db.schema.createIndex('issued_certificates_enrollment').on('issued_certificates').column('enrollment_id').execute();
      await db.schema.createIndex('issued_certificates_revoked').on('issued_certificates').column('revoked_at').where(sql.ref('revoked_at'), 'is not', null).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('issued_certificates').execute();
    },
  };
}
