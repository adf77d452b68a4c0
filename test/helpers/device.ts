// A minimal test device: sends check-in and command-channel plists over HTTP like a real device,
// and parses what the server answers.
import { randomUUID } from 'node:crypto';
import { buildPlist, parsePlist, type PlistDict, type PlistValue } from '../../src/plist/index.js';
import type { Store } from '../../src/storage/types.js';

export const CHECKIN_CONTENT_TYPE = 'application/x-apple-aspen-mdm-checkin';
export const COMMAND_CONTENT_TYPE = 'application/x-apple-aspen-mdm';

export interface Reply {
  status: number;
  contentType: string | null;
  body: Buffer;
  text: string;
  /** The parsed plist body, or null when the body is empty or not XML. */
  plist: PlistValue | null;
}

/** PUT raw bytes; contentType null sends no Content-Type header at all. */
export async function put(url: string, body: Buffer | string, contentType: string | null, headers: Record<string, string> = {}): Promise<Reply> {
  const h: Record<string, string> = { ...headers };
  if (contentType !== null) h['content-type'] = contentType;
  const res = await fetch(url, { method: 'PUT', body: new Uint8Array(Buffer.from(body)), headers: h });
  const buf = Buffer.from(await res.arrayBuffer());
  const text = buf.toString('utf8');
  let plist: PlistValue | null = null;
  if (buf.length > 0 && text.trimStart().startsWith('<')) {
    try { plist = parsePlist(buf); } catch { plist = null; }
  }
  return { status: res.status, contentType: res.headers.get('content-type'), body: buf, text, plist };
}

export interface DeviceOptions {
  /** Identifying keys sent with every message, e.g. { UDID } or { UDID, UserID, UserShortName } or { EnrollmentID }. */
  ids: PlistDict;
  topic?: string;
  checkinPath?: string;
  connectPath?: string;
  /** Content-Type of command-channel PUTs; null sends none (as mdmb does). */
  commandContentType?: string | null;
}

/** The command a reply carries: its UUID, RequestType and full dict. */
export function commandOf(reply: Reply): { uuid: string; requestType: string; command: PlistDict } | null {
  const p = reply.plist as PlistDict | null;
  if (!p || typeof p.CommandUUID !== 'string') return null;
  const command = p.Command as PlistDict;
  return { uuid: p.CommandUUID, requestType: String(command.RequestType), command };
}

export class TestDevice {
  readonly topic: string;
  constructor(readonly baseUrl: string, readonly opts: DeviceOptions) {
    this.topic = opts.topic ?? 'com.apple.mgmt.External.test-topic';
  }

  checkin(messageType: string, extra: PlistDict = {}): Promise<Reply> {
    const body = buildPlist({ MessageType: messageType, ...this.opts.ids, ...extra });
    return put(this.baseUrl + (this.opts.checkinPath ?? '/mdm'), body, CHECKIN_CONTENT_TYPE);
  }

  authenticate(extra: PlistDict = {}): Promise<Reply> {
    return this.checkin('Authenticate', { Topic: this.topic, SerialNumber: 'C02TEST0001', ...extra });
  }

  tokenUpdate(extra: PlistDict = {}): Promise<Reply> {
    return this.checkin('TokenUpdate', {
      Topic: this.topic, Token: Buffer.from('00ff10ab', 'hex'), PushMagic: 'magic-1234', ...extra,
    });
  }

  /** Authenticate then TokenUpdate; throws unless both are answered 200. */
  async enroll(): Promise<void> {
    for (const step of [() => this.authenticate(), () => this.tokenUpdate()]) {
      const r = await step();
      if (r.status !== 200) throw new Error(`enroll: HTTP ${r.status}: ${r.text}`);
    }
  }

  report(status: string, extra: PlistDict = {}): Promise<Reply> {
    const body = buildPlist({ Status: status, ...this.opts.ids, ...extra });
    const ct = this.opts.commandContentType === undefined ? COMMAND_CONTENT_TYPE : this.opts.commandContentType;
    return put(this.baseUrl + (this.opts.connectPath ?? '/mdm'), body, ct);
  }

  idle(): Promise<Reply> {
    return this.report('Idle');
  }

  result(status: 'Acknowledged' | 'Error' | 'CommandFormatError' | 'NotNow', uuid: string, extra: PlistDict = {}): Promise<Reply> {
    return this.report(status, { CommandUUID: uuid, ...extra });
  }
}

/** Queue a command (built from RequestType and payload keys) for enrollments; returns its UUID. */
export async function queueCommand(
  store: Store, ids: string[], requestType: string, payload: PlistDict = {}, opts: { uuid?: string; priority?: number } = {},
): Promise<string> {
  const uuid = opts.uuid ?? randomUUID();
  const raw = Buffer.from(buildPlist({ CommandUUID: uuid, Command: { RequestType: requestType, ...payload } }));
  const out = await store.enqueue({ uuid, requestType, raw, priority: opts.priority, at: new Date() }, ids);
  const failed = out.filter((o) => !o.ok);
  if (failed.length) throw new Error(`enqueue failed: ${JSON.stringify(failed)}`);
  return uuid;
}
