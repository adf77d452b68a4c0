// Several server processes on one database. `leases`: named background jobs (re-push, retention,
// catalog refresh) run by one process at a time; a lease not renewed by its expiry is taken over.
// `notnow_sessions`: the enrollments whose current command session saw a NotNow (a session starts
// with Idle), so NotNow'd commands are not handed back in that session whichever process answers.
import type { Kysely, Migration } from 'kysely';

export function nodesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('leases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('until', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('notnow_sessions')
        .addColumn('enrollment_id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('notnow_sessions').execute();
      await db.schema.dropTable('leases').execute();
    },
  };
}
