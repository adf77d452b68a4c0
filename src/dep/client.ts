// The DEP API client of one DEP name: an OAuth 1.0a signed GET /session for the X-ADM-Auth-Session
// token (kept in the store so every process shares it), X-Server-Protocol-Version on every request,
// a new session and one replay (with the body) on 401 or 403 FORBIDDEN, a session token the service
// rotates adopted, and backoff on 429/503 (Retry-After honoured, capped).
import type { DepStore } from '../storage/types-dep.js';
import { DepApiError, depError, localError, retryAfterMs, sessionError } from './errors.js';
import { oauthHeader } from './oauth.js';
import {
  DEFAULT_DEP_BASE_URL,
  DEP_PROTOCOL_HEADER,
  DEP_PROTOCOL_VERSION,
  DEP_SESSION_HEADER,
  type DepClient,
  type DepName,
  type RawDepRequest,
  type RawDepResponse,
} from './types.js';

export interface DepClientOptions {
  store: Pick<DepStore, 'getDepName' | 'saveDepSession'>;
  fetch?: typeof fetch;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Attempts after a 429, 503, 5xx or unreachable service (default 3; 0: answer them at once). */
  retries?: number;
  /** Backoff when Apple gives no Retry-After: base × 2^attempt (default 1000 ms). */
  backoffMs?: number;
  /** Longest single wait, whatever Retry-After says (default 60 s). */
  maxWaitMs?: number;
  timeoutMs?: number;
  userAgent?: string;
}

const JSON_TYPE = 'application/json;charset=UTF8';

