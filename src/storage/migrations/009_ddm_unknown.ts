// Declarations a device reports that Updraft does not know (another server gave them, or they were
// deleted since): their status row is kept with unknown = 1, so the report is stored whole and the
// view can tell them apart from Updraft's own.
import type { Kysely, Migration } from 'kysely';

export function ddmUnknownMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('ddm_declaration_status')
        .addColumn('unknown', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  };
}
