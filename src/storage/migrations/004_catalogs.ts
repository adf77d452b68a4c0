// OS update catalogs (gdmf, SOFA feeds, sucatalog): one row per kind holding the last good copy
// (the document gzipped, and what its parser keeps, gzipped JSON) with where and when it came from,
// and the last failed import or refresh. A row may hold only an error (a refresh that never
// succeeded): its copy columns are then null.
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../schema.js';

export function catalogsMigration(dialect: Dialect): Migration {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('catalogs')
        .addColumn('kind', 'text', (c) => c.primaryKey())
        .addColumn('source', 'text')
        .addColumn('raw', blob)
        .addColumn('raw_size', 'bigint')
        .addColumn('sha256', 'text')
        .addColumn('parsed', blob)
        .addColumn('parsed_version', 'integer')
        .addColumn('etag', 'text')
        .addColumn('last_modified', 'text')
        .addColumn('fetched_at', 'bigint')
        .addColumn('checked_at', 'bigint')
        .addColumn('content_date', 'bigint')
        .addColumn('document_date', 'bigint')
        .addColumn('valid_until', 'bigint')
        .addColumn('entries', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('last_error_at', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('catalogs').execute();
    },
  };
}
