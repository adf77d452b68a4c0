// Dashboard sessions: signing in with an API key gives a session cookie (HttpOnly, SameSite=Strict,
// Secure when the request came over HTTPS), signed with a secret derived from the server's API key,
// so every server process sharing the key accepts it and changing the key ends every session;
// revoking the API key a session signed in with ends that session (checked on each request).
// The cookie carries the session id, the key's role and an expiry; each session has a CSRF token
// (an HMAC of its id) that every form carries. The sign-in form, before any session, uses a
// double-submit token: a random cookie echoed by the form.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { keyMatches } from '../http/api/auth.js';
import type { ApiRole } from '../storage/types-access.js';

/** What a signed-in key may do (the API key's role): read-only sees no button that changes anything. */
export type Role = ApiRole;

export interface Session {
  id: string;
  role: Role;
  /** Which key signed in: its id and name (shown, and written to the audit log with each change). */
  keyId: string;
  keyName: string;
  expiresAt: number;
  csrf: string;
}

/** The API keys sessions come from. */
export interface KeyAccess {
  /** A presented API key's id, role and name; null: not a live key of this server. */
  lookup(key: string): Promise<{ id: string; role: Role; name: string } | null>;
  /** Whether the key of this id is still live: a revoked key's sessions end with it. */
  live(id: string): Promise<boolean>;
}

/** Without a key store: the server's one API key, admin. */
export const singleKeyAccess = (apiKey: string): KeyAccess => ({
  lookup: async (key) => (keyMatches(key, apiKey) ? { id: 'default', role: 'admin', name: 'default' } : null),
  live: async (id) => id === 'default',
});

export const SESSION_COOKIE = 'updraft_session';
export const SIGNIN_COOKIE = 'updraft_signin';
const SESSION_MS = 12 * 3600_000;
const ROLES: readonly Role[] = ['admin', 'operator', 'read-only'];

const b64url = (b: Buffer): string => b.toString('base64url');

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Cookies of a request (the first of each name). */
export function cookies(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name && !(name in out)) {
      try {
        out[name] = decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        /* a malformed cookie is ignored */
      }
    }
  }
  return out;
}

/** Whether the request reached us over HTTPS (our own TLS, or a proxy that says so). */
export function overHttps(req: FastifyRequest): boolean {
  if (req.protocol === 'https') return true;
  const fwd = req.headers['x-forwarded-proto'];
  return (Array.isArray(fwd) ? fwd[0] : fwd)?.split(',')[0]?.trim().toLowerCase() === 'https';
}

function cookieText(req: FastifyRequest, name: string, value: string, maxAgeSeconds: number): string {
  return `${name}=${encodeURIComponent(value)}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${overHttps(req) ? '; Secure' : ''}`;
}

export class Sessions {
  private readonly secret: Buffer;
  /** Signed-out session ids until they would have expired (this process; the cookie is cleared too). */
  private readonly ended = new Map<string, number>();

  constructor(apiKey: string, private readonly keys: KeyAccess, private readonly now: () => number = Date.now) {
    this.secret = createHmac('sha256', 'updraft-ui-session').update(apiKey).digest();
  }

  private sign(text: string): string {
    return b64url(createHmac('sha256', this.secret).update(text).digest());
  }

  private csrfOf(id: string): string {
    return this.sign(`csrf\0${id}`);
  }

  /** Sign in: the cookie to set, or null for a key the server does not know. */
  async signIn(req: FastifyRequest, key: string): Promise<string | null> {
    const found = key ? await this.keys.lookup(key) : null;
    if (!found) return null;
    const payload = b64url(Buffer.from(JSON.stringify({ s: b64url(randomBytes(18)), r: found.role, i: found.id, k: found.name, e: this.now() + SESSION_MS })));
    return cookieText(req, SESSION_COOKIE, `${payload}.${this.sign(payload)}`, SESSION_MS / 1000);
  }

  /**
   * The request's session, or null (no cookie, forged, expired, signed out, or its key revoked since:
   * checked on every request, one primary-key read).
   */
  async read(req: FastifyRequest): Promise<Session | null> {
    const s = this.verify(req);
    return s && (await this.keys.live(s.keyId)) ? s : null;
  }

  /** The cookie's session if its signature, expiry and sign-out allow it. */
  private verify(req: FastifyRequest): Session | null {
    const value = cookies(req)[SESSION_COOKIE];
    if (!value) return null;
    const dot = value.indexOf('.');
    if (dot < 0 || !sameText(value.slice(dot + 1), this.sign(value.slice(0, dot)))) return null;
    let p: { s?: unknown; r?: unknown; i?: unknown; k?: unknown; e?: unknown };
    try {
      p = JSON.parse(Buffer.from(value.slice(0, dot), 'base64url').toString('utf8')) as typeof p;
    } catch {
      return null;
    }
    if (typeof p.s !== 'string' || typeof p.e !== 'number' || p.e <= this.now() || !ROLES.includes(p.r as Role) || this.ended.has(p.s)) return null;
    return { id: p.s, role: p.r as Role, keyId: typeof p.i === 'string' ? p.i : '', keyName: typeof p.k === 'string' ? p.k : '', expiresAt: p.e, csrf: this.csrfOf(p.s) };
  }

  /** Sign out: the session id stops being accepted here and the cookie is cleared. */
  signOut(req: FastifyRequest, session: Session): string {
    const now = this.now();
    for (const [id, until] of this.ended) if (until <= now) this.ended.delete(id);
    this.ended.set(session.id, session.expiresAt);
    return cookieText(req, SESSION_COOKIE, '', 0);
  }

  /** The sign-in form's token: the one the browser holds, or a new one with the cookie to set. */
  signinToken(req: FastifyRequest): { token: string; cookie: string | null } {
    const held = cookies(req)[SIGNIN_COOKIE];
    if (held && /^[A-Za-z0-9_-]{20,64}$/.test(held)) return { token: held, cookie: null };
    const token = b64url(randomBytes(24));
    return { token, cookie: cookieText(req, SIGNIN_COOKIE, token, 3600) };
  }

  /** Whether a sign-in POST carries the token its cookie holds. */
  signinTokenMatches(req: FastifyRequest, sent: string | undefined): boolean {
    const held = cookies(req)[SIGNIN_COOKIE];
    return Boolean(held && sent && sameText(held, sent));
  }

  static csrfMatches(session: Session, sent: string | undefined): boolean {
    return sent !== undefined && sameText(session.csrf, sent);
  }
}

/** The read-only role changes nothing. */
export const canChange = (s: Session): boolean => s.role !== 'read-only';

export function setCookie(reply: FastifyReply, cookie: string): void {
  const prev = reply.getHeader('set-cookie');
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev : [String(prev)];
  reply.header('set-cookie', [...list, cookie]);
}
