// ADE profiles as the DEP API answered them (GET /profile), cached per DEP name and profile UUID so
// an ADE enrollment knows its profile's supervision, removability and Await Configuration without
// asking Apple while the device waits in Setup Assistant (Apple never changes a defined profile: a
// new definition gets a new UUID).
import type { Kysely, Migration } from 'kysely';

export function depProfilesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('dep_profiles')
        .addColumn('dep_name', 'text', (c) => c.notNull())
        .addColumn('profile_uuid', 'text', (c) => c.notNull())
        .addColumn('profile', 'text', (c) => c.notNull())
        .addColumn('fetched_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('dep_profiles_pk', ['dep_name', 'profile_uuid'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('dep_profiles').execute();
    },
  };
}
