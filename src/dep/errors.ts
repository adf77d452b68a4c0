// Apple's Device Assignment Services errors as data: each documented code with what Updraft does
// about it and, for the ones an admin must act on, what to do. DepApiError carries the verdict.
import type { DepErrorAction, DepErrorInfo } from './types.js';

interface Known {
  action: DepErrorAction;
  message: string;
}

const ABM = 'Apple Business Manager (business.apple.com) or Apple School Manager (school.apple.com)';
const NEW_TOKEN = `in ${ABM} open Preferences → the MDM server → Download Token, then run \`updraft dep token NAME FILE\``;

/** Codes from response bodies (and the names Updraft gives its own failures), with their action. */
export const DEP_ERRORS: Record<string, Known> = {
  // Authentication (/session and every request)
  T_C_NOT_SIGNED: { action: 'admin', message: `the organization has not accepted the latest terms and conditions: an administrator must sign in to ${ABM} and accept them; ADE requests fail until then` },
  ACCESS_DENIED: { action: 'admin', message: `Apple denied this MDM server access to the request: check in ${ABM} that the MDM server still exists and that this token is its current one` },
  TOKEN_EXPIRED: { action: 'admin', message: `the server token expired: ${NEW_TOKEN}` },
  TOKEN_REJECTED: { action: 'admin', message: `Apple rejected the server token (OAuth 401 at /session: replaced, revoked or for another server): ${NEW_TOKEN}` },
  OAUTH_BAD_REQUEST: { action: 'admin', message: 'Apple refused the OAuth request as malformed (400 at /session): the token is damaged; load it again' },
  NO_TOKENS: { action: 'admin', message: 'this DEP name has no server token yet: run `updraft dep tokenpki NAME`, upload the certificate to the MDM server in ABM, download its token and run `updraft dep token NAME FILE`' },
  UNAUTHORIZED: { action: 'reauthenticate', message: 'the DEP session is not valid (expired or unknown): a new one is needed' },
  FORBIDDEN: { action: 'reauthenticate', message: 'the DEP session has expired: a new one is needed' },
  // Cursors (fetch and sync)
  EXPIRED_CURSOR: { action: 'refetch', message: 'the sync cursor is older than Apple keeps (7 days): fetching every device again' },
  INVALID_CURSOR: { action: 'refetch', message: 'Apple does not know the sync cursor: fetching every device again' },
  CURSOR_REQUIRED: { action: 'refetch', message: 'sync needs a cursor from a fetch: fetching every device first' },
  // Request contents
  MALFORMED_REQUEST_BODY: { action: 'input', message: 'Apple could not read the request body' },
  DEVICE_ID_REQUIRED: { action: 'input', message: 'the request names no device serial' },
  PROFILE_UUID_REQUIRED: { action: 'input', message: 'the request names no profile_uuid' },
  CONFIG_URL_REQUIRED: { action: 'input', message: 'the profile has no url (the enrollment URL devices post their MachineInfo to)' },
  CONFIG_NAME_REQUIRED: { action: 'input', message: 'the profile has no profile_name' },
  URL_INVALID: { action: 'input', message: 'the profile url is not a valid https URL' },
  FLAGS_INVALID: { action: 'input', message: 'the profile flags are inconsistent (is_supervised, allow_pairing, is_mandatory, is_mdm_removable)' },
  CONFIG_INVALID: { action: 'input', message: 'Apple refused the profile as invalid' },
  DEPARTMENT_INVALID: { action: 'input', message: 'the profile department is invalid (too long?)' },
  SUPPORT_PHONE_INVALID: { action: 'input', message: 'the profile support_phone_number is invalid' },
  SUPPORT_EMAIL_INVALID: { action: 'input', message: 'the profile support_email_address is invalid' },
  MAGIC_INVALID: { action: 'input', message: 'the profile org_magic is invalid' },
  LANGUAGE_INVALID: { action: 'input', message: 'the profile language is not an ISO 639-1 code' },
  REGION_INVALID: { action: 'input', message: 'the profile region is not an ISO 3166-1 code' },
  ANCHOR_CERTIFICATE_INVALID: { action: 'input', message: 'an anchor_certs entry is not a base64 DER certificate' },
  SUPERVISING_CERTIFICATE_INVALID: { action: 'input', message: 'a supervising_host_certs entry is not a base64 DER certificate' },
  SKIP_SETUP_ITEMS_INVALID: { action: 'input', message: 'skip_setup_items holds an unknown item' },
  DEVICE_LIMIT_EXCEEDED: { action: 'input', message: 'too many devices in one request (Apple takes at most 1000)' },
  LIMIT_INVALID: { action: 'input', message: 'the limit is out of range (1 to 1000)' },
  NOT_FOUND: { action: 'input', message: 'Apple does not know this resource (a profile UUID or serial of another organization?)' },
  PROFILE_NOT_FOUND: { action: 'input', message: 'Apple does not know this profile UUID' },
  METHOD_NOT_ALLOWED: { action: 'input', message: 'Apple does not take this HTTP method on this path' },
  // Transient
  TOO_MANY_REQUESTS: { action: 'retry', message: 'Apple is rate limiting this MDM server (429): backing off' },
  SERVICE_UNAVAILABLE: { action: 'retry', message: 'the DEP service is unavailable (503): backing off' },
  SERVER_ERROR: { action: 'retry', message: 'the DEP service failed (5xx): trying again later' },
  UNREACHABLE: { action: 'retry', message: 'the DEP service could not be reached' },
  BAD_RESPONSE: { action: 'retry', message: 'the DEP service answered something that is not the JSON Apple documents (HTML or garbage)' },
};

