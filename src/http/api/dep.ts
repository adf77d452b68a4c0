// ADE (DEP) API, NanoDEP's shapes (its tools/*.sh run unchanged with `depserver:KEY`):
//   GET  /v1/tokenpki/{name}[?cn=&validity_days=]  a new staging key pair; the certificate as a PEM attachment
//   PUT  /v1/tokenpki/{name}[?force=1]             body = the .p7m from ABM: decrypted, made current; the tokens JSON
//   GET|PUT /v1/tokens/{name}[?force=1]            the OAuth tokens JSON
//   GET|PUT /v1/config/{name}                      {"base_url"}
//   GET|PUT /v1/assigner/{name}?profile_uuid=      {"profile_uuid"}
//   GET  /v1/maidjwt/{name}[?server_uuid=]         the MAID JWT (application/jwt), X-Server-Uuid, X-Jwt-Jti
// and Updraft's own: GET /v1/dep (every DEP name: token expiry, days left, warning), GET /v1/dep/{name}.
// Bad input answers 4xx with {error} where NanoDEP answers 500.
import { Type } from '../schema.js';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.js';
import { ApiError, apiScope, rawBody } from './scope.js';
import { DepTokenError } from '../../dep/tokenpki.js';
import { DepNames, depNameView } from '../../dep/service.js';
import { DepApiError } from '../../dep/errors.js';
import { maidJwt } from '../../dep/maidjwt.js';
import { depFailureStatus } from './dep-proxy.js';

const Name = Type.Object({ name: Type.String({ description: 'The DEP name (one MDM server in Apple Business/School Manager)' }) });
const Force = Type.Object({ force: Type.Optional(Type.String({ description: '"1": accept a token of another consumer key' })) });

async function answer<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DepTokenError) throw new ApiError(err.status, err.message);
    throw err;
  }
}

function jsonBody(body: unknown): unknown {
  const text = rawBody(body).toString('utf8');
  if (text.trim() === '') throw new ApiError(400, 'a JSON body is required');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, `body is not valid JSON: ${(err as Error).message}`);
  }
}

export function registerDep(app: FastifyInstance, deps: AppDeps): void {
  const names = new DepNames(deps.store, deps.clock);
  const now = () => (deps.clock ?? (() => new Date()))();
  apiScope(
    app,
    deps,
    (api) => {
      api.get(
        '/v1/tokenpki/:name',
        {
          schema: {
            summary: 'Make a new token key pair for a DEP name; answers the certificate (PEM) to upload to the MDM server in ABM',
            tags: ['NanoDEP'],
            params: Name,
            querystring: Type.Object({ cn: Type.Optional(Type.String()), validity_days: Type.Optional(Type.String()) }),
          },
        },
        async (req, reply) => {
          const days = req.query.validity_days;
          if (days !== undefined && days !== '' && !/^\d+$/.test(days)) throw new ApiError(400, 'validity_days must be a whole number of days', 'validity_days');
          const pem = await answer(() => names.tokenPki(req.params.name, { commonName: req.query.cn || undefined, validityDays: days ? Number(days) : undefined }));
          return reply
            .header('content-type', 'application/x-pem-file')
            .header('content-disposition', `attachment; filename="${req.params.name}.pem"`)
            .send(pem);
        },
      );

      api.put(
        '/v1/tokenpki/:name',
        {
          schema: {
            summary: 'Decrypt the server token (.p7m) downloaded from ABM with the DEP name\'s key pair and store its OAuth tokens',
            tags: ['NanoDEP'],
            params: Name,
            querystring: Force,
            consumes: ['application/pkcs7-mime', 'application/octet-stream', 'text/plain'],
          },
        },
        async (req) => {
          const tokens = await answer(() => names.decryptToken(req.params.name, rawBody(req.body), req.query.force === '1'));
          req.log.info({ dep: req.params.name, consumerKey: tokens.consumer_key, expiry: tokens.access_token_expiry }, 'DEP server token stored');
          return tokens;
        },
      );

      api.get('/v1/tokens/:name', { schema: { summary: 'The OAuth tokens of a DEP name', tags: ['NanoDEP'], params: Name } }, (req) =>
        answer(() => names.tokens(req.params.name)),
      );
      api.put(
        '/v1/tokens/:name',
        { schema: { summary: 'Store OAuth tokens (JSON) for a DEP name', tags: ['NanoDEP'], params: Name, querystring: Force, consumes: ['application/json'] } },
        (req) => answer(() => names.putTokens(req.params.name, jsonBody(req.body), req.query.force === '1')),
      );

      api.get('/v1/config/:name', { schema: { summary: 'A DEP name\'s config: {base_url}', tags: ['NanoDEP'], params: Name } }, (req) =>
        answer(() => names.config(req.params.name)),
      );
      api.put(
        '/v1/config/:name',
        { schema: { summary: 'Set a DEP name\'s config: {base_url} (a fake DEP service in tests)', tags: ['NanoDEP'], params: Name, consumes: ['application/json'] } },
        (req) => answer(() => names.putConfig(req.params.name, jsonBody(req.body))),
      );

      api.get('/v1/assigner/:name', { schema: { summary: 'The assigner\'s profile UUID for a DEP name', tags: ['NanoDEP'], params: Name } }, (req) =>
        answer(() => names.assigner(req.params.name)),
      );
      api.put(
        '/v1/assigner/:name',
        {
          schema: {
            summary: 'Set the profile UUID the assigner gives a DEP name\'s new devices',
            tags: ['NanoDEP'],
            params: Name,
            querystring: Type.Object({ profile_uuid: Type.Optional(Type.String()) }),
          },
        },
        (req) => answer(() => names.putAssigner(req.params.name, req.query.profile_uuid)),
      );

      api.get(
        '/v1/maidjwt/:name',
        {
          schema: {
            summary: 'A JWT for Managed Apple Account access management (the answer to a GetToken check-in of TokenServiceType com.apple.maid), signed with the DEP name\'s key pair',
            tags: ['NanoDEP'],
            params: Name,
            querystring: Type.Object({ server_uuid: Type.Optional(Type.String({ description: 'The MDM server UUID; without it the DEP account is asked' })) }),
          },
        },
        async (req, reply) => {
          try {
            const m = await answer(() => maidJwt(deps.store, req.params.name, { serverUuid: req.query.server_uuid || undefined, now: now() }));
            return reply.header('x-server-uuid', m.serverUuid).header('x-jwt-jti', m.jti).header('content-type', 'application/jwt').send(m.jwt);
          } catch (err) {
            if (!(err instanceof DepApiError)) throw err;
            return reply.code(depFailureStatus(err)).send({ error: err.message, code: err.code });
          }
        },
      );

      api.get('/v1/dep', { schema: { summary: 'Every DEP name: token expiry, days left and any warning, config, assigner', tags: ['Updraft'] } }, async () => ({
        dep_names: await names.list(),
      }));
      api.get('/v1/dep/:name', { schema: { summary: 'One DEP name: token expiry, days left and any warning, config, assigner', tags: ['Updraft'], params: Name } }, async (req) =>
        depNameView(await answer(() => names.get(req.params.name)), now()),
      );
    },
    { raw: true },
  );
}
