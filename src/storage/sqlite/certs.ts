// SQLite's SCEP records (PostgreSQL's are the memo queries of certs.ts): the look-up of a request's
// transactionID, the record of the certificate it issued (one commit) and a RenewalReq's signer look-up,
// run as better-sqlite3 statements prepared once on the raw connection. They are the statements the
// shared builders make (certs.ts, compiled once for SQLite: memo.ts compiledOnce), without Kysely's
// executor around each call. While a Kysely transaction holds the shared connection, these wait for
// it (whenFree), as the other raw paths do.
import type Database from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database as Schema } from '../schema.js';
import type { CertificateStore } from '../types-certs.js';
import { byHashQuery, byTransactionQuery, insertArgs, insertRecordQuery, record, type CertDb, type CertificateRow } from '../certs.js';
import { compiledOnce } from '../memo.js';
import { whenFree } from './enroll.js';

type ScepRecords = Pick<CertificateStore, 'certificateByTransaction' | 'recordCertificate' | 'certificateByHash'>;

export function sqliteCertPath(raw: Database.Database, db: Kysely<Schema>): ScepRecords {
  const certs = db as unknown as Kysely<CertDb>;
  const lookup = (build: typeof byTransactionQuery) => {
    const q = compiledOnce(certs, build, 1);
    const statement = raw.prepare<unknown[], CertificateRow>(q.sql);
    return (key: string) => whenFree(raw, db, () => {
      const row = statement.get(...q.parameters(key));
      return row ? record(row) : null;
    });
  };
  const insert = compiledOnce(certs, insertRecordQuery, 9);
  const insertStatement = raw.prepare(insert.sql);
  return {
    certificateByTransaction: lookup(byTransactionQuery),
    certificateByHash: lookup(byHashQuery),
    // A transactionID already recorded (a concurrent request of the same transaction won) inserts nothing.
    recordCertificate: (c) => whenFree(raw, db, () => insertStatement.run(...insert.parameters(...insertArgs(c))).changes > 0),
  };
}
