// Device inventory (OS update layer): one row per device channel with the fields fleets are filtered
// and counted by as columns and the rest as JSON, and the history of every change. Devices enrolled
// before this migration get a row seeded from what their Authenticate told (and whether a bootstrap
// token is escrowed), so the schedule queries them too.
import { sql, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../schema.js';
import { inventoryPhase } from '../inventory-schema.js';

interface SeedRow {
  id: string;
  platform: string | null;
  os_version: string | null;
  build_version: string | null;
  model: string | null;
  model_name: string | null;
  product_name: string | null;
  serial_number: string | null;
  device_name: string | null;
  escrowed: number;
  updated_at: number;
}

export function inventoryMigration(dialect: Dialect): Migration {
  const withId = <T extends string>(t: CreateTableBuilder<T, never>, name: string) =>
    dialect === 'postgres'
      ? t.addColumn(name, 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
      : t.addColumn(name, 'integer', (c) => c.primaryKey().autoIncrement());
  return {
    async up(db: Kysely<unknown>) {
      let t = db.schema.createTable('device_inventory').addColumn('device_id', 'text', (c) => c.primaryKey());
      t = t.addColumn('phase', 'integer', (c) => c.notNull());
      for (const col of [
        'platform', 'os_version', 'build_version', 'supplemental_build_version', 'supplemental_os_version_extra', 'product_name',
        'model', 'model_number', 'model_name', 'software_update_device_id', 'board_id', 'serial_number', 'device_name',
      ]) t = t.addColumn(col, 'text');
      for (const col of ['is_supervised', 'is_apple_silicon', 'is_user_enrollment', 'enrolled_via_dep', 'bootstrap_token_required']) {
        t = t.addColumn(col, 'integer');
      }
      await t
        .addColumn('bootstrap_token_escrowed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('information_at', 'bigint')
        .addColumn('security_at', 'bigint')
        .addColumn('queried_at', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('device_inventory_os').on('device_inventory').columns(['platform', 'os_version', 'build_version']).execute();
      await db.schema.createIndex('device_inventory_model').on('device_inventory').column('model').execute();
      await db.schema.createIndex('device_inventory_su_device').on('device_inventory').column('software_update_device_id').execute();

      await withId(db.schema.createTable('inventory_history'), 'id')
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('field', 'text', (c) => c.notNull())
        .addColumn('old_value', 'text')
        .addColumn('new_value', 'text')
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('inventory_history_device').on('inventory_history').columns(['device_id', 'at', 'id']).execute();

      const any = db as Kysely<any>;
      for (let after = ''; ;) {
        const rows = (await sql<SeedRow>`select id, platform, os_version, build_version, model, model_name, product_name,
            serial_number, device_name, case when bootstrap_token is null then 0 else 1 end as escrowed, updated_at
          from enrollments where id = device_id and id > ${after} order by id limit 500`.execute(any)).rows;
        if (rows.length === 0) break;
        await any
          .insertInto('device_inventory')
          .values(rows.map(({ id, escrowed, updated_at, ...r }) => ({
            ...r, device_id: id, phase: inventoryPhase(id), bootstrap_token_escrowed: Number(escrowed), data: '{}', updated_at: Number(updated_at),
          })))
          .execute();
        after = rows[rows.length - 1]!.id;
      }
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('inventory_history').execute();
      await db.schema.dropTable('device_inventory').execute();
    },
  };
}
