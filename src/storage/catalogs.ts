// OS update catalogs: one row per kind (see migrations/004_catalogs.ts and types-catalogs.ts).
import type { Ctx } from './context.js';
import { toDate } from './context.js';
import type { CatalogsTable } from './schema.js';
import type { CatalogState, CatalogStore } from './types-catalogs.js';

const num = (v: number | string | bigint | null): number | null => (v === null ? null : Number(v));
const date = (v: number | string | bigint | null): Date | null => toDate(num(v));

type StateRow = Omit<CatalogsTable, 'raw' | 'parsed'>;

const state = (r: StateRow): CatalogState => ({
  kind: r.kind,
  source: r.source,
  sha256: r.sha256,
  rawSize: num(r.raw_size),
  parsedVersion: num(r.parsed_version),
  etag: r.etag,
  lastModified: r.last_modified,
  fetchedAt: date(r.fetched_at),
  checkedAt: date(r.checked_at),
  contentDate: date(r.content_date),
  documentDate: date(r.document_date),
  validUntil: date(r.valid_until),
  entries: num(r.entries),
  lastError: r.last_error === null || r.last_error_at === null ? null : { at: new Date(Number(r.last_error_at)), message: r.last_error },
  updatedAt: new Date(Number(r.updated_at)),
});

const STATE_COLUMNS = [
  'kind', 'source', 'raw_size', 'sha256', 'parsed_version', 'etag', 'last_modified', 'fetched_at', 'checked_at',
  'content_date', 'document_date', 'valid_until', 'entries', 'last_error', 'last_error_at', 'updated_at',
] as const;

export function catalogStore({ db }: Ctx): CatalogStore {
  return {
    async saveCatalog(c, at) {
      const row = {
        source: c.source,
        raw: c.raw,
        raw_size: c.rawSize,
        sha256: c.sha256,
        parsed: c.parsed,
        parsed_version: c.parsedVersion,
        etag: c.etag,
        last_modified: c.lastModified,
        fetched_at: c.fetchedAt.getTime(),
        checked_at: c.fetchedAt.getTime(),
        content_date: c.contentDate?.getTime() ?? null,
        document_date: c.documentDate?.getTime() ?? null,
        valid_until: c.validUntil?.getTime() ?? null,
        entries: c.entries,
        last_error: null,
        last_error_at: null,
        updated_at: at.getTime(),
      };
      await db
        .insertInto('catalogs')
        .values({ kind: c.kind, ...row })
        .onConflict((oc) => oc.column('kind').doUpdateSet(row))
        .execute();
    },

    async catalogStates() {
      const rows = await db.selectFrom('catalogs').select(STATE_COLUMNS).orderBy('kind').execute();
      return rows.map((r) => state(r as StateRow));
    },

    async catalogParsed(kind, sha256) {
      const row = await db
        .selectFrom('catalogs')
        .select(['parsed', 'parsed_version'])
        .where('kind', '=', kind)
        .where('sha256', '=', sha256)
        .executeTakeFirst();
      if (!row?.parsed || row.parsed_version === null) return null;
      return { parsed: Buffer.from(row.parsed), parsedVersion: Number(row.parsed_version) };
    },

    async catalogRaw(kind) {
      const row = await db.selectFrom('catalogs').select('raw').where('kind', '=', kind).executeTakeFirst();
      return row?.raw ? Buffer.from(row.raw) : null;
    },

    async updateCatalogParsed(kind, sha256, parsed, parsedVersion) {
      await db.updateTable('catalogs').set({ parsed, parsed_version: parsedVersion }).where('kind', '=', kind).where('sha256', '=', sha256).execute();
    },

    async markCatalogChecked(kind, at, validators) {
      await db
        .updateTable('catalogs')
        .set({
          checked_at: at.getTime(),
          last_error: null,
          last_error_at: null,
          updated_at: at.getTime(),
          ...(validators ? { etag: validators.etag, last_modified: validators.lastModified } : {}),
        })
        .where('kind', '=', kind)
        .execute();
    },

    async recordCatalogError(kind, message, at) {
      const error = { last_error: message, last_error_at: at.getTime(), updated_at: at.getTime() };
      await db
        .insertInto('catalogs')
        .values({ kind, ...error })
        .onConflict((oc) => oc.column('kind').doUpdateSet(error))
        .execute();
    },
  };
}
