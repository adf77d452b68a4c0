// Automated Device Enrollment (ADE): one row per device that fetched its enrollment profile through
// the ADE URL (its signed MachineInfo, what the profile said about supervision and removal), bound to
// the Authenticate that follows, so Updraft knows which enrollments came through ADE (a Mac's major
// upgrade through MDM needs it) and sends the Await Configuration commands once.
import type { Kysely, Migration } from 'kysely';

export function adeMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('ade_enrollments')
        .addColumn('udid', 'text', (c) => c.primaryKey())
        .addColumn('serial', 'text', (c) => c.notNull())
        .addColumn('dep_name', 'text')
        .addColumn('profile_uuid', 'text')
        .addColumn('product', 'text')
        .addColumn('platform', 'text')
        .addColumn('os_version', 'text')
        .addColumn('build_version', 'text')
        .addColumn('language', 'text')
        .addColumn('machine_info', 'text', (c) => c.notNull())
        .addColumn('supervised', 'integer', (c) => c.notNull())
        .addColumn('removable', 'integer', (c) => c.notNull())
        .addColumn('await_configuration', 'integer', (c) => c.notNull())
        .addColumn('served_at', 'bigint', (c) => c.notNull())
        .addColumn('enrolled_at', 'bigint')
        .addColumn('active', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('configured_at', 'bigint')
        .execute();
      await db.schema.createIndex('ade_enrollments_serial').on('ade_enrollments').column('serial').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('ade_enrollments').execute();
    },
  };
}
