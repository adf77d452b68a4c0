// Push certificate and push log API:
//   PUT /v1/pushcert[?force=1]  NanoMDM's shape: body = PEM certificate + unencrypted key, concatenated;
//                               or the certificate alone (PEM or DER), matched to the pending push key
//                               or the current certificate's key; or a .p12 file (Content-Type
//                               application/x-pkcs12) with its password in the X-P12-Password header.
//                               Answers {topic, not_after, key}.
//   GET /v1/pushcert[?topic=]   {topic, not_after, days_left, updated_at, problem, pending_request}
//   POST /v1/pushcert/request   {email?, common_name?, country?, new_key?, mdmcert_download?}: make (or keep)
//                               the pending push key and answer its CSR
//   GET /v1/pushcert/request    the pending push key's state
//   POST /v1/pushcert/request/decrypt  body = mdmcert.download's emailed reply: the request to upload
//   GET /v1/enrollments/:id/pushes[?limit=]  every push attempt and its outcome, newest first
import { Type } from './schema.js';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from './app.js';
import { ApiError, apiScope, rawBody } from './api/scope.js';
import { PushCertError } from '../push/cert.js';
import { NoPendingRequest, PushCertService, TopicConflict, type PendingState } from '../push/pushcert-service.js';
import type { PushLogRecord } from '../storage/types.js';
import { csrPem } from '../pki/csr.js';

const DAY_MS = 86_400_000;

/** A refusal of the push certificate service as the API's {error} with its status. */
function apiError(err: unknown): unknown {
  if (!(err instanceof PushCertError)) return err;
  return new ApiError(err instanceof TopicConflict ? 409 : err instanceof NoPendingRequest ? 404 : 400, err.message);
}

async function answer<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw apiError(err);
  }
}

function pendingJson(s: PendingState | null): Record<string, unknown> | null {
  if (!s) return null;
  return {
    key_sha256: s.keySha256,
    created_at: s.pending.createdAt.toISOString(),
    email: s.pending.email,
    mdmcert_download: s.pending.exchange !== null,
    stored: s.where,
  };
}

function pushJson(p: PushLogRecord): Record<string, unknown> {
  return { id: p.id, at: p.at.toISOString(), outcome: p.outcome, http_status: p.httpStatus, apns_id: p.apnsId };
}

