// What the dashboard needs to stay fast over 100,000 devices (storage/fleet.ts, campaigns.ts):
// - enrollments.os_key: the OS version as sortable text ("9.3.5" → "009.003.005", mdm/version.ts),
//   written with os_version, so the device list sorts by OS numerically from an index (9.x before
//   10.x) instead of joining every posture; existing rows are filled here, one UPDATE per version.
// - case-insensitive prefix-search indexes on name, serial, model and id (lower(column); PostgreSQL's
//   with text_pattern_ops so LIKE 'abc%' reads them whatever the database's collation). Not partial:
//   SQLite's OR of four index ranges cannot use a partial index. And the enrollment type as a sort
//   index like 012's.
// - PostgreSQL: enrollments.device_channel, a stored generated column (id = device_id), and 012's
//   partial indexes remade on it. The planner guesses 0.5 % of rows for a comparison of two columns,
//   so with `id = device_id` it believed a 100,000-device fleet had 500 and chose nested loops over
//   every device; a boolean column has statistics (fleet.ts filters on it there; SQLite keeps
//   `id = device_id`).
// - device_posture (releases_behind, major_behind, device_id), replacing 012's (releases_behind): the
//   device list sorted by posture reads the postures in this index's order and stops at the page.
// - campaign_devices (campaign_id, state, wave, done_at): a campaign's counts per state and wave and
//   its progress over time read this index only; (campaign_id, state, device_id) pages one state's
//   devices in order. It replaces 008's (campaign_id, state), which it starts with.
import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../schema.js';
import { osKey } from '../inventory.js';

const SEARCH_COLUMNS = ['device_name', 'serial_number', 'model', 'id'] as const;
/** The device list's sort indexes: 012's four and 016's two, on the device channels. */
const SORTS_012 = [['name', 'device_name'], ['serial', 'serial_number'], ['model', 'model'], ['seen', 'last_seen_at']] as const;
const SORTS_016 = [['os', 'os_key'], ['type', 'type']] as const;

export function uiPerfMigration(dialect: Dialect): Migration {
  const pg = dialect === 'postgres';
  const nullsFirst = pg ? sql.raw(' nulls first') : sql.raw('');
  const devices = pg ? sql<boolean>`device_channel` : sql<boolean>`id = device_id`;
  const sortIndex = (db: Kysely<unknown>, name: string, column: string, where: typeof devices) =>
    db.schema.createIndex(`enrollments_devices_${name}`).on('enrollments').expression(sql`${sql.ref(column)}${nullsFirst}, id`).where(where).execute();
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('enrollments').addColumn('os_key', 'text').execute();
      const versions = await sql<{ v: string }>`select distinct os_version as v from enrollments where os_version is not null`.execute(db);
      for (const { v } of versions.rows) await sql`update enrollments set os_key = ${osKey(v)} where os_version = ${v}`.execute(db);
      if (pg) {
        await sql`alter table enrollments add column device_channel boolean generated always as (id = device_id) stored`.execute(db);
        for (const [name, column] of SORTS_012) {
          await db.schema.dropIndex(`enrollments_devices_${name}`).execute();
          await sortIndex(db, name, column, devices);
        }
      }
      for (const [name, column] of SORTS_016) await sortIndex(db, name, column, devices);
      for (const column of SEARCH_COLUMNS) {
        await db.schema
          .createIndex(`enrollments_search_${column}`)
          .on('enrollments')
          .expression(sql`lower(${sql.ref(column)})${pg ? sql.raw(' text_pattern_ops') : sql.raw('')}`)
          .execute();
      }
      await db.schema.dropIndex('device_posture_behind').execute();
      await db.schema.createIndex('device_posture_behind').on('device_posture').columns(['releases_behind', 'major_behind', 'device_id']).execute();
      await db.schema.dropIndex('campaign_devices_state').execute();
      await db.schema.createIndex('campaign_devices_state').on('campaign_devices').columns(['campaign_id', 'state', 'device_id']).execute();
      await db.schema.createIndex('campaign_devices_counts').on('campaign_devices').columns(['campaign_id', 'state', 'wave', 'done_at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('campaign_devices_counts').execute();
      await db.schema.dropIndex('device_posture_behind').execute();
      await db.schema.createIndex('device_posture_behind').on('device_posture').column('releases_behind').execute();
      await db.schema.dropIndex('campaign_devices_state').execute();
      await db.schema.createIndex('campaign_devices_state').on('campaign_devices').columns(['campaign_id', 'state']).execute();
      for (const column of SEARCH_COLUMNS) await db.schema.dropIndex(`enrollments_search_${column}`).execute();
      for (const [name] of SORTS_016) await db.schema.dropIndex(`enrollments_devices_${name}`).execute();
      if (pg) {
        for (const [name, column] of SORTS_012) {
          await db.schema.dropIndex(`enrollments_devices_${name}`).execute();
          await sortIndex(db, name, column, sql<boolean>`id = device_id`);
        }
        await db.schema.alterTable('enrollments').dropColumn('device_channel').execute();
      }
      await db.schema.alterTable('enrollments').dropColumn('os_key').execute();
    },
  };
}
