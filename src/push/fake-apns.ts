// A fake APNs for tests, the demo and benchmarks: HTTP/2 over TLS with client-certificate auth,
// Apple's status codes and {reason, timestamp} bodies, scripted failures and GOAWAY, and a way to
// wake simulated devices: an in-process hook (onPush) and a plain-HTTP side channel (wake-channel.ts)
// that a simulator in another process can long-poll.
import http2, { type Http2Session, type ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { randomUUID } from 'node:crypto';
import { topicFromCert } from './cert.js';
import { makeSelfSigned } from './selfsigned.js';
import { startWakeChannel, type WakeChannel } from './wake-channel.js';

export interface FakePush {
  seq: number;
  token: string;
  /** The client certificate's topic (UID). */
  topic: string | null;
  /** The `mdm` value of the payload (the device's PushMagic). */
  pushMagic: string | null;
  at: number;
}

export interface FakeResponse {
  status: number;
  reason?: string;
}

export interface FakeApnsOptions {
  host?: string;
  port?: number;
  /** PEM certificates (CAs or the push certificates themselves) a client must present; omitted: any client certificate. */
  trust?: string[];
  /** Largest payload accepted, bytes (Apple: 4096). */
  maxPayload?: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS advertised to clients. */
  maxConcurrentStreams?: number;
  /** Pushes kept for the side channel and pushes(). Default 100000. */
  keep?: number;
  /** Start the plain-HTTP wake channel (default true). */
  wakeChannel?: boolean;
  wakePort?: number;
  /** Extra DNS names for the server certificate (it always covers localhost, 127.0.0.1 and ::1). */
  tlsNames?: string[];
}

const TOKEN = /^[0-9a-fA-F]{16,200}$/;
const PATH = /^\/3\/device\/([^/?]*)$/;

interface Refusal {
  status: number;
  reason: string;
  timestamp?: number;
}

/** A request's state, kept on its stream so the listeners are shared functions (nothing allocated per listener). */
const INCOMING = Symbol('fake apns request');
type IncomingPush = ServerHttp2Stream & { [INCOMING]: { fake: FakeApns; headers: http2.IncomingHttpHeaders; chunks: Buffer[] } };

function ignore(): void {}

function onData(this: IncomingPush, chunk: Buffer): void {
  this[INCOMING].chunks.push(chunk);
}

function onEnd(this: IncomingPush): void {
  const { fake, headers, chunks } = this[INCOMING];
  fake.reply(this, headers, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
}

export class FakeApns {
  /** https://host:port to give the provider as its APNs URL. */
  url = '';
  /** The server's certificate (PEM): give it to the provider as its extra CA. */
  ca = '';
  /** http://host:port of the wake channel, or '' when it is off. */
  wakeUrl = '';
  /** HTTP/2 sessions accepted so far. */
  sessions = 0;
  private server!: http2.Http2SecureServer;
  private wake: WakeChannel | null = null;
  private readonly live = new Set<Http2Session>();
  private readonly scripted = new Map<string, FakeResponse[]>();
  private readonly unregistered = new Map<string, number>();
  private readonly log: FakePush[] = [];
  private readonly listeners = new Set<(p: FakePush) => void>();
  private seq = 0;
  private held: Array<() => void> | null = null;

  private constructor(private readonly opts: FakeApnsOptions) {}

  static async start(opts: FakeApnsOptions = {}): Promise<FakeApns> {
    const fake = new FakeApns(opts);
    await fake.listen();
    return fake;
  }

  /** Answer the next requests for `token` ('*' for any token) with these responses, in order. */
  respond(token: string, ...responses: FakeResponse[]): void {
    const key = token === '*' ? '*' : token.toLowerCase();
    this.scripted.set(key, [...(this.scripted.get(key) ?? []), ...responses]);
  }

  /**
   * Hold every answer from now on (requests still arrive) until the returned function is called,
   * as when APNs is slow: for tests of what happens while pushes await their answers.
   */
  hold(): () => void {
    const queue: Array<() => void> = [];
    this.held = queue;
    return () => {
      if (this.held === queue) this.held = null;
      for (const answer of queue.splice(0)) answer();
    };
  }

  /** From now on answer 410 Unregistered for this token, as when the app is gone from the device. */
  unregister(token: string): void {
    this.unregistered.set(token.toLowerCase(), Date.now());
  }

  /** Send GOAWAY (with an optional JSON reason) on every open session, then close them. */
  goaway(reason?: string): void {
    const data = reason ? Buffer.from(JSON.stringify({ reason })) : undefined;
    for (const s of this.live) {
      s.goaway(http2.constants.NGHTTP2_NO_ERROR, 0, data);
      s.close();
    }
  }

  /** Pushes received (the most recent `keep`), optionally for one token, or after a sequence number. */
  pushes(filter: { token?: string; since?: number } = {}): FakePush[] {
    const token = filter.token?.toLowerCase();
    // The log is in seq order: find the first push after `since` by bisection, then scan only the rest.
    let lo = 0;
    let hi = this.log.length;
    const since = filter.since ?? 0;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.log[mid]!.seq > since) hi = mid;
      else lo = mid + 1;
    }
    const tail = this.log.slice(lo);
    return token ? tail.filter((p) => p.token === token) : tail;
  }

  /** In-process hook: called for every accepted push. Returns an unsubscribe function. */
  onPush(listener: (p: FakePush) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the next push to `token` (or rejects after timeoutMs). */
  waitForPush(token: string, timeoutMs = 5000): Promise<FakePush> {
    const t = token.toLowerCase();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { off(); reject(new Error(`no push to ${t} within ${timeoutMs} ms`)); }, timeoutMs);
      const off = this.onPush((p) => {
        if (p.token !== t) return;
        clearTimeout(timer);
        off();
        resolve(p);
      });
    });
  }

  async close(): Promise<void> {
    for (const s of this.live) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.wake?.close();
  }

  private async listen(): Promise<void> {
    const host = this.opts.host ?? '127.0.0.1';
    const tls = await makeSelfSigned({ commonName: 'Updraft fake APNs', dnsNames: ['localhost', ...(this.opts.tlsNames ?? [])], ips: ['127.0.0.1', '::1'] });
    this.ca = tls.certPem;
    const trust = this.opts.trust;
    this.server = http2.createSecureServer({
      cert: tls.certPem,
      key: tls.keyPem,
      requestCert: true,
      rejectUnauthorized: Boolean(trust),
      ...(trust ? { ca: trust } : {}),
      settings: { maxConcurrentStreams: this.opts.maxConcurrentStreams ?? 1000 },
    });
    this.server.on('session', (s) => {
      this.sessions++;
      this.live.add(s);
      s.on('close', () => this.live.delete(s));
      s.on('error', () => this.live.delete(s));
    });
    this.server.on('stream', (stream, headers) => this.handle(stream, headers));
    await new Promise<void>((resolve) => this.server.listen(this.opts.port ?? 0, host, resolve));
    const { port } = this.server.address() as { port: number };
    this.url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    if (this.opts.wakeChannel !== false) {
      this.wake = await startWakeChannel(this, { host, port: this.opts.wakePort ?? 0 });
      this.wakeUrl = this.wake.url;
    }
  }

  private handle(stream: ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const s = stream as IncomingPush;
    s[INCOMING] = { fake: this, headers, chunks: [] };
    stream.on('error', ignore);
    stream.on('data', onData);
    stream.on('end', onEnd);
  }

  /** @internal Answer a request whose body has arrived. */
  reply(stream: ServerHttp2Stream, headers: http2.IncomingHttpHeaders, body: Buffer): void {
    if (this.held) {
      this.held.push(() => {
        if (!stream.destroyed && !stream.closed) this.reply(stream, headers, body);
      });
      return;
    }
    const id = headers['apns-id'];
    const apnsId = typeof id === 'string' ? id : randomUUID().toUpperCase();
    const refused = this.answer(stream, headers, body);
    if (refused === null) {
      stream.respond({ ':status': 200, 'apns-id': apnsId }, { endStream: true });
      return;
    }
    stream.respond({ ':status': refused.status, 'apns-id': apnsId, 'content-type': 'application/json' });
    stream.end(JSON.stringify(refused.status === 410 ? { reason: refused.reason, timestamp: refused.timestamp } : { reason: refused.reason }));
  }

  /** null when the push is accepted (and logged), else the refusal to send. */
  private answer(stream: ServerHttp2Stream, headers: http2.IncomingHttpHeaders, body: Buffer): Refusal | null {
    const topic = this.clientTopic(stream.session);
    if (topic === undefined) return { status: 403, reason: 'MissingProviderToken' };
    if (topic === null) return { status: 403, reason: 'BadCertificate' };
    if (headers[':method'] !== 'POST') return { status: 405, reason: 'MethodNotAllowed' };
    const m = PATH.exec(String(headers[':path'] ?? ''));
    if (!m) return { status: 404, reason: 'BadPath' };
    if (!m[1]) return { status: 400, reason: 'MissingDeviceToken' };
    if (!TOKEN.test(m[1])) return { status: 400, reason: 'BadDeviceToken' };
    const token = m[1].toLowerCase();
    if (headers['apns-topic'] !== undefined && headers['apns-topic'] !== topic) return { status: 400, reason: 'BadTopic' };
    if (headers['apns-push-type'] !== undefined && headers['apns-push-type'] !== 'mdm') return { status: 400, reason: 'InvalidPushType' };
    if (body.length === 0) return { status: 400, reason: 'PayloadEmpty' };
    if (body.length > (this.opts.maxPayload ?? 4096)) return { status: 413, reason: 'PayloadTooLarge' };
    if (this.scripted.size > 0) {
      const script = this.scripted.get(token)?.shift() ?? this.scripted.get('*')?.shift();
      if (script && script.status !== 200) return { status: script.status, reason: script.reason ?? '', timestamp: script.status === 410 ? Date.now() : undefined };
    }
    const goneAt = this.unregistered.size > 0 ? this.unregistered.get(token) : undefined;
    if (goneAt !== undefined) return { status: 410, reason: 'Unregistered', timestamp: goneAt };
    this.accept(token, topic, body);
    return null;
  }

  private accept(token: string, topic: string, body: Buffer): void {
    let pushMagic: string | null = null;
    try {
      const json = JSON.parse(body.toString('utf8')) as { mdm?: unknown };
      if (typeof json.mdm === 'string') pushMagic = json.mdm;
    } catch {
      // not JSON: still delivered, as APNs would not look inside an MDM payload
    }
    const push: FakePush = { seq: ++this.seq, token, topic, pushMagic, at: Date.now() };
    this.log.push(push);
    if (this.log.length > (this.opts.keep ?? 100_000)) this.log.splice(0, this.log.length >> 1);
    for (const l of this.listeners) l(push);
  }

  private readonly topics = new WeakMap<Http2Session, string | null>();

  /** The client certificate's topic: undefined when there is no certificate, null when it is not a push certificate. */
  private clientTopic(session: Http2Session | undefined): string | null | undefined {
    if (!session) return undefined;
    if (this.topics.has(session)) return this.topics.get(session);
    const peer = (session.socket as TLSSocket).getPeerCertificate?.();
    if (!peer?.raw) return undefined;
    let topic: string | null;
    try {
      topic = topicFromCert(peer.raw);
    } catch {
      topic = null;
    }
    this.topics.set(session, topic);
    return topic;
  }
}
