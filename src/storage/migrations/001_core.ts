// The core schema: enrollments, commands and their per-enrollment queue, events, webhook outbox,
// push certificate and log, SCEP challenges and settings. Identical on SQLite and PostgreSQL except
// for the auto-increment and binary column types.
import { sql, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../schema.js';

export function coreMigration(dialect: Dialect): Migration {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  // SQLite: INTEGER PRIMARY KEY AUTOINCREMENT (never reuses ids); PostgreSQL: identity column.
  const withId = <T extends string>(t: CreateTableBuilder<T, never>, name: string) =>
    dialect === 'postgres'
      ? t.addColumn(name, 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
      : t.addColumn(name, 'integer', (c) => c.primaryKey().autoIncrement());

  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('enrollments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('udid', 'text')
        .addColumn('user_id', 'text')
        .addColumn('user_short_name', 'text')
        .addColumn('user_long_name', 'text')
        .addColumn('topic', 'text')
        .addColumn('push_token', 'text')
        .addColumn('push_magic', 'text')
        .addColumn('unlock_token', blob)
        .addColumn('push_invalid_at', 'bigint')
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('token_update_tally', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('awaiting_configuration', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('cert_hash', 'text')
        .addColumn('bootstrap_token', blob)
        .addColumn('serial_number', 'text')
        .addColumn('model', 'text')
        .addColumn('model_name', 'text')
        .addColumn('product_name', 'text')
        .addColumn('device_name', 'text')
        .addColumn('os_version', 'text')
        .addColumn('build_version', 'text')
        .addColumn('imei', 'text')
        .addColumn('meid', 'text')
        .addColumn('platform', 'text')
        .addColumn('last_seen_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('enrollments_device').on('enrollments').column('device_id').execute();
      await db.schema.createIndex('enrollments_serial').on('enrollments').column('serial_number').execute();
      await db.schema.createIndex('enrollments_cert').on('enrollments').column('cert_hash').execute();
      await db.schema.createIndex('enrollments_seen').on('enrollments').column('last_seen_at').execute();
      await db.schema.createIndex('enrollments_platform').on('enrollments').columns(['platform', 'os_version']).execute();

      await db.schema
        .createTable('commands')
        .addColumn('uuid', 'text', (c) => c.primaryKey())
        .addColumn('request_type', 'text', (c) => c.notNull())
        .addColumn('raw', blob, (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      // Command UUIDs are stored as given and matched case-insensitively.
      await db.schema.createIndex('commands_uuid_lower').on('commands').unique().expression(sql`lower(uuid)`).execute();

      await withId(db.schema.createTable('queue'), 'seq')
        .addColumn('enrollment_id', 'text', (c) => c.notNull().references('enrollments.id').onDelete('cascade'))
        .addColumn('command_uuid', 'text', (c) => c.notNull().references('commands.uuid').onDelete('cascade'))
        .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('not_now_tally', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('not_now_at', 'bigint')
        .addColumn('expires_at', 'bigint')
        .addColumn('sent_at', 'bigint')
        .addColumn('result_at', 'bigint')
        .addColumn('result_raw', blob)
        .addColumn('result_json', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('queue_enrollment_uuid')
        .on('queue')
        .unique()
        .expression(sql`enrollment_id, lower(command_uuid)`)
        .execute();
      await db.schema.createIndex('queue_command').on('queue').column('command_uuid').execute();
      // The hot path: the next queued command of one enrollment, by priority then FIFO.
      await db.schema
        .createIndex('queue_next')
        .on('queue')
        .expression(sql`enrollment_id, priority desc, seq`)
        .where(sql.ref('status'), '=', 'queued')
        .execute();
      // Expiry on the hot path touches only the queued commands that carry an expiry.
      await db.schema
        .createIndex('queue_expiring')
        .on('queue')
        .columns(['enrollment_id', 'expires_at'])
        .where(sql<boolean>`status = 'queued' and expires_at is not null`)
        .execute();
      // Retention: finished rows by age.
      await db.schema
        .createIndex('queue_finished')
        .on('queue')
        .column('updated_at')
        .where(sql.ref('status'), '<>', 'queued')
        .execute();

      await withId(db.schema.createTable('events'), 'id')
        .addColumn('enrollment_id', 'text')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_enrollment').on('events').columns(['enrollment_id', 'id']).execute();
      await db.schema.createIndex('events_at').on('events').column('at').execute();

      await withId(db.schema.createTable('outbox'), 'id')
        .addColumn('topic', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('done_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('outbox_due')
        .on('outbox')
        .columns(['next_attempt_at', 'id'])
        .where(sql.ref('done_at'), 'is', null)
        .execute();

      await db.schema
        .createTable('push_certs')
        .addColumn('topic', 'text', (c) => c.primaryKey())
        .addColumn('cert_pem', 'text', (c) => c.notNull())
        .addColumn('key_pem', 'text', (c) => c.notNull())
        .addColumn('not_after', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await withId(db.schema.createTable('push_log'), 'id')
        .addColumn('enrollment_id', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('http_status', 'integer')
        .addColumn('apns_id', 'text')
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('push_log_enrollment').on('push_log').columns(['enrollment_id', 'id']).execute();
      await db.schema.createIndex('push_log_at').on('push_log').column('at').execute();

      await db.schema
        .createTable('challenges')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
