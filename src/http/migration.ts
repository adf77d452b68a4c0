// PUT /migration (NanoMDM's endpoint, admin key): one raw check-in plist per request, as NanoMDM's
// nano2nano and MicroMDM's micro2nano (llorne) send them (HTTP Basic nanomdm:KEY, no Content-Type).
// 200 with an empty body when the enrollment was stored; the tools count anything else as a failure,
// so every refusal is a 4xx with the reason as text. The service behind it is service/migration.ts.
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from './app.js';
import { ProtocolError, parseCheckin } from '../mdm/index.js';
import { PlistError, parseAnyPlist } from '../plist/index.js';
import { ServiceError, type MdmService } from '../service/types.js';
import { apiScope, rawBody } from './api/scope.js';

export function registerMigration(app: FastifyInstance, deps: AppDeps): void {
  const migration: MdmService | undefined = deps.migration;
  if (!migration) return;
  apiScope(
    app,
    deps,
    (api) => {
      api.put(
        '/migration',
        {
          schema: {
            summary: "Move an enrollment in from NanoMDM or MicroMDM: a stored raw Authenticate, TokenUpdate or SetBootstrapToken check-in (NanoMDM's /migration)",
            tags: ['NanoMDM'],
            consumes: ['application/x-apple-aspen-mdm-checkin', 'application/xml', 'application/octet-stream'],
          },
        },
        async (req, reply) => {
          const raw = rawBody(req.body);
          try {
            if (raw.length === 0) throw new ProtocolError('empty body: send one raw check-in plist');
            await migration.checkin(parseCheckin(parseAnyPlist(raw)), { raw, urlParams: {}, certHash: null, at: new Date() });
          } catch (err) {
            const status = err instanceof ServiceError ? err.httpStatus : err instanceof ProtocolError || err instanceof PlistError ? 400 : null;
            if (status === null) throw err;
            return reply.code(status).type('text/plain; charset=utf-8').send((err as Error).message);
          }
          return reply.code(200).send();
        },
      );
    },
    { raw: true },
  );
}
