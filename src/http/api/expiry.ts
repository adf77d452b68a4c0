// Per-command options shared by the enqueue routes: priority and expiry (expires_in seconds or expires_at).
import type { Static } from 'typebox';
import { Type } from '../schema.js';
import { ApiError } from './scope.js';

export const ExpiryQuery = Type.Object({
  priority: Type.Optional(Type.Integer({ description: 'Higher is sent first (default 0)', minimum: -1000, maximum: 1000 })),
  expires_in: Type.Optional(Type.Integer({ description: 'Seconds after which the command is dropped if not yet sent', minimum: 1 })),
  expires_at: Type.Optional(Type.String({ description: 'RFC 3339 time after which the command is dropped if not yet sent' })),
});

export type ExpiryOptions = Static<typeof ExpiryQuery>;

export function expiryFrom(q: ExpiryOptions, now = new Date()): { priority: number; expiresAt: Date | null } {
  if (q.expires_in !== undefined && q.expires_at !== undefined) throw new ApiError(400, 'give expires_in or expires_at, not both', 'expires_at');
  let expiresAt: Date | null = null;
  if (q.expires_in !== undefined) expiresAt = new Date(now.getTime() + q.expires_in * 1000);
  if (q.expires_at !== undefined) {
    const t = Date.parse(q.expires_at);
    if (Number.isNaN(t)) throw new ApiError(400, `expires_at is not an RFC 3339 time: ${JSON.stringify(q.expires_at)}`, 'expires_at');
    if (t <= now.getTime()) throw new ApiError(400, 'expires_at is in the past', 'expires_at');
    expiresAt = new Date(t);
  }
  return { priority: q.priority ?? 0, expiresAt };
}
