// OS update catalogs: PUT /v1/catalogs/{kind}[?force=1&file=NAME] with the document as body (JSON or
// plist, gzipped or not), GET /v1/catalogs (every kind: held or not, source, dates, entries, validity,
// last error) and GET /v1/catalogs/{kind} (the same with a summary of what it holds).
import { Type } from '../schema.js';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.js';
import { CATALOG_KINDS, type CatalogKind, type CatalogView, type OsFamily } from '../../osupdate/types.js';
import { CatalogConflictError, isCatalogKind, type CatalogStatus } from '../../osupdate/catalog/service.js';
import { CatalogError } from '../../osupdate/catalog/model.js';
import type { CatalogState } from '../../storage/types-catalogs.js';
import { ApiError, apiScope, rawBody } from './scope.js';

/** Catalog documents run to tens of megabytes (a sucatalog); this route takes bodies up to this size. */
export const CATALOG_BODY_LIMIT = 100 * 1024 * 1024;

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

const KindParams = Type.Object({
  kind: Type.String({ minLength: 1, maxLength: 100, description: `One of ${CATALOG_KINDS.join(', ')}` }),
});

function kindOf(raw: string): CatalogKind {
  if (!isCatalogKind(raw)) throw new ApiError(400, `unknown catalog kind ${JSON.stringify(raw)}: use one of ${CATALOG_KINDS.join(', ')}`, 'kind');
  return raw;
}

function catalogJson(kind: CatalogKind, state: CatalogState | undefined, status: CatalogStatus | null, refreshUrl: string | null): Record<string, unknown> {
  const lastError = state?.lastError ? { at: state.lastError.at.toISOString(), message: state.lastError.message } : null;
  return {
    kind,
    held: status !== null,
    valid: status !== null && !status.stale,
    source: status?.source ?? null,
    fetched_at: iso(status?.fetchedAt),
    checked_at: iso(status?.checkedAt),
    content_date: iso(status?.contentDate),
    document_date: iso(status?.documentDate),
    valid_until: iso(status?.validUntil),
    age_days: status?.ageDays ?? null,
    entries: status?.entries ?? 0,
    stale: status?.stale ?? false,
    stale_reason: status?.staleReason ?? null,
    last_error: lastError,
    refresh_url: refreshUrl,
  };
}

const FAMILIES: Record<CatalogKind, OsFamily[]> = { gdmf: ['macOS', 'iOS', 'visionOS'], 'sofa-macos': ['macOS'], 'sofa-ios': ['iOS'], sucatalog: [] };

/** What a held catalog brings to the merged view. */
function summary(kind: CatalogKind, view: CatalogView): Record<string, unknown> {
  if (kind === 'sucatalog') {
    const products = view.suProducts();
    const installers = products.filter((p) => p.kind === 'installer');
    return {
      products: products.length,
      config_data: products.filter((p) => p.kind === 'config-data').map((p) => p.productKey),
      installers: installers.map((p) => ({ product_key: p.productKey, title: p.title, version: p.version, build: p.build, posted_at: iso(p.postedAt) })),
    };
  }
  const families: Record<string, unknown> = {};
  for (const family of FAMILIES[kind]) {
    const mine = view.releases(family).filter((r) => r.sources.includes(kind));
    if (mine.length === 0) continue;
    const newest = mine.find((r) => r.extra === null) ?? mine[0]!;
    families[family] = {
      releases: mine.length,
      newest: { version: newest.version, build: newest.build, posted_at: iso(newest.postedAt), expires_at: iso(newest.expiresAt) },
      background_security_improvements: mine.filter((r) => r.extra !== null).length,
    };
  }
  return { families };
}

export function registerCatalogs(app: FastifyInstance, deps: AppDeps): void {
  const { catalogs } = deps;
  const refreshUrl = (kind: CatalogKind): string | null => deps.config.catalogUrls?.[kind] ?? null;

  apiScope(
    app,
    deps,
    (api) => {
      api.put(
        '/v1/catalogs/:kind',
        {
          bodyLimit: Math.max(CATALOG_BODY_LIMIT, deps.config.bodyLimit),
          schema: {
            summary: 'Import an OS update catalog (gdmf JSON, a SOFA feed, or a .sucatalog; gzip accepted)',
            description:
              'The body is the document itself. A corrupt, truncated or empty one is refused with 422 and the reason; a catalog older than the one held with 409 unless force is given. Either way the held copy stays in use.',
            tags: ['Updraft'],
            params: KindParams,
            consumes: ['application/json', 'application/xml', 'application/gzip', 'application/octet-stream'],
            querystring: Type.Object({
              force: Type.Optional(Type.String({ description: 'Any non-empty value: replace the held catalog even if this one is older' })),
              file: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'The file name it came from (source becomes file:NAME; default api)' })),
            }),
          },
        },
        async (req, reply) => {
          const kind = kindOf(req.params.kind);
          const source = req.query.file ? `file:${req.query.file}` : 'api';
          try {
            const { status, changed } = await catalogs.import(kind, rawBody(req.body), { source, force: Boolean(req.query.force) });
            const state = (await catalogs.states()).find((s) => s.kind === kind);
            return { ...catalogJson(kind, state, status, refreshUrl(kind)), changed };
          } catch (err) {
            if (err instanceof CatalogError) return reply.code(422).send({ error: err.message });
            if (err instanceof CatalogConflictError) return reply.code(409).send({ error: err.message });
            throw err;
          }
        },
      );
    },
    { raw: true },
  );

  apiScope(app, deps, (api) => {
    api.get('/v1/catalogs', { schema: { summary: 'The OS update catalogs: source, dates, entries, validity, last error', tags: ['Updraft'] } }, async () => {
      const states = await catalogs.states();
      return {
        max_age_days: catalogs.maxAgeDays,
        catalogs: CATALOG_KINDS.map((kind) => {
          const state = states.find((s) => s.kind === kind);
          return catalogJson(kind, state, state ? catalogs.statusOf(state) : null, refreshUrl(kind));
        }),
      };
    });

    api.get(
      '/v1/catalogs/:kind',
      { schema: { summary: 'One OS update catalog, with a summary of what it holds', tags: ['Updraft'], params: KindParams } },
      async (req) => {
        const kind = kindOf(req.params.kind);
        const state = (await catalogs.states()).find((s) => s.kind === kind);
        const status = state ? catalogs.statusOf(state) : null;
        const base = catalogJson(kind, state, status, refreshUrl(kind));
        if (!status) return { ...base, summary: null };
        return {
          ...base,
          sha256: status.sha256,
          size: status.size,
          etag: status.etag,
          last_modified: status.lastModified,
          summary: summary(kind, await catalogs.view()),
        };
      },
    );
  });
}
