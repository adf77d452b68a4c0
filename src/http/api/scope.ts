// The shared frame of the API route modules: an encapsulated fastify scope with the API key check,
// JSON errors of the form {error, field?}, and (for raw plist routes) a body parser that keeps bytes.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireApiKey } from './auth.js';
import { auditHook } from './audit-hook.js';
import { routeKey } from './roles.js';
import type { AppDeps } from '../app.js';

declare module 'fastify' {
  interface FastifySchema {
    /** OpenAPI fields, read by openapi.ts. */
    summary?: string;
    description?: string;
    tags?: string[];
    /** Request content types of raw (non-JSON) bodies. */
    consumes?: string[];
  }
}

export type ApiInstance = FastifyInstance<
  FastifyInstance['server'],
  FastifyRequest['raw'],
  FastifyReply['raw'],
  FastifyInstance['log'],
  TypeBoxTypeProvider
>;

/** An error the API answers with its status, a reason and, for bad input, the offending field. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface FieldError {
  field?: unknown;
}

function validationField(err: FastifyError): string | undefined {
  const first = err.validation?.[0];
  if (!first) return undefined;
  const path = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const missing = (first.params as { missingProperty?: string }).missingProperty;
  return [path, missing].filter(Boolean).join('.') || undefined;
}

/** Maps every error in an API scope to {error, field?} with a 4xx for bad input, a logged 500 otherwise. */
export function apiErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  if (err.validation) {
    const field = validationField(err);
    const where = err.validationContext === 'body' ? '' : `${err.validationContext} `;
    const first = err.validation[0];
    const reason = first?.keyword === 'required' ? 'is required' : (first?.message ?? 'is invalid');
    const message = `${where}${field ?? 'body'} ${reason}`;
    void reply.code(400).send(field ? { error: message, field } : { error: message });
    return;
  }
  const field = (err as FieldError).field;
  const status = err.statusCode ?? (err.name === 'CommandValidationError' || err.name === 'PlistError' ? 400 : 500);
  if (status >= 500) {
    req.log.error({ err, url: req.url }, 'API request failed');
    void reply.code(status).send({ error: 'internal error' });
    return;
  }
  void reply.code(status).send(typeof field === 'string' && field ? { error: err.message, field } : { error: err.message });
}

const REGISTERED = new WeakMap<FastifyInstance, Set<string>>();

/** Every route registered through apiScope on this app, as roles.ts keys them ("METHOD /pattern"). */
export function apiRoutes(app: FastifyInstance): string[] {
  return [...(REGISTERED.get(app) ?? [])].sort();
}

/** Register API routes in their own scope: API key of a role the route allows (roles.ts), writes audited, {error, field?} errors; raw: bodies kept as Buffers. */
export function apiScope(app: FastifyInstance, deps: AppDeps, routes: (api: ApiInstance) => void, opts: { raw?: boolean } = {}): void {
  let registered = REGISTERED.get(app);
  if (!registered) REGISTERED.set(app, (registered = new Set()));
  const seen = registered;
  void app.register(async (scope) => {
    const api = scope.withTypeProvider<TypeBoxTypeProvider>();
    api.addHook('onRoute', (route) => {
      for (const m of [route.method].flat()) if (m !== 'HEAD') seen.add(routeKey(m, route.url));
    });
    api.addHook('onRequest', requireApiKey(deps.config.apiKey, deps.store));
    api.addHook('onResponse', auditHook(deps));
    api.setErrorHandler(apiErrorHandler);
    if (opts.raw) {
      api.removeAllContentTypeParsers();
      api.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    } else {
      // MicroMDM's scripts post JSON with `curl -d@-`, i.e. as application/x-www-form-urlencoded.
      api.removeContentTypeParser('text/plain');
      api.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
        const text = String(body);
        if (text.trim() === '') return done(null, undefined);
        try {
          done(null, JSON.parse(text));
        } catch (err) {
          done(new ApiError(400, `body is not valid JSON: ${(err as Error).message}`), undefined);
        }
      });
    }
    routes(api);
  });
}

/** The body of a raw route as bytes (empty when there is none). */
export function rawBody(body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}
