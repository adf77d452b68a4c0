// API keys with roles: POST /v1/apikeys {role, name?} answers the key once (only its hash is kept),
// GET /v1/apikeys lists them, DELETE /v1/apikeys/{id} revokes one (by id or name). Admin only (roles.ts).
import { Type } from '../schema.js';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.js';
import type { ApiKeyRecord } from '../../storage/types-access.js';
import { hashApiKey, newApiKey, newApiKeyId } from './auth.js';
import { ROLES } from './roles.js';
import { ApiError, apiScope } from './scope.js';

const keyJson = (k: ApiKeyRecord) => ({
  id: k.id, name: k.name, role: k.role, created_at: k.createdAt.toISOString(), revoked_at: k.revokedAt?.toISOString() ?? null,
});

export function registerApiKeys(app: FastifyInstance, deps: AppDeps): void {
  apiScope(app, deps, (api) => {
    api.post(
      '/v1/apikeys',
      {
        schema: {
          summary: 'Create an API key with a role (admin, operator, read-only); the key is in this answer only',
          tags: ['Updraft'],
          body: Type.Object({
            role: Type.Union(ROLES.map((r) => Type.Literal(r)), { description: 'admin: everything; operator: commands, pushes, campaigns, DDM, not settings, keys or certificates; read-only: reads' }),
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._@-]+$', description: 'A name for the audit log (default: the id)' })),
          }, { additionalProperties: false }),
        },
      },
      async (req, reply) => {
        const id = newApiKeyId();
        const name = req.body.name ?? id;
        if (name === 'default') throw new ApiError(409, '"default" names the key of --api-key / data/api-key', 'name');
        const key = newApiKey();
        const record = { id, name, role: req.body.role, hash: hashApiKey(key), createdAt: new Date() };
        if (!(await deps.store.createApiKey(record))) throw new ApiError(409, `a key named ${JSON.stringify(name)} exists (revoke it first)`, 'name');
        return reply.code(201).send({ ...keyJson({ ...record, revokedAt: null }), key });
      },
    );
    api.get('/v1/apikeys', { schema: { summary: 'The API keys (never the keys themselves), revoked ones too', tags: ['Updraft'] } }, async () => ({
      keys: (await deps.store.listApiKeys()).map(keyJson),
    }));
    api.delete(
      '/v1/apikeys/:id',
      { schema: { summary: 'Revoke an API key (by id or name): refused from the next request on', tags: ['Updraft'], params: Type.Object({ id: Type.String({ minLength: 1 }) }) } },
      async (req) => {
        const record = await deps.store.revokeApiKey(req.params.id, new Date());
        if (!record) throw new ApiError(404, `no API key ${JSON.stringify(req.params.id)}`, 'id');
        return keyJson(record);
      },
    );
  });
}
