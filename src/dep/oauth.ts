// OAuth 1.0a with HMAC-SHA1 (RFC 5849), as Apple's /session takes it: signing on the client side,
// parsing and verifying on the fake DEP service's side.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** RFC 3986 percent-encoding (RFC 5849 §3.6): everything but unreserved characters. */
export const percentEncode = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

export interface OAuthCredentials {
  consumerKey: string;
  consumerSecret: string;
  token: string;
  tokenSecret: string;
}

/** The signature base string: METHOD & base URI & the sorted, encoded parameters (oauth_* and query). */
function baseString(method: string, url: URL, params: Array<[string, string]>): string {
  const all = [...params, ...[...url.searchParams.entries()]].map(([k, v]) => [percentEncode(k), percentEncode(v)] as const);
  all.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  const normalized = all.map(([k, v]) => `${k}=${v}`).join('&');
  const defaultPort = (url.protocol === 'http:' && url.port === '80') || (url.protocol === 'https:' && url.port === '443') || url.port === '';
  const base = `${url.protocol}//${url.hostname.toLowerCase()}${defaultPort ? '' : ':' + url.port}${url.pathname}`;
  return [method.toUpperCase(), percentEncode(base), percentEncode(normalized)].join('&');
}

function signature(method: string, url: URL, params: Array<[string, string]>, consumerSecret: string, tokenSecret: string): string {
  const key = `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
  return createHmac('sha1', key).update(baseString(method, url, params)).digest('base64');
}

/** The Authorization header value for a request. */
export function oauthHeader(
  method: string,
  url: string,
  creds: OAuthCredentials,
  opts: { now?: Date; nonce?: string; realm?: string } = {},
): string {
  const params: Array<[string, string]> = [
    ['oauth_consumer_key', creds.consumerKey],
    ['oauth_token', creds.token],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_timestamp', String(Math.floor((opts.now ?? new Date()).getTime() / 1000))],
    ['oauth_nonce', opts.nonce ?? randomBytes(16).toString('hex')],
    ['oauth_version', '1.0'],
  ];
  const sig = signature(method, new URL(url), params, creds.consumerSecret, creds.tokenSecret);
  const fields = [...(opts.realm ? [['realm', opts.realm]] : []), ...params, ['oauth_signature', sig]];
  return 'OAuth ' + fields.map(([k, v]) => `${k}="${percentEncode(v!)}"`).join(', ');
}

/** The parameters of an `Authorization: OAuth …` header, decoded; null when it is not one. */
export function parseOAuthHeader(header: string | undefined): Map<string, string> | null {
  if (!header || !/^OAuth\s/i.test(header)) return null;
  const out = new Map<string, string>();
  for (const m of header.slice(6).matchAll(/([A-Za-z0-9_]+)="([^"]*)"/g)) {
    try {
      if (out.has(m[1]!)) return null; // duplicated protocol parameter
      out.set(m[1]!, decodeURIComponent(m[2]!));
    } catch {
      return null;
    }
  }
  return out;
}

export type OAuthVerdict =
  | { ok: true; consumerKey: string; token: string; nonce: string; timestamp: number }
  /** 400: malformed or unsupported; 401: wrong key, token or signature. */
  | { ok: false; status: 400 | 401; reason: string };

/**
 * Checks a request's OAuth header against the secrets of its consumer key and token (looked up by the
 * caller through `secrets`; null for an unknown key or token).
 */
export function verifyOAuth(
  method: string,
  url: string,
  header: string | undefined,
  secrets: (consumerKey: string, token: string) => { consumerSecret: string; tokenSecret: string } | null,
): OAuthVerdict {
  const p = parseOAuthHeader(header);
  if (!p) return { ok: false, status: 400, reason: 'missing or malformed OAuth Authorization header' };
  for (const k of ['oauth_consumer_key', 'oauth_token', 'oauth_signature_method', 'oauth_signature', 'oauth_timestamp', 'oauth_nonce']) {
    if (!p.get(k)) return { ok: false, status: 400, reason: `missing ${k}` };
  }
  if (p.get('oauth_signature_method') !== 'HMAC-SHA1') return { ok: false, status: 400, reason: 'unsupported signature method' };
  const version = p.get('oauth_version');
  if (version !== undefined && version !== '1.0') return { ok: false, status: 400, reason: 'unsupported OAuth version' };
  const consumerKey = p.get('oauth_consumer_key')!;
  const token = p.get('oauth_token')!;
  const s = secrets(consumerKey, token);
  if (!s) return { ok: false, status: 401, reason: 'invalid consumer key or token' };
  const params = [...p.entries()].filter(([k]) => k !== 'oauth_signature' && k !== 'realm');
  const expected = Buffer.from(signature(method, new URL(url), params, s.consumerSecret, s.tokenSecret));
  const given = Buffer.from(p.get('oauth_signature')!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, status: 401, reason: 'invalid signature' };
  return { ok: true, consumerKey, token, nonce: p.get('oauth_nonce')!, timestamp: Number(p.get('oauth_timestamp')) };
}
