// API authentication for /v1: HTTP Basic with the API key as the password (any user name, so
// "micromdm:KEY" and "nanomdm:KEY" both work) or "Authorization: Bearer KEY".
// Only for the API: MDM routes must never answer 401 (it unenrolls devices).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

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

/** A fastify preHandler that answers 401 unless the request carries the API key. */
export function requireApiKey(apiKey: string) {
  return async function apiKeyPreHandler(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const presented = presentedKey(req.headers.authorization);
    if (keyMatches(presented, apiKey)) return;
    reply
      .code(401)
      .header('www-authenticate', 'Basic realm="updraft", charset="UTF-8"')
      .send({ error: presented === null ? 'missing API key (HTTP Basic password or Bearer token)' : 'wrong API key' });
  };
}
