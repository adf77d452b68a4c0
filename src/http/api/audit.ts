// GET /v1/audit: the audit log of API writes (recorded by audit-hook.ts), filtered by time and key,
// newest first, paged by id.
import { Type } from '../schema.js';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.js';
import { auditJson } from './audit-hook.js';
import { ApiError, apiScope } from './scope.js';

function date(value: string | undefined, field: string): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new ApiError(400, `${field} must be a date-time (RFC 3339), got ${JSON.stringify(value)}`, field);
  return d;
}

export function registerAudit(app: FastifyInstance, deps: AppDeps): void {
  apiScope(app, deps, (api) => {
    api.get(
      '/v1/audit',
      {
        schema: {
          summary: 'The audit log of API writes (key, route, target ids, time, status), newest first; page with before=<next>',
          tags: ['Updraft'],
          querystring: Type.Object({
            since: Type.Optional(Type.String({ description: 'Only entries at or after this time (RFC 3339)' })),
            until: Type.Optional(Type.String({ description: 'Only entries before this time (RFC 3339)' })),
            key: Type.Optional(Type.String({ minLength: 1, description: "Only this key's entries (its id or name)" })),
            before: Type.Optional(Type.Integer({ minimum: 1, description: 'Only entries older than this id (the previous page\'s next)' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Page size (default 100)' })),
          }),
        },
      },
      async (req) => {
        const limit = req.query.limit ?? 100;
        const entries = await deps.store.listAudit({
          since: date(req.query.since, 'since'), until: date(req.query.until, 'until'), key: req.query.key, before: req.query.before, limit,
        });
        const last = entries.at(-1);
        return { entries: entries.map((e) => auditJson(e)), next: entries.length === limit && last ? last.id : null };
      },
    );
  });
}
