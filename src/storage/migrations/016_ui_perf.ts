// What the dashboard needs to stay fast over 100,000 devices (storage/fleet.ts, campaigns.ts):
// - enrollments.os_key: the OS version as sortable text ("9.3.5" → "009.003.005", mdm/version.ts),
//   written with os_version, so the device list sorts by OS numerically from an index (9.x before
//   10.x) instead of joining every posture; existing rows are filled here, one UPDATE per version.
// - case-insensitive prefix-search indexes on name, serial, model and id (lower(column); PostgreSQL's
//   with text_pattern_ops so LIKE 'abc%' reads them whatever the database's collation). Not partial:
//   SQLite's OR of four index ranges cannot use a partial index. And the enrollment type as a sort
//   index like 012's.
// - campaign_devices (campaign_id, state, wave, done_at): a campaign's counts per state and wave and
//   its progress over time read this index only; (campaign_id, state, device_id) pages one state's
//   devices in order. It replaces 008's (campaign_id, state), which it starts with.
import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../schema.js';
import { osKey } from '../inventory.js';

export const SEARCH_COLUMNS = ['device_name', 'serial_number', 'model', 'id'] as const;

export function uiPerfMigration(dialect: Dialect): Migration {
  const pg = dialect === 'postgres';
  const nullsFirst = pg ? sql.raw(' nulls first') : sql.raw('');
  const devices = sql<boolean>`id = device_id`;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('enrollments').addColumn('os_key', 'text').execute();
      const versions = await sql<{ v: string }>`select distinct os_version as v from enrollments where os_version is not null`.execute(db);
      for (const { v } of versions.rows) await sql`update enrollments set os_key = ${osKey(v)} where os_version = ${v}`.execute(db);
      for (const [name, column] of [['os', 'os_key'], ['type', 'type']] as const) {
        await db.schema.createIndex(`enrollments_devices_${name}`).on('enrollments').expression(sql`${sql.ref(column)}${nullsFirst}, id`).where(devices).execute();
      }
      for (const column of SEARCH_COLUMNS) {
        await db.schema
          .createIndex(`enrollments_search_${column}`)
          .on('enrollments')
          .expression(sql`lower(${sql.ref(column)})${pg ? sql.raw(' text_pattern_ops') : sql.raw('')}`)
          .execute();
      }
      await db.schema.dropIndex('campaign_devices_state').execute();
      await db.schema.createIndex('campaign_devices_state').on('campaign_devices').columns(['campaign_id', 'state', 'device_id']).execute();
      await db.schema.createIndex('campaign_devices_counts').on('campaign_devices').columns(['campaign_id', 'state', 'wave', 'done_at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('campaign_devices_counts').execute();
      await db.schema.dropIndex('campaign_devices_state').execute();
      await db.schema.createIndex('campaign_devices_state').on('campaign_devices').columns(['campaign_id', 'state']).execute();
      for (const column of SEARCH_COLUMNS) await db.schema.dropIndex(`enrollments_search_${column}`).execute();
      for (const name of ['os', 'type']) await db.schema.dropIndex(`enrollments_devices_${name}`).execute();
      await db.schema.alterTable('enrollments').dropColumn('os_key').execute();
    },
  };
}