export class DepApiError extends Error implements DepErrorInfo {
  readonly status: number;
  readonly code: string;
  readonly action: DepErrorAction;
  readonly retryAfterMs?: number;
  constructor(info: DepErrorInfo) {
    super(info.message);
    this.name = 'DepApiError';
    this.status = info.status;
    this.code = info.code;
    this.action = info.action;
    if (info.retryAfterMs !== undefined) this.retryAfterMs = info.retryAfterMs;
  }
  toJSON(): DepErrorInfo {
    return { status: this.status, code: this.code, action: this.action, message: this.message, ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}) };
  }
}

/** The error code in an Apple error body: plain text ("EXPIRED_CURSOR") or JSON ({code} / {error}). */
export function errorCode(body: string): string | null {
  const text = body.trim();
  if (text.startsWith('{')) {
    try {
      const j = JSON.parse(text) as { code?: unknown; error?: unknown };
      const c = typeof j.code === 'string' ? j.code : typeof j.error === 'string' ? j.error : null;
      if (c) return c;
    } catch {
      // not JSON after all
    }
  }
  const m = /^[A-Z][A-Z0-9_]{2,}/.exec(text);
  if (m) return m[0];
  if (/token_rejected|token_expired|oauth_problem/i.test(text)) return 'TOKEN_REJECTED';
  return null;
}

const STATUS_CODES: Record<number, string> = { 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED', 429: 'TOO_MANY_REQUESTS', 503: 'SERVICE_UNAVAILABLE' };

/** Milliseconds a Retry-After header asks for (seconds or an HTTP date), or undefined. */
export function retryAfterMs(value: string | null | undefined, now = new Date()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now.getTime());
}

/** The verdict on a failed answer from a DEP endpoint (not /session: see sessionError). */
export function depError(status: number, body: string, opts: { retryAfter?: string | null; name?: string; path?: string; now?: Date } = {}): DepApiError {
  let code = errorCode(body) ?? STATUS_CODES[status] ?? (status >= 500 ? 'SERVER_ERROR' : `HTTP_${status}`);
  // 403 with no recognised code is the expired session Apple answers as FORBIDDEN.
  if (status === 403 && !DEP_ERRORS[code]) code = 'FORBIDDEN';
  if (status >= 500 && status !== 503 && !DEP_ERRORS[code]) code = 'SERVER_ERROR';
  if (status === 503) code = 'SERVICE_UNAVAILABLE';
  if (status === 429) code = 'TOO_MANY_REQUESTS';
  const known = DEP_ERRORS[code];
  const where = `${opts.name ? `DEP name ${opts.name}` : 'DEP'}${opts.path ? ` ${opts.path}` : ''}`;
  const detail = known ? known.message : `Apple answered ${status}${body.trim() ? `: ${body.trim().slice(0, 200)}` : ''}`;
  return new DepApiError({
    status,
    code,
    action: known?.action ?? (status >= 500 ? 'retry' : 'input'),
    message: `${where}: ${detail}`.replaceAll('NAME', opts.name ?? 'NAME'),
    retryAfterMs: retryAfterMs(opts.retryAfter, opts.now),
  });
}

/** The verdict on a failed GET /session (401 there is the token, not the session). */
export function sessionError(status: number, body: string, opts: { retryAfter?: string | null; name?: string; expired?: boolean; now?: Date } = {}): DepApiError {
  const fromBody = errorCode(body);
  let code: string;
  if (fromBody === 'T_C_NOT_SIGNED' || fromBody === 'ACCESS_DENIED') code = fromBody;
  else if (status === 401 || fromBody === 'TOKEN_REJECTED') code = opts.expired ? 'TOKEN_EXPIRED' : 'TOKEN_REJECTED';
  else if (status === 400) code = 'OAUTH_BAD_REQUEST';
  else if (status === 403) code = 'ACCESS_DENIED';
  else return depError(status, body, { ...opts, path: '/session' });
  const known = DEP_ERRORS[code]!;
  return new DepApiError({
    status,
    code,
    action: known.action,
    message: `DEP name ${opts.name ?? '?'} /session: ${known.message}`.replaceAll('NAME', opts.name ?? 'NAME'),
  });
}

/** An Updraft-side failure with a known code (NO_TOKENS, TOKEN_EXPIRED, UNREACHABLE, BAD_RESPONSE). */
export function localError(code: keyof typeof DEP_ERRORS, name: string, extra = ''): DepApiError {
  const known = DEP_ERRORS[code]!;
  return new DepApiError({ status: 0, code, action: known.action, message: `DEP name ${name}: ${known.message}${extra}`.replaceAll('NAME', name) });
}
