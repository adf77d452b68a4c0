// A fake of Apple's Device Assignment Services over plain HTTP, for tests, the simulator and the
// demo (`updraft fake-dep`). Apple's paths and JSON shapes, OAuth 1.0a verified at /session, session
// tokens that expire (unknown → 401 UNAUTHORIZED, expired → 403 FORBIDDEN), fetch and sync cursors,
// profiles, and admin routes under /_fake/ to add devices, queue failures, move the clock, mint a
// server token file for a certificate, and play a device in Setup Assistant (cloud config).
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyOAuth } from '../oauth.js';
import { sealTokenFile } from '../tokenpki.js';
import { DEP_PROTOCOL_HEADER, DEP_SESSION_HEADER, type DepProfile } from '../types.js';
import { FakeDepState, type FakeDepStateOptions } from './state.js';

export interface FakeDepOptions extends FakeDepStateOptions {
  host?: string;
  port?: number;
}

export interface FakeRequestLog {
  method: string;
  path: string;
  status: number;
  session: string | null;
  protocolVersion: string | null;
  authorization: string | null;
}

const JSON_TYPE = 'application/json;charset=UTF8';
const MAX_BODY = 4 << 20;

class Reply extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(body);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) reject(new Reply(413, 'REQUEST_TOO_LARGE'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function json(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // below
  }
  throw new Reply(400, 'MALFORMED_REQUEST_BODY');
}

const serials = (v: unknown): string[] => {
  if (!Array.isArray(v) || v.length === 0 || !v.every((s) => typeof s === 'string' && s !== '')) throw new Reply(400, 'DEVICE_ID_REQUIRED');
  if (v.length > 1000) throw new Reply(400, 'DEVICE_LIMIT_EXCEEDED');
  return v as string[];
};

export class FakeDep {
  readonly state: FakeDepState;
  readonly log: FakeRequestLog[] = [];
  private constructor(
    private readonly server: http.Server,
    state: FakeDepState,
    readonly url: string,
  ) {
    this.state = state;
  }

  static async start(opts: FakeDepOptions = {}): Promise<FakeDep> {
    const state = new FakeDepState(opts);
    let fake: FakeDep | null = null;
    const server = http.createServer((req, res) => void fake!.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
    });
    const a = server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    fake = new FakeDep(server, state, `http://${host}:${a.port}`);
    return fake;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const session = (req.headers[DEP_SESSION_HEADER.toLowerCase()] as string | undefined) ?? null;
    let status = 500;
    try {
      const body = await readBody(req);
      const out = url.pathname.startsWith('/_fake/') ? this.admin(method, url, body) : this.apple(method, url, req, body);
      status = out.status ?? 200;
      const headers: Record<string, string> = { 'content-type': JSON_TYPE, ...out.headers };
      res.writeHead(status, headers).end(typeof out.body === 'string' ? out.body : JSON.stringify(out.body));
    } catch (err) {
      const r = err instanceof Reply ? err : new Reply(500, `INTERNAL_ERROR ${(err as Error).message}`);
      status = r.status;
      res.writeHead(r.status, { 'content-type': 'text/plain;charset=UTF8', ...r.headers }).end(r.body);
    }
    if (!url.pathname.startsWith('/_fake/'))
      this.log.push({
        method,
        path: url.pathname + url.search,
        status,
        session,
        protocolVersion: (req.headers[DEP_PROTOCOL_HEADER.toLowerCase()] as string | undefined) ?? null,
        authorization: req.headers.authorization ?? null,
      });
  }

  /** Apple's endpoints. */
  private apple(method: string, url: URL, req: IncomingMessage, raw: Buffer): { status?: number; body: unknown; headers?: Record<string, string> } {
    const path = url.pathname;
    const s = this.state;
    const failure = s.takeFailure(method, path);
    if (failure) throw new Reply(failure.status, failure.body ?? '', failure.retry_after !== undefined ? { 'retry-after': String(failure.retry_after) } : {});

    if (path === '/session') {
      if (method !== 'GET') throw new Reply(405, 'METHOD_NOT_ALLOWED');
      // Signed for the address the client used (its Host), whatever this server calls itself.
      const signedUrl = `http://${req.headers.host ?? url.host}${url.pathname}${url.search}`;
      const verdict = verifyOAuth(method, signedUrl, req.headers.authorization, (k, t) => s.secrets(k, t));
      if (!verdict.ok) throw new Reply(verdict.status, verdict.status === 401 ? 'oauth_problem_adviceToken_rejected' : 'BAD_REQUEST');
      if (!s.useNonce(verdict.nonce, verdict.timestamp)) throw new Reply(401, 'oauth_problem_adviceNonce_used');
      return { body: { auth_session_token: s.newSession() } };
    }

    const state = s.sessionState(req.headers[DEP_SESSION_HEADER.toLowerCase()] as string | undefined);
    if (state === 'unknown') throw new Reply(401, 'UNAUTHORIZED');
    if (state === 'expired') throw new Reply(403, 'FORBIDDEN');
    const headers = s.rotateSessions ? { [DEP_SESSION_HEADER]: s.newSession() } : undefined;
    const ok = (body: unknown) => ({ body, headers });
    const isPost = method === 'POST';

    if (path === '/account' && method === 'GET')
      return ok({
        server_name: 'Updraft fake DEP',
        server_uuid: '677cc3c8-1fb1-4f1f-9f0b-6c3c2e1f0a11',
        admin_id: 'admin@example.com',
        facilitator_id: 'admin@example.com',
        org_name: 'Example Org',
        org_email: 'it@example.com',
        org_phone: '+1 555 0100',
        org_address: '1 Infinite Loop, Cupertino',
        org_id: '1234567',
        org_id_hash: 'f1c2d3',
        org_type: 'org',
        org_version: 'v2',
        urls: [],
      });

    if (path === '/server/devices' && isPost) {
      const b = json(raw);
      let from = null;
      if (typeof b.cursor === 'string' && b.cursor !== '') {
        const c = s.readCursor(b.cursor);
        if (typeof c === 'string') throw new Reply(400, c);
        from = c;
      }
      return ok(s.fetch(from, b.limit));
    }
    if (path === '/devices/sync' && isPost) {
      const b = json(raw);
      if (typeof b.cursor !== 'string' || b.cursor === '') throw new Reply(400, 'CURSOR_REQUIRED');
      const c = s.readCursor(b.cursor);
      if (typeof c === 'string') throw new Reply(400, c);
      return ok(s.sync(c, b.limit));
    }
    if (path === '/devices' && isPost) {
      const out: Record<string, unknown> = {};
      for (const serial of serials(json(raw).devices)) {
        const d = s.devices.get(serial);
        out[serial] = d ? { ...d, response_status: 'SUCCESS' } : { serial_number: serial, response_status: 'NOT_ACCESSIBLE' };
      }
      return ok({ devices: out });
    }
    if (path === '/profile' && isPost) {
      const p = json(raw) as unknown as DepProfile;
      if (typeof p.profile_name !== 'string' || !p.profile_name) throw new Reply(400, 'CONFIG_NAME_REQUIRED');
      if (typeof p.url !== 'string' || !p.url) throw new Reply(400, 'CONFIG_URL_REQUIRED');
      if (!/^https?:\/\//.test(p.url)) throw new Reply(400, 'URL_INVALID');
      if (p.devices !== undefined && p.devices.length > 0) serials(p.devices);
      return ok(s.defineProfile(p));
    }
    if (path === '/profile' && method === 'GET') {
      const uuid = url.searchParams.get('profile_uuid');
      if (!uuid) throw new Reply(400, 'PROFILE_UUID_REQUIRED');
      const p = s.profiles.get(uuid);
      if (!p) throw new Reply(404, 'NOT_FOUND');
      return ok(p);
    }
    if (path === '/profile/devices' && (method === 'PUT' || method === 'POST')) {
      const b = json(raw);
      if (typeof b.profile_uuid !== 'string' || !b.profile_uuid) throw new Reply(400, 'PROFILE_UUID_REQUIRED');
      const list = serials(b.devices);
      if (!s.profiles.has(b.profile_uuid)) throw new Reply(404, 'NOT_FOUND');
      return ok({ profile_uuid: b.profile_uuid, devices: s.assign(b.profile_uuid, list) });
    }
    if (path === '/profile/devices' && method === 'DELETE') return ok({ devices: s.remove(serials(json(raw).devices)) });
    if (path === '/device/activationlock' && isPost) {
      const b = json(raw);
      if (typeof b.device !== 'string' || !b.device) throw new Reply(400, 'DEVICE_ID_REQUIRED');
      return ok({ serial_number: b.device, response_status: s.devices.has(b.device) ? 'SUCCESS' : 'NOT_ACCESSIBLE' });
    }
    if (['/account', '/server/devices', '/devices/sync', '/devices', '/profile', '/profile/devices', '/device/activationlock'].includes(path)) throw new Reply(405, 'METHOD_NOT_ALLOWED');
    throw new Reply(404, 'NOT_FOUND');
  }

  /** The fake's own routes: not Apple's, no authentication (bind it to localhost). */
  private admin(method: string, url: URL, raw: Buffer): { status?: number; body: unknown; headers?: Record<string, string> } {
    const s = this.state;
    const path = url.pathname;
    if (path === '/_fake/tokens' && method === 'GET') return { body: s.tokens };
    if (path === '/_fake/token' && method === 'POST') {
      // The body is the PEM certificate uploaded to "ABM"; the answer is the .p7m ABM would download.
      const pem = raw.toString('utf8');
      if (!pem.includes('BEGIN CERTIFICATE')) throw new Reply(400, 'expected a PEM certificate');
      try {
        return { body: sealTokenFile(s.tokens, pem), headers: { 'content-type': 'application/pkcs7-mime', 'content-disposition': 'attachment; filename="token.p7m"' } };
      } catch (err) {
        throw new Reply(400, `cannot encrypt to that certificate: ${(err as Error).message}`);
      }
    }
    if (path === '/_fake/devices' && method === 'GET') return { body: { devices: [...s.devices.values()] } };
    if (path === '/_fake/devices' && method === 'POST') {
      const list = json(raw).devices;
      if (!Array.isArray(list) || !list.every((d) => d && typeof d === 'object' && typeof (d as { serial_number?: unknown }).serial_number === 'string'))
        throw new Reply(400, 'devices must be a list of objects with serial_number');
      s.upsertDevices(list as Array<{ serial_number: string }>);
      return { body: { devices: list.length } };
    }
    if (path === '/_fake/devices' && method === 'DELETE') return { body: { deleted: s.deleteDevices(serials(json(raw).devices)) } };
    if (path.startsWith('/_fake/cloudconfig/') && method === 'POST') {
      const got = s.cloudConfig(decodeURIComponent(path.slice('/_fake/cloudconfig/'.length)));
      if (!got) throw new Reply(404, 'no profile assigned to this serial');
      return { body: got };
    }
    if (path === '/_fake/failures' && method === 'POST') {
      const f = json(raw);
      if (typeof f.status !== 'number') throw new Reply(400, 'status (number) is required');
      s.addFailure(f as never);
      return { body: { queued: true } };
    }
    if (path === '/_fake/sessions/expire' && method === 'POST') {
      s.expireSessions();
      return { body: { expired: true } };
    }
    if (path === '/_fake/clock' && method === 'POST') {
      const secs = json(raw).advance_seconds;
      if (typeof secs !== 'number') throw new Reply(400, 'advance_seconds (number) is required');
      s.advance(secs * 1000);
      return { body: { now: s.now().toISOString() } };
    }
    if (path === '/_fake/requests' && method === 'GET') return { body: { requests: this.log } };
    throw new Reply(404, 'unknown fake route');
  }
}
