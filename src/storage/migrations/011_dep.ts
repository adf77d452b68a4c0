// ADE (DEP): one row per DEP name (an MDM server in Apple Business/School Manager) holding its
// OAuth server tokens, the staging and current token key pairs (PEM; kept like the push key and the
// CA key: not encrypted at rest), its config (base_url), the assigner's profile UUID, the shared DEP
// session token and the devices/sync cursor; and dep_devices, the devices each name lists, keyed by
// (dep_name, serial_number), with the serial indexed for ADE enrollment lookups.
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../schema.js';

export function depMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('dep_names')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('consumer_key', 'text')
        .addColumn('consumer_secret', 'text')
        .addColumn('access_token', 'text')
        .addColumn('access_secret', 'text')
        .addColumn('access_token_expiry', 'text')
        .addColumn('tokens_expire_at', 'bigint')
        .addColumn('tokens_updated_at', 'bigint')
        .addColumn('staging_cert_pem', 'text')
        .addColumn('staging_key_pem', 'text')
        .addColumn('cert_pem', 'text')
        .addColumn('key_pem', 'text')
        .addColumn('base_url', 'text')
        .addColumn('assigner_profile_uuid', 'text')
        .addColumn('session_token', 'text')
        .addColumn('cursor', 'text')
        .addColumn('cursor_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('dep_devices')
        .addColumn('dep_name', 'text', (c) => c.notNull())
        .addColumn('serial_number', 'text', (c) => c.notNull())
        .addColumn('model', 'text')
        .addColumn('description', 'text')
        .addColumn('color', 'text')
        .addColumn('asset_tag', 'text')
        .addColumn('os', 'text')
        .addColumn('device_family', 'text')
        .addColumn('device_assigned_by', 'text')
        .addColumn('device_assigned_date', 'bigint')
        .addColumn('op_type', 'text')
        .addColumn('op_date', 'bigint')
        .addColumn('profile_uuid', 'text')
        .addColumn('profile_status', 'text')
        .addColumn('profile_assign_time', 'bigint')
        .addColumn('profile_push_time', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('dep_devices_pk', ['dep_name', 'serial_number'])
        .execute();
      await db.schema.createIndex('dep_devices_serial').on('dep_devices').column('serial_number').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('dep_devices').execute();
      await db.schema.dropTable('dep_names').execute();
    },
  };
}
