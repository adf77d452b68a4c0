// Push certificate and push log API:
//   PUT /v1/pushcert[?force=1]  NanoMDM's shape: body = PEM certificate + unencrypted key, concatenated;
//                               or a .p12 file (Content-Type application/x-pkcs12) with its password
//                               in the X-P12-Password header. Answers {topic, not_after}.
//   GET /v1/pushcert[?topic=]   {topic, not_after, days_left, updated_at, problem}
//   GET /v1/enrollments/:id/pushes[?limit=]  every push attempt and its outcome, newest first
import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from './app.js';
import { ApiError, apiScope, rawBody } from './api/scope.js';
import { parsePushCertP12, parsePushCertPem, PushCertError, type PushCertificate } from '../push/cert.js';
import type { PushLogRecord } from '../storage/types.js';

const DAY_MS = 86_400_000;
const P12_TYPES = /^application\/(x-pkcs12|pkcs12|octet-stream)\b/i;

function parseUpload(body: Buffer, contentType: string | undefined, password: string | undefined): PushCertificate {
  if (body.length === 0) throw new PushCertError('empty body: send the PEM certificate and private key, or a .p12 file');
  const looksDer = body[0] === 0x30;
  if (looksDer || (contentType && P12_TYPES.test(contentType) && !body.includes('-----BEGIN'))) {
    return parsePushCertP12(body, password ?? '');
  }
  return parsePushCertPem(body.toString('utf8'));
}

function pushJson(p: PushLogRecord): Record<string, unknown> {
  return { id: p.id, at: p.at.toISOString(), outcome: p.outcome, http_status: p.httpStatus, apns_id: p.apnsId };
}

export function registerPush(app: FastifyInstance, deps: AppDeps): void {
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
        async (req, reply) => {
          const header = req.headers['x-p12-password'];
          let cert: PushCertificate;
          try {
            cert = parseUpload(rawBody(req.body), req.headers['content-type'], Array.isArray(header) ? header[0] : header);
          } catch (err) {
            if (err instanceof PushCertError) return reply.code(400).send({ error: err.message });
            throw err;
          }
          const current = await deps.store.getPushCert();
          if (current && current.topic !== cert.topic && !req.query.force) {
            return reply.code(409).send({
              error: `the new certificate's topic ${cert.topic} differs from the current ${current.topic}: devices enrolled under the current topic could no longer be woken. Renew with the same Apple ID, or add ?force=1 to replace it anyway`,
            });
          }
          await deps.store.savePushCert({ topic: cert.topic, certPem: cert.certPem, keyPem: cert.keyPem, notAfter: cert.notAfter }, new Date());
          await deps.pusher.reload?.();
          req.log.info({ topic: cert.topic, notAfter: cert.notAfter }, 'push certificate imported');
          return { topic: cert.topic, not_after: cert.notAfter.toISOString() };
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
        const cert = await deps.store.getPushCert();
        if (!cert) throw new ApiError(404, 'no push certificate: upload one with PUT /v1/pushcert or `updraft pushcert`');
        if (req.query.topic && req.query.topic !== cert.topic) throw new ApiError(404, `no push certificate for topic ${req.query.topic}`, 'topic');
        const problem = deps.pusher.problem ?? null;
        return {
          topic: cert.topic,
          not_after: cert.notAfter.toISOString(),
          days_left: Math.floor((cert.notAfter.getTime() - Date.now()) / DAY_MS),
          updated_at: cert.updatedAt.toISOString(),
          problem: problem && { reason: problem.reason, at: problem.at.toISOString() },
        };
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
