// APNs transport: one HTTP/2 session per push certificate, a cap on concurrent streams, and a
// fresh session after GOAWAY, an error or a close. Policy (what a status means) lives in apns.ts.
import http2, { type ClientHttp2Session } from 'node:http2';
import tls from 'node:tls';

/** How long close() lets in-flight streams finish before the session is destroyed. */
const CLOSE_GRACE_MS = 2000;

export interface ApnsClientOptions {
  /** Base URL, e.g. https://api.push.apple.com (port 443 or 2197). */
  url: string;
  certPem: string;
  keyPem: string;
  /** Extra CA certificates to trust (PEM), e.g. the fake APNs server's. */
  ca?: string | null;
  /** Headers sent with every push (apns-topic, apns-push-type…). */
  headers?: Record<string, string>;
  /** Upper bound on streams in flight; the server's SETTINGS may lower it. Default 1000. */
  maxConcurrentStreams?: number;
  /** Per-request timeout in ms. Default 10000. */
  timeoutMs?: number;
  /** Called when APNs sends GOAWAY; `reason` is the JSON reason in its debug data, if any. */
  onGoaway?: (reason: string | null) => void;
}

export interface ApnsResponse {
  status: number;
  apnsId: string | null;
  reason: string | null;
  /** For 410: when APNs last knew the token was valid (ms since epoch). */
  timestamp: number | null;
}

/** The request never got an HTTP answer (connection refused, TLS failure, GOAWAY, timeout). */
export class ApnsTransportError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

/** With TLS 1.3 a refused client certificate shows up as a close right after the handshake, without an alert. */
const REFUSED_MESSAGE = 'APNs closed the connection before answering: the push certificate was probably refused (expired, revoked or not trusted)';

export class ApnsClient {
  /** Sessions opened so far (the first, then one per reconnect). */
  connects = 0;
  private session: ClientHttp2Session | null = null;
  private readonly sessionErrors = new WeakMap<ClientHttp2Session, NodeJS.ErrnoException>();
  /** Sessions that answered at least once (a session closed before any answer points at the certificate). */
  private readonly answered = new WeakSet<ClientHttp2Session>();
  private connecting: Promise<ClientHttp2Session> | null = null;
  private active = 0;
  /** Sends waiting for a stream slot: a FIFO read from `head` (shift() would be O(n) per call). */
  private waiting: (() => void)[] = [];
  private head = 0;
  private remoteLimit = Infinity;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly inflight = new Map<http2.ClientHttp2Stream, number>();
  private readonly timedOut = new WeakSet<http2.ClientHttp2Stream>();
  private sweeper: NodeJS.Timeout | null = null;
  private readonly maxStreams: number;

