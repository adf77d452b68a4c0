// Enrollments moved in from another server (NanoMDM's /migration) have no identity bound yet:
// bind_pending = 1 lets the first verified identity they present, on any message, be bound.
import type { Kysely, Migration } from 'kysely';

export function migratedMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('enrollments').addColumn('bind_pending', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('enrollments').dropColumn('bind_pending').execute();
    },
  };
}
