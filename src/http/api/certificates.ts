// Certificates the SCEP CA issued: GET /v1/certificates (newest first, optionally for one enrollment),
// GET /v1/certificates/{serial}, and POST /v1/certificates/{serial}/revoke (MDM requests identified by
// a revoked certificate are refused from then on, on every server process: see identity/revocation.ts).
import { Type } from '../schema.js';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.js';
import type { IssuedCertificateRecord } from '../../storage/types-certs.js';
import { noteRevoked } from '../../identity/revocation.js';
import { ApiError, apiScope } from './scope.js';

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

const SerialParams = Type.Object({
  serial: Type.String({ minLength: 1, maxLength: 100, description: 'Serial number in hex, as listed (case, colons and leading zero bytes do not matter)' }),
});

/** The serial as the record keeps it: upper-case hex without colons or leading zero bytes. */
export function normalizeSerial(input: string): string | null {
  let hex = input.replace(/:/g, '').toUpperCase();
  if (!/^[0-9A-F]+$/.test(hex)) return null;
  if (hex.length % 2 === 1) hex = '0' + hex;
  return hex.replace(/^(00)+/, '') || '00';
}

function serialOf(raw: string): string {
  const serial = normalizeSerial(raw);
  if (serial === null) throw new ApiError(400, `serial must be hexadecimal, got ${JSON.stringify(raw)}`, 'serial');
  return serial;
}

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
    api.get(
      '/v1/certificates/:serial',
      { schema: { summary: 'Show one certificate issued over SCEP', tags: ['Updraft'], params: SerialParams } },
      async (req) => {
        const cert = await deps.store.certificateBySerial(serialOf(req.params.serial));
        if (!cert) throw new ApiError(404, `no certificate with serial ${req.params.serial} was issued by this CA`, 'serial');
        return certificateJson(cert);
      },
    );
    api.post(
      '/v1/certificates/:serial/revoke',
      {
        schema: {
          summary: 'Revoke a certificate issued over SCEP',
          description: 'Sets revoked_at (a second call keeps the first time). MDM requests identified by the certificate are then refused with 400, and it cannot sign a RenewalReq.',
          tags: ['Updraft'],
          params: SerialParams,
        },
      },
      async (req) => {
        const serial = serialOf(req.params.serial);
        const cert = await deps.store.revokeCertificate(serial, new Date());
        if (!cert) throw new ApiError(404, `no certificate with serial ${req.params.serial} was issued by this CA`, 'serial');
        noteRevoked(deps.store, cert.sha256);
        req.log.info({ serial, sha256: cert.sha256, enrollment: cert.enrollmentId, revokedAt: cert.revokedAt }, 'certificate revoked');
        return certificateJson(cert);
      },
    );
  });
}
