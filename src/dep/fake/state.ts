// The fake DEP service's organization, without HTTP: one MDM server's OAuth tokens, sessions that
// expire, the device list with a change log (fetch cursors page through the devices, sync cursors
// read the log after them), profiles and their assignment, and failures queued on demand.
import { randomBytes, randomUUID } from 'node:crypto';
import type { DefineProfileResponse, DepDevice, DepProfile, DeviceListResponse, DeviceStatus, OAuth1Tokens, OpType } from '../types.js';

export interface FakeFailure {
  /** Method to match (any when absent). */
  method?: string;
  /** Path to match: exact, or a prefix ending in "*" (any when absent). */
  path?: string;
  status: number;
  /** Text body, e.g. "T_C_NOT_SIGNED" (default: nothing). */
  body?: string;
  retry_after?: number;
  /** How many requests fail so (default 1). */
  times?: number;
  /** How many matching requests succeed first (default 0): 1 fails the second page of a fetch. */
  after?: number;
}

export interface FakeDepStateOptions {
  tokens?: Partial<OAuth1Tokens>;
  /** Session lifetime (default 3 minutes, short so clients meet expiry). */
  sessionTtlMs?: number;
  /** Cursors older than this answer EXPIRED_CURSOR (Apple: 7 days). */
  cursorTtlMs?: number;
  /** Answer every request with a new X-ADM-Auth-Session (the old one stays valid). */
  rotateSessions?: boolean;
  now?: () => Date;
}

interface Change {
  seq: number;
  serial: string;
  op: OpType;
  at: Date;
}

interface Cursor {
  kind: 'fetch' | 'sync';
  /** Fetch: devices (sorted by serial) already answered. */
  offset: number;
  /** Changes up to this seq are covered. */
  seq: number;
  issuedAt: Date;
}

export type FakeProfile = DepProfile & { profile_uuid: string };

const SYNC_LIMIT_MAX = 1000;

export class FakeDepState {
  readonly tokens: OAuth1Tokens;
  readonly sessionTtlMs: number;
  readonly cursorTtlMs: number;
  rotateSessions: boolean;
  private clockOffset = 0;
  private readonly baseNow: () => Date;
  readonly devices = new Map<string, DepDevice>();
  readonly profiles = new Map<string, FakeProfile>();
  private readonly changes: Change[] = [];
  private seq = 0;
  private readonly sessions = new Map<string, number>();
  private readonly cursors = new Map<string, Cursor>();
  private readonly nonces = new Set<string>();
  private readonly failures: Array<FakeFailure & { left: number; skip: number }> = [];