  constructor(private readonly opts: ApnsClientOptions) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxStreams = opts.maxConcurrentStreams ?? 1000;
  }

  /** POST one notification to /3/device/<token>. Rejects with ApnsTransportError when there is no HTTP answer. */
  send(token: string, payload: string): Promise<ApnsResponse> {
    if (this.closed) return Promise.reject(new ApnsTransportError('APNs client is closed', 'closed'));
    // Fast path (connected, a stream slot free): no extra awaits per push.
    if (this.session && this.active < Math.min(this.maxStreams, this.remoteLimit)) {
      this.active++;
      return this.request(this.session, token, payload).then(
        (res) => { this.release(); return res; },
        (err: unknown) => { this.release(); throw err; },
      );
    }
    return this.sendQueued(token, payload);
  }

  private async sendQueued(token: string, payload: string): Promise<ApnsResponse> {
    await this.acquire();
    try {
      const session = await this.getSession();
      return await this.request(session, token, payload);
    } finally {
      this.release();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    const s = this.session;
    this.session = null;
    if (s && !s.destroyed) {
      // A graceful close waits for open streams; a stream APNs never answers must not hold shutdown.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => { s.destroy(); resolve(); }, CLOSE_GRACE_MS);
        s.close(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  private acquire(): Promise<void> | void {
    if (this.active < Math.min(this.maxStreams, this.remoteLimit)) {
      this.active++;
      return;
    }
    return new Promise((resolve) => this.waiting.push(() => { this.active++; resolve(); }));
  }

  private release(): void {
    this.active--;
    this.wake();
  }

  private wake(): void {
    const limit = Math.min(this.maxStreams, this.remoteLimit);
    while (this.head < this.waiting.length && this.active < limit) this.waiting[this.head++]!();
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
  }

  private getSession(): Promise<ClientHttp2Session> {
    if (this.session) return Promise.resolve(this.session);
    this.connecting ??= this.connect().finally(() => { this.connecting = null; });
    return this.connecting;
  }

  private connect(): Promise<ClientHttp2Session> {
    return new Promise((resolve, reject) => {
      this.connects++;
      const session = http2.connect(this.opts.url, {
        cert: this.opts.certPem,
        key: this.opts.keyPem,
        // Extra, not instead: Node's `ca` replaces the bundled roots unless they are passed along.
        ...(this.opts.ca ? { ca: [...tls.rootCertificates, this.opts.ca] } : {}),
      });
      const drop = () => { if (this.session === session) this.session = null; };
      session.on('remoteSettings', (settings) => {
        this.remoteLimit = settings.maxConcurrentStreams ?? Infinity;
        this.wake();
      });
      session.on('goaway', (_code, _lastStreamId, data) => {
        drop();
        this.opts.onGoaway?.(goawayReason(data));
      });
      session.on('close', drop);
      session.once('connect', () => {
        session.removeListener('error', onConnectError);
        session.on('error', (err: NodeJS.ErrnoException) => {
          this.sessionErrors.set(session, err);
          drop();
        });
        if (this.closed) {
          session.destroy();
          reject(new ApnsTransportError('APNs client is closed', 'closed'));
          return;
        }
        this.session = session;
        resolve(session);
      });
      const onConnectError = (err: NodeJS.ErrnoException) => {
        session.destroy();
        reject(new ApnsTransportError(`cannot connect to APNs at ${this.opts.url}: ${err.message}`, err.code ?? 'connect_error'));
      };
      session.once('error', onConnectError);
    });
  }

  /** Time out requests with one sweeping timer rather than a timer per stream (cheaper at thousands/s). */
  private track(req: http2.ClientHttp2Stream): void {
    this.inflight.set(req, performance.now());
    this.sweeper ??= setInterval(() => {
      const cutoff = performance.now() - this.timeoutMs;
      for (const [r, started] of this.inflight) {
        if (started > cutoff) break; // insertion order = start order
        this.inflight.delete(r);
        this.timedOut.add(r);
        r.close(http2.constants.NGHTTP2_CANCEL);
      }
    }, Math.max(50, this.timeoutMs / 10)).unref();
  }

  private request(session: ClientHttp2Session, token: string, payload: string): Promise<ApnsResponse> {
    return new Promise((resolve, reject) => {
      let req: http2.ClientHttp2Stream;
      try {
        req = session.request({
          ':method': 'POST',
          ':path': `/3/device/${token}`,
          'content-type': 'application/json',
          ...this.opts.headers,
        });
      } catch (err) {
        // The session went away between getSession() and here.
        if (this.session === session) this.session = null;
        reject(new ApnsTransportError((err as Error).message, (err as NodeJS.ErrnoException).code ?? 'session_error'));
        return;
      }
      let status = 0;
      let apnsId: string | null = null;
      const chunks: Buffer[] = [];
      this.track(req);
      req.on('response', (headers) => {
        this.answered.add(session);
        status = Number(headers[':status']);
        apnsId = typeof headers['apns-id'] === 'string' ? headers['apns-id'] : null;
      });
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', (err: NodeJS.ErrnoException) => reject(new ApnsTransportError(err.message, err.code ?? 'stream_error')));
      req.on('close', () => {
        this.inflight.delete(req);
        if (status === 0) {
          if (this.timedOut.has(req)) return reject(new ApnsTransportError(`no answer from APNs within ${this.timeoutMs} ms`, 'timeout'));
          // The session's own error (a TLS alert, a reset) arrives after its streams close.
          setImmediate(() => {
            const err = this.sessionErrors.get(session);
            if (err) reject(new ApnsTransportError(`APNs connection failed: ${err.message}`, err.code ?? 'session_error'));
            else if (!this.answered.has(session)) reject(new ApnsTransportError(REFUSED_MESSAGE, 'closed_after_handshake'));
            else reject(new ApnsTransportError('APNs closed the stream without an answer', 'stream_closed'));
          });
          return;
        }
        resolve({ status, apnsId, ...parseBody(chunks) });
      });
      req.end(payload);
    });
  }
}

function parseBody(chunks: Buffer[]): { reason: string | null; timestamp: number | null } {
  if (chunks.length === 0) return { reason: null, timestamp: null };
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { reason?: unknown; timestamp?: unknown };
    return {
      reason: typeof body.reason === 'string' ? body.reason : null,
      timestamp: typeof body.timestamp === 'number' ? body.timestamp : null,
    };
  } catch {
    return { reason: null, timestamp: null };
  }
}

function goawayReason(data: Buffer | undefined): string | null {
  if (!data || data.length === 0) return null;
  try {
    const body = JSON.parse(data.toString('utf8')) as { reason?: unknown };
    return typeof body.reason === 'string' ? body.reason : null;
  } catch {
    return null;
  }
}