export function registerPush(app: FastifyInstance, deps: AppDeps): void {
  const service = new PushCertService({ store: deps.store, dataDir: deps.config.dataDir, pusher: deps.pusher });
  apiScope(
    app,
    deps,
    (api) => {
      api.put(
        '/v1/pushcert',
        {
          schema: {
            summary: 'Upload the APNs push certificate and key (NanoMDM: PEM cert + key concatenated; or a .p12)',
            tags: ['NanoMDM'],
            consumes: ['text/plain', 'application/x-pem-file', 'application/x-pkcs12'],
            querystring: Type.Object({
              force: Type.Optional(Type.String({ description: 'Any non-empty value: replace a certificate with a different topic' })),
            }),
          },
        },
        async (req) => {
          const header = req.headers['x-p12-password'];
          const upload = { body: rawBody(req.body), contentType: req.headers['content-type'], password: Array.isArray(header) ? header[0] : header };
          const { cert, key } = await answer(() => service.importCert(upload, Boolean(req.query.force)));
          req.log.info({ topic: cert.topic, notAfter: cert.notAfter, key }, 'push certificate imported');
          return { topic: cert.topic, not_after: cert.notAfter.toISOString(), key };
        },
      );

      api.post(
        '/v1/pushcert/request/decrypt',
        {
          schema: {
            summary: "Open mdmcert.download's emailed reply (hex text) with the pending request's exchange key: the request to upload at the portal",
            tags: ['Updraft'],
            consumes: ['text/plain', 'application/octet-stream'],
          },
        },
        async (req) => {
          const opened = await answer(() => service.decrypt(rawBody(req.body)));
          return { request: opened.text, digest: opened.request.digest, vendor: opened.request.chain[0]!.subject.replace(/\n/g, ', ') };
        },
      );
    },
    { raw: true },
  );

  apiScope(app, deps, (api) => {
    api.get(
      '/v1/pushcert',
      {
        schema: {
          summary: 'The push certificate: topic, expiry and any problem APNs reported',
          tags: ['NanoMDM'],
          querystring: Type.Object({ topic: Type.Optional(Type.String()) }),
        },
      },
      async (req) => {
        const [cert, pending] = await Promise.all([deps.store.getPushCert(), service.pendingState()]);
        if (!cert) {
          throw new ApiError(
            404,
            pending
              ? `no push certificate yet; a push key has been pending since ${pending.pending.createdAt.toISOString()}: upload the portal's certificate for it with PUT /v1/pushcert or \`updraft pushcert --cert FILE\``
              : 'no push certificate: upload one with PUT /v1/pushcert or `updraft pushcert`, or start with `updraft pushcert request`',
          );
        }
        if (req.query.topic && req.query.topic !== cert.topic) throw new ApiError(404, `no push certificate for topic ${req.query.topic}`, 'topic');
        const problem = deps.pusher.problem ?? null;
        return {
          topic: cert.topic,
          not_after: cert.notAfter.toISOString(),
          days_left: Math.floor((cert.notAfter.getTime() - Date.now()) / DAY_MS),
          updated_at: cert.updatedAt.toISOString(),
          problem: problem && { reason: problem.reason, at: problem.at.toISOString() },
          pending_request: pendingJson(pending),
        };
      },
    );

    api.post(
      '/v1/pushcert/request',
      {
        schema: {
          summary: 'Make the push key (kept by the server until its certificate is imported) or keep the pending one, and answer a CSR for it',
          tags: ['Updraft'],
          body: Type.Optional(
            Type.Object({
              email: Type.Optional(Type.String({ maxLength: 254, description: 'emailAddress of the CSR subject (mdmcert.download needs it)' })),
              common_name: Type.Optional(Type.String({ maxLength: 64 })),
              country: Type.Optional(Type.String({ description: 'two-letter country code' })),
              new_key: Type.Optional(Type.Boolean({ description: 'replace a pending key with a new one' })),
              mdmcert_download: Type.Optional(Type.Boolean({ description: 'also make the exchange certificate mdmcert.download encrypts its reply to' })),
            }),
          ),
        },
      },
      async (req) => {
        const b = req.body ?? {};
        const made = await answer(() =>
          service.request({ email: b.email, commonName: b.common_name, country: b.country, newKey: b.new_key, exchange: b.mdmcert_download }),
        );
        const state = await service.pendingState();
        return {
          csr: csrPem(made.csr),
          reused: made.reused,
          exchange_cert: made.pending.exchange?.certPem ?? null,
          pending_request: pendingJson(state),
        };
      },
    );

    api.get(
      '/v1/pushcert/request',
      { schema: { summary: "The pending push key's state (404 when none)", tags: ['Updraft'] } },
      async () => {
        const state = await service.pendingState();
        if (!state) throw new ApiError(404, 'no push key is pending: make one with POST /v1/pushcert/request or `updraft pushcert request`');
        return pendingJson(state);
      },
    );

    api.get(
      '/v1/enrollments/:id/pushes',
      {
        schema: {
          summary: 'Push attempts to one enrollment and what APNs answered, newest first',
          tags: ['Updraft'],
          params: Type.Object({ id: Type.String({ minLength: 1 }) }),
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) }),
        },
      },
      async (req) => {
        const e = await deps.store.getEnrollment(req.params.id);
        if (!e) throw new ApiError(404, `unknown enrollment: ${req.params.id}`, 'id');
        const pushes = await deps.store.listPushes(req.params.id, req.query.limit ?? 100);
        return { id: e.id, push_invalid_at: e.pushInvalidAt?.toISOString() ?? null, pushes: pushes.map(pushJson) };
      },
    );
  });
}