  constructor(opts: FakeDepStateOptions = {}) {
    this.baseNow = opts.now ?? (() => new Date());
    const id = () => randomBytes(12).toString('hex');
    this.tokens = {
      consumer_key: `CK_${id()}`,
      consumer_secret: `CS_${id()}`,
      access_token: `AT_${id()}`,
      access_secret: `AS_${id()}`,
      access_token_expiry: new Date(this.now().getTime() + 365 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z'),
      ...opts.tokens,
    };
    this.sessionTtlMs = opts.sessionTtlMs ?? 180_000;
    this.cursorTtlMs = opts.cursorTtlMs ?? 7 * 86_400_000;
    this.rotateSessions = opts.rotateSessions ?? false;
  }

  now(): Date {
    return new Date(this.baseNow().getTime() + this.clockOffset);
  }

  /** Moves the fake's clock (sessions and cursors age with it). */
  advance(ms: number): void {
    this.clockOffset += ms;
  }

  // ---- OAuth and sessions

  /** Secrets for a consumer key and token; null when they are not this server's or the token expired. */
  secrets(consumerKey: string, token: string): { consumerSecret: string; tokenSecret: string } | null {
    if (consumerKey !== this.tokens.consumer_key || token !== this.tokens.access_token) return null;
    if (Date.parse(this.tokens.access_token_expiry) <= this.now().getTime()) return null;
    return { consumerSecret: this.tokens.consumer_secret, tokenSecret: this.tokens.access_secret };
  }

  /** False when the nonce was used before (a replayed signed request). */
  useNonce(nonce: string, timestamp: number): boolean {
    const key = `${timestamp}:${nonce}`;
    if (this.nonces.has(key)) return false;
    this.nonces.add(key);
    return true;
  }

  newSession(): string {
    const token = `1413212${randomBytes(20).toString('hex')}`;
    this.sessions.set(token, this.now().getTime() + this.sessionTtlMs);
    return token;
  }

  /** "ok", "unknown" (never issued) or "expired". */
  sessionState(token: string | undefined): 'ok' | 'unknown' | 'expired' {
    const until = token ? this.sessions.get(token) : undefined;
    if (until === undefined) return 'unknown';
    return until > this.now().getTime() ? 'ok' : 'expired';
  }

  expireSessions(): void {
    for (const k of this.sessions.keys()) this.sessions.set(k, 0);
  }

  // ---- failures on demand

  addFailure(f: FakeFailure): void {
    this.failures.push({ ...f, left: f.times ?? 1, skip: f.after ?? 0 });
  }

  /** The queued failure for this request, consumed; or null. */
  takeFailure(method: string, path: string): FakeFailure | null {
    const i = this.failures.findIndex(
      (f) => (!f.method || f.method.toUpperCase() === method) && (!f.path || (f.path.endsWith('*') ? path.startsWith(f.path.slice(0, -1)) : path === f.path)),
    );
    if (i < 0) return null;
    const f = this.failures[i]!;
    if (f.skip > 0) {
      f.skip--;
      return null;
    }
    if (--f.left <= 0) this.failures.splice(i, 1);
    return f;
  }

  // ---- devices

  private record(serial: string, op: OpType): void {
    this.changes.push({ seq: ++this.seq, serial, op, at: this.now() });
  }

  /** Adds devices (op "added") or updates known ones (op "modified"). */
  upsertDevices(devices: Array<Partial<DepDevice> & { serial_number: string }>): void {
    for (const d of devices) {
      const known = this.devices.get(d.serial_number);
      const at = this.now().toISOString();
      this.devices.set(d.serial_number, {
        profile_status: 'empty',
        device_assigned_by: 'admin@example.com',
        device_assigned_date: at,
        ...known,
        ...d,
      });
      this.record(d.serial_number, known ? 'modified' : 'added');
    }
  }

  /** Releases devices from the organization (op "deleted"). */
  deleteDevices(serials: string[]): string[] {
    const gone = serials.filter((s) => this.devices.delete(s));
    for (const s of gone) this.record(s, 'deleted');
    return gone;
  }

  private cursor(c: Omit<Cursor, 'issuedAt'>): string {
    const id = randomBytes(18).toString('base64url');
    this.cursors.set(id, { ...c, issuedAt: this.now() });
    return id;
  }

  /** The stored cursor, or the error code Apple answers for it. */
  readCursor(id: string): Cursor | 'INVALID_CURSOR' | 'EXPIRED_CURSOR' {
    const c = this.cursors.get(id);
    if (!c) return 'INVALID_CURSOR';
    if (this.now().getTime() - c.issuedAt.getTime() > this.cursorTtlMs) return 'EXPIRED_CURSOR';
    return c;
  }

  private clampLimit(limit: unknown): number {
    return typeof limit === 'number' && limit > 0 ? Math.min(Math.floor(limit), SYNC_LIMIT_MAX) : 100;
  }

  /** POST /server/devices: the devices, sorted by serial, a page at a time. */
  fetch(from: Cursor | null, limit: unknown): DeviceListResponse {
    const n = this.clampLimit(limit);
    const offset = from?.offset ?? 0;
    const seq = from?.seq ?? this.seq;
    const all = [...this.devices.values()].sort((a, b) => (a.serial_number < b.serial_number ? -1 : 1));
    const page = all.slice(offset, offset + n);
    const more = offset + n < all.length;
    return { devices: page.map((d) => ({ ...d })), cursor: this.cursor({ kind: 'fetch', offset: offset + page.length, seq }), more_to_follow: more, fetched_until: this.now().toISOString() };
  }

  /** POST /devices/sync: the changes after the cursor, each with op_type and op_date. */
  sync(from: Cursor, limit: unknown): DeviceListResponse {
    const n = this.clampLimit(limit);
    const after = this.changes.filter((c) => c.seq > from.seq);
    const page = after.slice(0, n);
    const devices = page.map((c) => ({
      ...(this.devices.get(c.serial) ?? { serial_number: c.serial }),
      op_type: c.op,
      op_date: c.at.toISOString(),
    }));
    const seq = page.length ? page[page.length - 1]!.seq : from.seq;
    return { devices, cursor: this.cursor({ kind: 'sync', offset: 0, seq }), more_to_follow: after.length > n, fetched_until: this.now().toISOString() };
  }

  // ---- profiles

  defineProfile(p: DepProfile): DefineProfileResponse {
    const uuid = randomUUID().replace(/-/g, '').toUpperCase();
    const { devices, ...profile } = p;
    this.profiles.set(uuid, { ...profile, profile_uuid: uuid });
    return { profile_uuid: uuid, devices: devices?.length ? this.assign(uuid, devices) : {} };
  }

  assign(uuid: string, serials: string[]): Record<string, DeviceStatus> {
    const out: Record<string, DeviceStatus> = {};
    const at = this.now().toISOString();
    for (const s of serials) {
      const d = this.devices.get(s);
      if (!d) {
        out[s] = 'NOT_ACCESSIBLE';
        continue;
      }
      Object.assign(d, { profile_uuid: uuid, profile_status: 'assigned', profile_assign_time: at });
      delete d.profile_push_time;
      this.record(s, 'modified');
      out[s] = 'SUCCESS';
    }
    return out;
  }

  remove(serials: string[]): Record<string, DeviceStatus> {
    const out: Record<string, DeviceStatus> = {};
    for (const s of serials) {
      const d = this.devices.get(s);
      if (!d || !d.profile_uuid) {
        out[s] = 'NOT_ACCESSIBLE';
        continue;
      }
      delete d.profile_uuid;
      delete d.profile_assign_time;
      delete d.profile_push_time;
      d.profile_status = 'removed';
      this.record(s, 'modified');
      out[s] = 'SUCCESS';
    }
    return out;
  }

  /**
   * What a device in Setup Assistant gets from Apple: its assigned profile (null when it has none),
   * which marks the profile pushed, as Apple reports it.
   */
  cloudConfig(serial: string): { device: DepDevice; profile: FakeProfile } | null {
    const d = this.devices.get(serial);
    const p = d?.profile_uuid ? this.profiles.get(d.profile_uuid) : undefined;
    if (!d || !p) return null;
    d.profile_status = 'pushed';
    d.profile_push_time = this.now().toISOString();
    this.record(serial, 'modified');
    return { device: { ...d }, profile: p };
  }
}
