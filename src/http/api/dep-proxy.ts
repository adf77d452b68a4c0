// NanoDEP's authenticated pass-through: /proxy/{name}/<Apple DEP path> forwards the request to the
// DEP name's DEP API with its session (HTTP Basic `depserver:KEY` here; the caller's Authorization is
// never forwarded): X-Server-Protocol-Version sent, a new session on 401 or 403 FORBIDDEN and the
// request replayed with its body, a session token the service rotates adopted. Apple's answer is
// passed back as is; failures before Apple answers come as {error, code}. A profile defined or read
// through it is cached for ADE enrollments (src/dep/profiles.ts).
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.js';
import { apiScope, rawBody } from './scope.js';
import { depClient } from '../../dep/client.js';
import { DepApiError } from '../../dep/errors.js';
import { checkDepName } from '../../dep/service.js';
import { cacheProxiedProfile } from '../../dep/profiles.js';
import { DepTokenError } from '../../dep/tokenpki.js';
import { DEP_PROTOCOL_HEADER, DEP_SESSION_HEADER, type DepClient } from '../../dep/types.js';

/** Request headers worth passing to Apple (never Authorization, cookies or hop-by-hop ones). */
const FORWARDED = ['content-type', 'accept', 'user-agent', DEP_PROTOCOL_HEADER.toLowerCase()];
/** Response headers not passed back (the session is the proxy's business; lengths are recomputed). */
const DROPPED = new Set([DEP_SESSION_HEADER.toLowerCase(), 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'set-cookie']);

/** Status for a failure before Apple answered the request itself. */
export function depFailureStatus(err: DepApiError): number {
  if (err.code === 'NO_TOKENS') return 404;
  if (err.code === 'T_C_NOT_SIGNED' || err.code === 'ACCESS_DENIED') return 403;
  if (err.code === 'UNREACHABLE') return 502;
  if (err.code === 'TOO_MANY_REQUESTS' || err.code === 'SERVICE_UNAVAILABLE') return err.status || 503;
  return 502; // token expired or rejected, garbage from Apple
}

export function registerDepProxy(app: FastifyInstance, deps: AppDeps): void {
  // One client per DEP name, so concurrent requests share one new session.
  const clients = new Map<string, DepClient>();
  apiScope(
    app,
    deps,
    (api) => {
      api.route({
        method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'],
        url: '/proxy/:name/*',
        schema: { summary: 'Pass a request through to Apple\'s DEP API for a DEP name, session handled (NanoDEP\'s /proxy)', tags: ['NanoDEP'], consumes: ['application/json'] },
        handler: async (req, reply) => {
          const { name } = req.params as { name: string };
          try {
            checkDepName(name);
          } catch (err) {
            return reply.code(400).send({ error: (err as DepTokenError).message });
          }
          // The Apple path with its query, as the caller wrote it after /proxy/{name}.
          const rest = req.url.slice('/proxy/'.length);
          const path = rest.slice(rest.indexOf('/'));
          const headers: Record<string, string> = {};
          for (const h of FORWARDED) {
            const v = req.headers[h];
            if (typeof v === 'string') headers[h] = v;
          }
          let client = clients.get(name);
          if (!client) clients.set(name, (client = depClient(name, { store: deps.store, retries: 0, now: deps.clock })));
          try {
            const body = rawBody(req.body);
            const res = await client.raw({ method: req.method, path, headers, body });
            await cacheProxiedProfile(deps.store, name, { method: req.method, path, body }, res, deps.clock?.() ?? new Date());
            for (const [k, v] of Object.entries(res.headers)) if (!DROPPED.has(k)) void reply.header(k, v);
            return reply.code(res.status).send(res.body);
          } catch (err) {
            if (!(err instanceof DepApiError)) throw err;
            req.log.warn({ dep: name, code: err.code, path }, err.message);
            return reply.code(depFailureStatus(err)).send({ error: err.message, code: err.code });
          }
        },
      });
    },
    { raw: true },
  );
}
