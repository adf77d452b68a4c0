// Declarative Device Management: declarations, sets, set ↔ enrollment assignments, each enrollment's
// last DeclarationsToken, status items (latest value and history), per-declaration status, and asset
// data the server hosts. Same representation on SQLite and PostgreSQL (times in epoch ms, JSON as text).
import type { CreateTableBuilder, Kysely, Migration } from 'kysely';
import type { Dialect } from '../schema.js';

export function ddmMigration(dialect: Dialect): Migration {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  const withId = <T extends string>(t: CreateTableBuilder<T, never>, name: string) =>
    dialect === 'postgres'
      ? t.addColumn(name, 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
      : t.addColumn(name, 'integer', (c) => c.primaryKey().autoIncrement());
  const enrollmentRef = 'enrollments.id';

  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('ddm_declarations')
        .addColumn('identifier', 'text', (c) => c.primaryKey())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('server_token', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('ddm_sets')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('ddm_set_declarations')
        .addColumn('set_name', 'text', (c) => c.notNull().references('ddm_sets.name').onDelete('cascade'))
        .addColumn('identifier', 'text', (c) => c.notNull().references('ddm_declarations.identifier').onDelete('cascade'))
        .addPrimaryKeyConstraint('ddm_set_declarations_pk', ['set_name', 'identifier'])
        .execute();
      await db.schema.createIndex('ddm_set_declarations_identifier').on('ddm_set_declarations').column('identifier').execute();

      await db.schema
        .createTable('ddm_enrollment_sets')
        .addColumn('enrollment_id', 'text', (c) => c.notNull().references(enrollmentRef).onDelete('cascade'))
        .addColumn('set_name', 'text', (c) => c.notNull().references('ddm_sets.name').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('ddm_enrollment_sets_pk', ['enrollment_id', 'set_name'])
        .execute();
      await db.schema.createIndex('ddm_enrollment_sets_set').on('ddm_enrollment_sets').column('set_name').execute();

      await db.schema
        .createTable('ddm_sync')
        .addColumn('enrollment_id', 'text', (c) => c.primaryKey().references(enrollmentRef).onDelete('cascade'))
        .addColumn('declarations_token', 'text', (c) => c.notNull())
        .addColumn('changed_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('ddm_status_items')
        .addColumn('enrollment_id', 'text', (c) => c.notNull().references(enrollmentRef).onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('ddm_status_items_pk', ['enrollment_id', 'name'])
        .execute();

      await withId(db.schema.createTable('ddm_status_history'), 'id')
        .addColumn('enrollment_id', 'text', (c) => c.notNull().references(enrollmentRef).onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('value', 'text') // null: the item was dropped by a full report
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('ddm_status_history_enrollment').on('ddm_status_history').columns(['enrollment_id', 'name', 'id']).execute();
      await db.schema.createIndex('ddm_status_history_at').on('ddm_status_history').column('at').execute();

      await db.schema
        .createTable('ddm_declaration_status')
        .addColumn('enrollment_id', 'text', (c) => c.notNull().references(enrollmentRef).onDelete('cascade'))
        .addColumn('identifier', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('server_token', 'text')
        .addColumn('active', 'integer')
        .addColumn('valid', 'text')
        .addColumn('reasons', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('ddm_declaration_status_pk', ['enrollment_id', 'identifier'])
        .execute();

      await db.schema
        .createTable('ddm_asset_data')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('data', blob, (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
