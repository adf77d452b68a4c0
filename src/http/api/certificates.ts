// Certificates the SCEP CA issued: GET /v1/certificates (newest first, optionally for one enrollment).
import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.js';
import type { IssuedCertificateRecord } from '../../storage/types-certs.js';
import { apiScope } from './scope.js';

export function certificateJson(c: IssuedCertificateRecord): Record<string, unknown> {
  return {
    serial: c.serial,
    subject: c.subject,
    not_before: c.notBefore.toISOString(),
    not_after: c.notAfter.toISOString(),
    sha256: c.sha256,
    transaction_id: c.transactionId,
    enrollment_id: c.enrollmentId,
    issued_at: c.issuedAt.toISOString(),
    revoked_at: c.revokedAt ? c.revokedAt.toISOString() : null,
  };
}

const ListQuery = Type.Object({
  enrollment_id: Type.Optional(Type.String({ minLength: 1, description: 'Only certificates for this enrollment (recorded at issue, or the one it authenticates with)' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
});

export function registerCertificates(app: FastifyInstance, deps: AppDeps): void {
  apiScope(app, deps, (api) => {
    api.get(
      '/v1/certificates',
      { schema: { summary: 'List certificates issued over SCEP', tags: ['Updraft'], querystring: ListQuery } },
      async (req) => {
        const limit = req.query.limit ?? 100;
        const offset = req.query.offset ?? 0;
        const rows = await deps.store.listCertificates({ enrollmentId: req.query.enrollment_id, limit, offset });
        return { certificates: rows.map(certificateJson), limit, offset };
      },
    );
  });
}