/** base_url + Apple path, whatever slashes either has. */
export function depUrl(baseUrl: string | null, path: string): string {
  return (baseUrl || DEFAULT_DEP_BASE_URL).replace(/\/+$/, '') + '/' + path.replace(/^\/+/, '');
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function depClient(name: string, opts: DepClientOptions): DepClient {
  const doFetch = opts.fetch ?? fetch;
  const now = opts.now ?? (() => new Date());
  const sleep = opts.sleep ?? sleepFor;
  const retries = opts.retries ?? 3;
  const backoffMs = opts.backoffMs ?? 1000;
  const maxWaitMs = opts.maxWaitMs ?? 60_000;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const userAgent = opts.userAgent ?? 'updraft-dep/1';

  async function load(): Promise<DepName & { tokens: NonNullable<DepName['tokens']> }> {
    const dep = await opts.store.getDepName(name);
    if (!dep?.tokens) throw localError('NO_TOKENS', name);
    return dep as DepName & { tokens: NonNullable<DepName['tokens']> };
  }

  async function send(url: string, init: { method: string; headers: Record<string, string>; body?: Buffer }): Promise<Response> {
    try {
      return await doFetch(url, {
        method: init.method,
        headers: init.headers,
        body: init.body && init.body.length > 0 ? init.body : undefined,
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'manual',
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw localError('UNREACHABLE', name, ` at ${url} (${cause})`);
    }
  }

  /** GET /session: a new session token, saved for every process. */
  async function authenticate(dep: Awaited<ReturnType<typeof load>>, agent: string): Promise<string> {
    const t = dep.tokens;
    const expiry = Date.parse(t.access_token_expiry);
    const expired = !Number.isNaN(expiry) && expiry <= now().getTime();
    if (expired) throw localError('TOKEN_EXPIRED', name, ` (it expired on ${new Date(expiry).toISOString()})`);
    const url = depUrl(dep.baseUrl, '/session');
    const res = await send(url, {
      method: 'GET',
      headers: {
        authorization: oauthHeader('GET', url, { consumerKey: t.consumer_key, consumerSecret: t.consumer_secret, token: t.access_token, tokenSecret: t.access_secret }, { now: now(), realm: 'ADM' }),
        'content-type': JSON_TYPE,
        'user-agent': agent,
        [DEP_PROTOCOL_HEADER]: DEP_PROTOCOL_VERSION,
      },
    });
    const text = await res.text();
    if (res.status !== 200) throw sessionError(res.status, text, { name, expired, retryAfter: res.headers.get('retry-after'), now: now() });
    let token: unknown;
    try {
      token = (JSON.parse(text) as { auth_session_token?: unknown }).auth_session_token;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string' || token === '') throw localError('BAD_RESPONSE', name, ` (/session answered no auth_session_token: ${text.slice(0, 120)})`);
    await opts.store.saveDepSession(name, token, now());
    made = { token, generation: made.generation + 1 };
    return token;
  }

  /** One /session at a time per client: concurrent requests needing a session share it. */
  let authenticating: Promise<string> | null = null;
  /** The last session this client made, and how many it has made. */
  let made: { token: string | null; generation: number } = { token: null, generation: 0 };
  function newSession(dep: Awaited<ReturnType<typeof load>>, agent: string): Promise<string> {
    authenticating ??= authenticate(dep, agent).finally(() => (authenticating = null));
    return authenticating;
  }

  /**
   * After a refusal of `used` (sent when this client had made `generation` sessions): a session this
   * client made since, or one another process stored meanwhile, else a new one. Checked again after
   * reading the store, which may answer from before a session made meanwhile was saved.
   */
  async function replacement(used: string, generation: number, agent: string): Promise<string> {
    const since = () => (made.generation > generation && made.token && made.token !== used ? made.token : null);
    if (since()) return since()!;
    const dep = await load();
    if (dep.sessionToken && dep.sessionToken !== used) return dep.sessionToken;
    return since() ?? newSession(dep, agent);
  }

  /** One request with session handling (no backoff). */
  async function once(req: RawDepRequest): Promise<RawDepResponse> {
    const generation = made.generation;
    const dep = await load();
    const agent = req.headers?.['user-agent'] ?? userAgent;
    // The store may answer from before a session this client made meanwhile was saved: use that one.
    const madeSince = made.generation > generation ? made.token : null;
    let session = dep.sessionToken ?? madeSince ?? (await newSession(dep, agent));
    const url = depUrl(dep.baseUrl, req.path);
    const headersFor = (s: string): Record<string, string> => ({
      'content-type': JSON_TYPE,
      accept: 'application/json',
      'user-agent': agent,
      ...req.headers,
      [DEP_PROTOCOL_HEADER]: req.headers?.[DEP_PROTOCOL_HEADER.toLowerCase()] ?? DEP_PROTOCOL_VERSION,
      [DEP_SESSION_HEADER]: s,
    });
    let res = await send(url, { method: req.method, headers: headersFor(session), body: req.body });
    let body = Buffer.from(await res.arrayBuffer());
    const forbidden = res.status === 403 && body.includes('FORBIDDEN');
    if (res.status === 401 || forbidden) {
      session = await replacement(session, generation, agent);
      res = await send(url, { method: req.method, headers: headersFor(session), body: req.body });
      body = Buffer.from(await res.arrayBuffer());
    }
    const rotated = res.headers.get(DEP_SESSION_HEADER);
    if (rotated && rotated !== session) await opts.store.saveDepSession(name, rotated, now());
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    return { status: res.status, headers, body };
  }

  /** With backoff on 429, 503, 5xx and unreachable. */
  async function withBackoff(req: RawDepRequest): Promise<RawDepResponse> {
    for (let attempt = 0; ; attempt++) {
      let res: RawDepResponse | null = null;
      let wait: number | undefined;
      try {
        res = await once(req);
        if (res.status !== 429 && res.status < 500) return res;
        wait = retryAfterMs(res.headers['retry-after'], now());
      } catch (err) {
        if (!(err instanceof DepApiError) || err.action !== 'retry') throw err;
        if (attempt >= retries) throw err;
        wait = err.retryAfterMs;
      }
      if (attempt >= retries) return res!;
      await sleep(Math.min(maxWaitMs, wait ?? backoffMs * 2 ** attempt));
    }
  }

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await withBackoff({ method, path, body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)) });
    const text = res.body.toString('utf8');
    if (res.status < 200 || res.status > 299) throw depError(res.status, text, { name, path: path.replace(/\?.*/, ''), retryAfter: res.headers['retry-after'], now: now() });
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed === null || typeof parsed !== 'object') throw new Error('not an object');
      return parsed as T;
    } catch {
      throw localError('BAD_RESPONSE', name, ` (${method} ${path.replace(/\?.*/, '')} answered ${res.status} ${res.headers['content-type'] ?? ''}: ${text.slice(0, 120)})`);
    }
  }

  const devicesBody = (serials: string[]) => ({ devices: serials });

  return {
    name,
    account: () => call('GET', '/account'),
    fetchDevices: (req = {}) => call('POST', '/server/devices', req),
    syncDevices: (req) => call('POST', '/devices/sync', req),
    deviceDetails: (serials) => call('POST', '/devices', devicesBody(serials)),
    defineProfile: (profile) => call('POST', '/profile', profile),
    getProfile: (uuid) => call('GET', `/profile?profile_uuid=${encodeURIComponent(uuid)}`),
    assignProfile: (uuid, serials) => call('PUT', '/profile/devices', { profile_uuid: uuid, devices: serials }),
    removeProfile: (serials, uuid) => call('DELETE', '/profile/devices', { ...devicesBody(serials), ...(uuid ? { profile_uuid: uuid } : {}) }),
    activationLock: (req) => call('POST', '/device/activationlock', req),
    raw: (req) => (retries > 0 ? withBackoff(req) : once(req)),
  };
}
