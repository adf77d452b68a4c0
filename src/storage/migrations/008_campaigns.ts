// OS update campaigns: the campaign and one row per (campaign, device) with the device's state
// machine. A partial unique index lets only one active row hold a device; the due index serves the
// engine's timer, which claims rows by moving next_at (a lease) under a version check. Device tags
// serve campaign selection.
import { sql, type Kysely, type Migration } from 'kysely';

export function campaignsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('campaigns')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('wave', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('wave_started_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('ended_at', 'bigint')
        .execute();
      await db.schema
        .createTable('campaign_devices')
        .addColumn('campaign_id', 'text', (c) => c.notNull().references('campaigns.id').onDelete('cascade'))
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('wave', 'integer', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('path', 'text')
        .addColumn('target_version', 'text')
        .addColumn('target_build', 'text')
        .addColumn('os_version', 'text')
        .addColumn('build_version', 'text')
        .addColumn('step', 'text', (c) => c.notNull())
        .addColumn('active', 'integer', (c) => c.notNull())
        .addColumn('campaign_running', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('next_at', 'bigint')
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('done_at', 'bigint')
        .addPrimaryKeyConstraint('campaign_devices_pk', ['campaign_id', 'device_id'])
        .execute();
      await db.schema.createIndex('campaign_devices_holder').unique().on('campaign_devices').column('device_id').where(sql.ref('active'), '=', 1).execute();
      await db.schema.createIndex('campaign_devices_due').on('campaign_devices').column('next_at').where(sql.ref('active'), '=', 1).execute();
      await db.schema
        .createTable('device_tags')
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('tag', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('device_tags_pk', ['device_id', 'tag'])
        .execute();
      await db.schema.createIndex('device_tags_tag').on('device_tags').column('tag').execute();
      await db.schema.createIndex('campaign_devices_state').on('campaign_devices').columns(['campaign_id', 'state']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('device_tags').execute();
      await db.schema.dropTable('campaign_devices').execute();
      await db.schema.dropTable('campaigns').execute();
    },
  };
}
