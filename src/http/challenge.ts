// POST /v1/challenge (as MicroMDM): a one-time SCEP challenge, API key required. Stored hashed, valid once, until it expires.
import { Type } from './schema.js';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from './app.js';
import { apiScope } from './api/scope.js';
import { DEFAULT_CHALLENGE_TTL_SECONDS } from '../pki/challenge.js';

const MAX_TTL_SECONDS = 30 * 86_400;

export function registerChallenge(app: FastifyInstance, deps: AppDeps): void {
  const challenges = deps.pki?.challenges;
  if (!challenges) return;
  apiScope(app, deps, (api) => {
    api.post(
      '/v1/challenge',
      {
        schema: {
          summary: 'Issue a one-time SCEP challenge',
          tags: ['Enrollment'],
          body: Type.Optional(
            Type.Object({
              ttl_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: MAX_TTL_SECONDS, description: `Validity, seconds (default ${DEFAULT_CHALLENGE_TTL_SECONDS})` })),
            }),
          ),
        },
      },
      async (req, reply) => {
        const { challenge, expiresAt } = await challenges.issue(req.body?.ttl_seconds ?? DEFAULT_CHALLENGE_TTL_SECONDS);
        // "string" is MicroMDM's name for the same value, so its tooling keeps working.
        return reply.code(200).send({ challenge, string: challenge, expires_at: expiresAt.toISOString() });
      },
    );
  });
}
