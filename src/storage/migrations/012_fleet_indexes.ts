// Indexes for the dashboard's device list (storage/fleet.ts) over a large fleet: partial indexes on
// the device channels (id = device_id) for each column the list sorts by, so a page is read in
// index order and its total counted from an index; and posture indexes for the list's posture
// filters. PostgreSQL's are NULLS FIRST like SQLite's, so both backends order missing values alike
// and read the index for either direction.
import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../schema.js';

const DEVICE_SORTS = [['name', 'device_name'], ['serial', 'serial_number'], ['model', 'model'], ['seen', 'last_seen_at']] as const;

export function fleetIndexesMigration(dialect: Dialect): Migration {
  const nullsFirst = dialect === 'postgres' ? sql.raw(' nulls first') : sql.raw('');
  return {
    async up(db: Kysely<unknown>) {
      for (const [name, column] of DEVICE_SORTS) {
        await db.schema
          .createIndex(`enrollments_devices_${name}`)
          .on('enrollments')
          .expression(sql`${sql.ref(column)}${nullsFirst}, id`)
          .where(sql<boolean>`id = device_id`)
          .execute();
      }
      await db.schema.createIndex('device_posture_exploited').on('device_posture').column('exploited_count').where(sql<boolean>`exploited_count > 0`).execute();
      await db.schema.createIndex('device_posture_behind').on('device_posture').column('releases_behind').execute();
    },
    async down(db: Kysely<unknown>) {
      for (const [name] of DEVICE_SORTS) await db.schema.dropIndex(`enrollments_devices_${name}`).execute();
      await db.schema.dropIndex('device_posture_exploited').execute();
      await db.schema.dropIndex('device_posture_behind').execute();
    },
  };
}
