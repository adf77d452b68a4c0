// API authentication for /v1: HTTP Basic with an API key as the password (any user name, so
// "micromdm:KEY" and "nanomdm:KEY" both work) or "Authorization: Bearer KEY". The key of --api-key /
// data/api-key is admin; others are created with `updraft apikey create --role …` and stored hashed.
// The role a route needs comes from the table in roles.ts: 401 without a valid key, 403 with a reason
// when the key's role is not enough.
// Only for the API: MDM routes must never answer 401 (it unenrolls devices).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccessStore, ApiRole } from '../../storage/types-access.js';
import { accessOf, allows, roleFor } from './roles.js';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** How a key is stored: SHA-256 of the key, lower-case hex (keys are 256 random bits, so no salt or stretching is needed). */
export const hashApiKey = (key: string): string => digest(key).toString('hex');

/** A new API key: 32 random bytes, base64url, with a prefix that tells it apart in logs and secret scanners. */
export const newApiKey = (): string => 'updraft_' + randomBytes(32).toString('base64url');

/** A short public id for a key record. */
export const newApiKeyId = (): string => randomBytes(6).toString('hex');

/** The key a request was authenticated with (set by the API's onRequest hook). */
export interface ApiPrincipal {
  id: string;
  name: string;
  role: ApiRole;
}

/** The key of --api-key / data/api-key: always admin. */
export const DEFAULT_PRINCIPAL: ApiPrincipal = { id: 'default', name: 'default', role: 'admin' };

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key the request carried, once authenticated; null otherwise. */
    apiPrincipal: ApiPrincipal | null;
  }
}

/** The key presented in an Authorization header, or null when there is none or it is malformed. */
export function presentedKey(header: string | undefined): string | null {
  if (!header) return null;
  const space = header.indexOf(' ');
  if (space < 0) return null;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return value || null;
  if (scheme !== 'basic') return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : decoded.slice(colon + 1);
}

/** Constant-time check of a presented key against the configured one (both hashed to equal length). */
export function keyMatches(presented: string | null, apiKey: string): boolean {
  if (presented === null || apiKey === '') return false;
  return timingSafeEqual(digest(presented), digest(apiKey));
}

/** The principal of a presented key: the configured key, else a stored key not revoked; else a reason. */
export async function resolveKey(presented: string | null, apiKey: string, store: Pick<AccessStore, 'apiKeyByHash'>): Promise<ApiPrincipal | string> {
  if (presented === null) return 'missing API key (HTTP Basic password or Bearer token)';
  if (keyMatches(presented, apiKey)) return DEFAULT_PRINCIPAL;
  const hash = hashApiKey(presented);
  const record = await store.apiKeyByHash(hash);
  // The lookup is by hash; the compare below is constant-time all the same.
  if (!record || !timingSafeEqual(Buffer.from(record.hash, 'hex'), Buffer.from(hash, 'hex'))) return 'wrong API key';
  if (record.revokedAt) return 'API key revoked';
  return { id: record.id, name: record.name, role: record.role };
}

function unauthorized(reply: FastifyReply, reason: string): void {
  reply.code(401).header('www-authenticate', 'Basic realm="updraft", charset="UTF-8"').send({ error: reason });
}

/** A fastify onRequest hook: 401 unless the request carries a valid key, 403 unless its role may call the route. */
export function requireApiKey(apiKey: string, store: Pick<AccessStore, 'apiKeyByHash'>) {
  return async function apiKeyHook(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const principal = await resolveKey(presentedKey(req.headers.authorization), apiKey, store);
    if (typeof principal === 'string') return unauthorized(reply, principal);
    req.apiPrincipal = principal;
    const access = accessOf(req.method, req.routeOptions.url ?? req.url);
    if (allows(principal.role, access)) return;
    const need = roleFor(access);
    reply.code(403).send({
      error: `the ${principal.role} key "${principal.name}" may not ${req.method} ${req.routeOptions.url}: it needs an ${need === 'admin' ? 'admin' : `${need} or admin`} key`,
      role: principal.role,
      required: need,
    });
  };
}

/**
 * For sign-ins outside /v1 such as the dashboard's: a key → {id, role, name} lookup (null: not a live
 * key of this server), and whether the key of that id is still live (the configured key always is).
 */
export function apiKeyAccess(apiKey: string, store: Pick<AccessStore, 'apiKeyByHash' | 'apiKeyLive'>) {
  return {
    async lookup(key: string): Promise<{ id: string; role: ApiRole; name: string } | null> {
      const p = await resolveKey(key, apiKey, store);
      return typeof p === 'string' ? null : { id: p.id, role: p.role, name: p.name };
    },
    live: async (id: string): Promise<boolean> => id === DEFAULT_PRINCIPAL.id || store.apiKeyLive(id),
  };
}
