// Updraft's enrollment API: list enrollments (filter by platform, OS version, last seen, type) and get one.
import { Type } from '../schema.js';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.js';
import type { EnrollmentRecord } from '../../storage/types.js';
import { ApiError, apiScope } from './scope.js';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** An enrollment as the API shows it (secrets such as PushMagic and UnlockToken are left out). */
export function enrollmentJson(e: EnrollmentRecord): Record<string, unknown> {
  return {
    id: e.id,
    type: e.type,
    device_id: e.deviceId,
    udid: e.udid,
    user_id: e.userId,
    user_short_name: e.userShortName,
    user_long_name: e.userLongName,
    serial_number: e.serialNumber,
    platform: e.platform,
    os_version: e.osVersion,
    build_version: e.buildVersion,
    model: e.model,
    model_name: e.modelName,
    product_name: e.productName,
    device_name: e.deviceName,
    imei: e.imei,
    meid: e.meid,
    topic: e.topic,
    enabled: e.enabled,
    push_token_set: e.pushToken !== null,
    push_invalid_at: iso(e.pushInvalidAt),
    token_update_tally: e.tokenUpdateTally,
    awaiting_configuration: e.awaitingConfiguration,
    cert_hash: e.certHash,
    last_seen_at: iso(e.lastSeenAt),
    created_at: iso(e.createdAt),
    updated_at: iso(e.updatedAt),
  };
}

const Platform = Type.Enum(['macOS', 'iOS', 'iPadOS', 'tvOS', 'watchOS', 'visionOS']);
const EnrollmentType = Type.Enum(['Device', 'User', 'SharediPad', 'UserEnrollmentDevice', 'UserEnrollment']);

const ListQuery = Type.Object({
  platform: Type.Optional(Platform),
  os_version: Type.Optional(Type.String({ description: 'Exact version, or a prefix ending in "." (e.g. "14.")', minLength: 1 })),
  seen_since: Type.Optional(Type.String({ description: 'RFC 3339 time, or a duration back from now such as 24h or 7d' })),
  seen_before: Type.Optional(Type.String({ description: 'RFC 3339 time, or a duration back from now such as 30d' })),
  type: Type.Optional(EnrollmentType),
  enabled: Type.Optional(Type.Boolean()),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
});

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 };

/** An RFC 3339 time or a duration back from `now` (30m, 24h, 7d). */
export function timeParam(value: string | undefined, field: string, now = new Date()): Date | undefined {
  if (value === undefined) return undefined;
  const m = DURATION.exec(value);
  if (m) return new Date(now.getTime() - Number(m[1]) * UNIT_MS[m[2]!]!);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new ApiError(400, `${field} must be an RFC 3339 time or a duration like 24h or 7d`, field);
  return new Date(t);
}

export function registerEnrollments(app: FastifyInstance, deps: AppDeps): void {
  apiScope(app, deps, (api) => {
    api.get(
      '/v1/enrollments',
      { schema: { summary: 'List enrollments', tags: ['Updraft'], querystring: ListQuery } },
      async (req) => {
        const q = req.query;
        const limit = q.limit ?? 100;
        const offset = q.offset ?? 0;
        const rows = await deps.store.listEnrollments({
          platform: q.platform,
          osVersion: q.os_version,
          seenSince: timeParam(q.seen_since, 'seen_since'),
          seenBefore: timeParam(q.seen_before, 'seen_before'),
          type: q.type,
          enabled: q.enabled,
          limit,
          offset,
        });
        return { enrollments: rows.map(enrollmentJson), limit, offset };
      },
    );

    api.get(
      '/v1/enrollments/:id',
      { schema: { summary: 'Get one enrollment', tags: ['Updraft'], params: Type.Object({ id: Type.String({ minLength: 1 }) }) } },
      async (req) => {
        const e = await deps.store.getEnrollment(req.params.id);
        if (!e) throw new ApiError(404, `unknown enrollment: ${req.params.id}`, 'id');
        return enrollmentJson(e);
      },
    );
  });
}
