// Each device's OS update posture, computed from the catalogs and its inventory (osupdate/posture/)
// and stored so the fleet summary is one aggregate over this table, never a recomputation.
// os_key is the version as sortable text ("026.006.002") for OS range filters; the index on
// (platform, os_key, os_version, …every column the summary counts) covers it, so the summary reads
// the index only, in group order. posture_jobs
// holds the lease and the cursor of the background fleet recompute (one node at a time, resumable).
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../schema.js';

export function postureMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('device_posture')
        .addColumn('device_id', 'text', (c) => c.primaryKey())
        .addColumn('platform', 'text')
        .addColumn('model', 'text')
        .addColumn('os_version', 'text')
        .addColumn('os_key', 'text')
        .addColumn('build_version', 'text')
        .addColumn('latest_version', 'text')
        .addColumn('latest_build', 'text')
        .addColumn('latest_in_major_version', 'text')
        .addColumn('newest_major', 'text')
        .addColumn('on_latest', 'integer', (c) => c.notNull())
        .addColumn('major_behind', 'integer', (c) => c.notNull())
        .addColumn('releases_behind', 'integer', (c) => c.notNull())
        .addColumn('days_behind', 'integer', (c) => c.notNull())
        .addColumn('cve_count', 'integer', (c) => c.notNull())
        .addColumn('exploited_count', 'integer', (c) => c.notNull())
        .addColumn('update_allowed', 'integer', (c) => c.notNull())
        .addColumn('major_upgrade_allowed', 'integer', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('computed_at', 'bigint', (c) => c.notNull())
        .addColumn('catalog_stamp', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('device_posture_summary')
        .on('device_posture')
        .columns([
          'platform', 'os_key', 'os_version', 'on_latest', 'releases_behind', 'major_behind', 'exploited_count', 'latest_version',
          'major_upgrade_allowed', 'catalog_stamp', 'computed_at',
        ])
        .execute();
      await db.schema.createIndex('device_posture_model').on('device_posture').columns(['model', 'os_key']).execute();

      await db.schema
        .createTable('posture_jobs')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('owner', 'text')
        .addColumn('lease_until', 'bigint', (c) => c.notNull())
        .addColumn('stamp', 'text')
        .addColumn('cursor', 'text')
        .addColumn('done', 'bigint', (c) => c.notNull())
        .addColumn('done_stamp', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('posture_jobs').execute();
      await db.schema.dropTable('device_posture').execute();
    },
  };
}
