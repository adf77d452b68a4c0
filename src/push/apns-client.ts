// APNs transport: one HTTP/2 session per push certificate, a cap on concurrent streams, and a
// fresh session after GOAWAY, an error or a close. Policy (what a status means) lives in apns.ts.
import http2, { type ClientHttp2Session } from 'node:http2';
import { createRequire } from 'node:module';

// node:tls through require(), not an import: importing a built-in as an ES module reads every one of
// its exports, and tls.rootCertificates is a getter that builds Node's ~150 root certificates as PEM
// strings the first time (0.2 MB of heap for the life of the process). Only a session given an extra
// CA (the `ca` option below) needs them.
const tls = createRequire(import.meta.url)('node:tls') as typeof import('node:tls');

/** How long close() lets in-flight streams finish before the session is destroyed. */
const CLOSE_GRACE_MS = 2000;
/** How long a new session waits for the server's SETTINGS before using our own stream cap. */
const SETTINGS_WAIT_MS = 1000;
/** `limit` while a new session has not yet heard the server's SETTINGS. */
const PENDING_SETTINGS = 0;

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

/** Called once per push: an error when there was no HTTP answer, else the response. */
export type ApnsCallback = (err: ApnsTransportError | null, res: ApnsResponse | null) => void;

/** A push waiting for a stream slot or a session. */
interface Queued {
  token: string;
  payload: string | Uint8Array;
  done: ApnsCallback;
}

/** The per-push state, kept on the stream so its listeners can be shared functions (no closures per push). */
class Exchange {
  status = 0;
  apnsId: string | null = null;
  chunks: Buffer[] | null = null;
  constructor(
    readonly client: ApnsClient,
    readonly session: ClientHttp2Session,
    readonly done: ApnsCallback,
    readonly started: number,
  ) {}
}

const EXCHANGE = Symbol('apns exchange');
type PushStream = http2.ClientHttp2Stream & { [EXCHANGE]: Exchange };
const END_STREAM = http2.constants.NGHTTP2_FLAG_END_STREAM;

function onResponse(this: PushStream, headers: http2.IncomingHttpHeaders, flags: number): void {
  const x = this[EXCHANGE];
  x.client.answered.add(x.session);
  x.status = Number(headers[':status']);
  const id = headers['apns-id'];
  x.apnsId = typeof id === 'string' ? id : null;
  // APNs answers 200 with HEADERS + END_STREAM; only an answer with a body needs a reader.
  if ((flags & END_STREAM) === 0) this.on('data', onData);
}

function onData(this: PushStream, chunk: Buffer): void {
  const x = this[EXCHANGE];
  (x.chunks ??= []).push(chunk);
}

function onError(this: PushStream, err: NodeJS.ErrnoException): void {
  this[EXCHANGE].client.settle(this, new ApnsTransportError(err.message, err.code ?? 'stream_error'), null);
}

function onClose(this: PushStream): void {
  const x = this[EXCHANGE];
  if (x.status !== 0) {
    const body = x.chunks ? parseBody(x.chunks) : NO_BODY;
    x.client.settle(this, null, { status: x.status, apnsId: x.apnsId, reason: body.reason, timestamp: body.timestamp });
  } else {
    x.client.unanswered(this);
  }
}

export class ApnsClient {
  /** Sessions opened so far (the first, then one per reconnect). */
  connects = 0;
  private session: ClientHttp2Session | null = null;
  private readonly sessionErrors = new WeakMap<ClientHttp2Session, NodeJS.ErrnoException>();
  /** @internal Sessions that answered at least once (a session closed before any answer points at the certificate). */
  readonly answered = new WeakSet<ClientHttp2Session>();
  private connecting = false;
  private active = 0;
  /** Pushes waiting for a stream slot or a session: a FIFO read from `head` (shift() would be O(n) per call). */
  private queue: (Queued | undefined)[] = [];
  private head = 0;
  /** Streams allowed in flight: our cap, lowered by the server's SETTINGS_MAX_CONCURRENT_STREAMS. */
  private limit: number;
  private closed = false;
  private readonly timeoutMs: number;
  /** Streams in flight, in start order, for the timeout sweep. */
  private readonly inflight = new Set<PushStream>();
  private readonly timedOut = new WeakSet<http2.ClientHttp2Stream>();
  private sweeper: NodeJS.Timeout | null = null;
  private readonly maxStreams: number;
  /** One header object for every push: node:http2 copies it in request(), so only :path changes. */
  private readonly headers: http2.OutgoingHttpHeaders;

  constructor(private readonly opts: ApnsClientOptions) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxStreams = opts.maxConcurrentStreams ?? 1000;
    this.limit = this.maxStreams;
    this.headers = { ':method': 'POST', ':path': '/', 'content-type': 'application/json', ...opts.headers };
  }

  /** POST one notification to /3/device/<token>. Rejects with ApnsTransportError when there is no HTTP answer. */
  send(token: string, payload: string | Uint8Array): Promise<ApnsResponse> {
    return new Promise((resolve, reject) => {
      this.post(token, payload, (err, res) => (err ? reject(err) : resolve(res!)));
    });
  }

  /** send() with a callback: no promise per push, for callers pushing thousands at once. `done` runs once, never synchronously. */
  post(token: string, payload: string | Uint8Array, done: ApnsCallback): void {
    if (this.closed) {
      process.nextTick(done, new ApnsTransportError('APNs client is closed', 'closed'), null);
      return;
    }
    if (this.session && this.active < this.limit && this.head === this.queue.length) {
      this.start(this.session, token, payload, done);
      return;
    }
    this.queue.push({ token, payload, done });
    this.pump();
  }

  /** Streams in flight now. */
  get inFlight(): number {
    return this.active;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.failQueued(new ApnsTransportError('APNs client is closed', 'closed'));
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

  /** Start queued pushes while there are free stream slots, connecting first when needed. */
  private pump(): void {
    if (this.head === this.queue.length) return;
    const session = this.session;
    if (!session) {
      this.connect();
      return;
    }
    // Re-check the session each time: start() drops it (and re-queues) when it has gone away.
    while (this.session === session && this.head < this.queue.length && this.active < this.limit) {
      const q = this.queue[this.head]!;
      this.queue[this.head++] = undefined;
      this.start(session, q.token, q.payload, q.done);
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private failQueued(err: ApnsTransportError): void {
    const queued = this.queue;
    const from = this.head;
    this.queue = [];
    this.head = 0;
    for (let i = from; i < queued.length; i++) process.nextTick(queued[i]!.done, err, null);
  }

  private connect(): void {
    if (this.connecting || this.closed) return;
    this.connecting = true;
    this.connects++;
    this.limit = PENDING_SETTINGS;
    const session = http2.connect(this.opts.url, {
      cert: this.opts.certPem,
      key: this.opts.keyPem,
      // Extra, not instead: Node's `ca` replaces the bundled roots unless they are passed along.
      ...(this.opts.ca ? { ca: [...tls.rootCertificates, this.opts.ca] } : {}),
    });
    const drop = () => { if (this.session === session) this.session = null; };
    // Streams start once the server's first SETTINGS has said how many it allows at once (it comes
    // right after the handshake; a server that never sends it gets our own cap after a second).
    let connected = false;
    let attached = false;
    let fallback: NodeJS.Timeout | undefined;
    const attach = () => {
      if (!connected || attached || this.closed || session.destroyed) return;
      attached = true;
      clearTimeout(fallback);
      this.session = session;
      this.pump();
    };
    session.on('remoteSettings', (settings) => {
      this.limit = Math.min(this.maxStreams, settings.maxConcurrentStreams ?? Infinity);
      if (attached) this.pump();
      else attach();
    });
    session.on('goaway', (_code, _lastStreamId, data) => {
      drop();
      this.opts.onGoaway?.(goawayReason(data));
    });
    session.on('close', () => {
      clearTimeout(fallback);
      drop();
      if (attached) return;
      // Closed before it could carry a push (a refused certificate shows up so under TLS 1.3).
      this.connecting = false;
      const err = this.sessionErrors.get(session);
      this.failQueued(err
        ? new ApnsTransportError(`APNs connection failed: ${err.message}`, err.code ?? 'session_error')
        : new ApnsTransportError(REFUSED_MESSAGE, 'closed_after_handshake'));
    });
    const onConnectError = (err: NodeJS.ErrnoException) => {
      this.connecting = false;
      clearTimeout(fallback);
      session.destroy();
      this.failQueued(new ApnsTransportError(`cannot connect to APNs at ${this.opts.url}: ${err.message}`, err.code ?? 'connect_error'));
    };
    session.once('error', onConnectError);
    session.once('connect', () => {
      this.connecting = false;
      session.removeListener('error', onConnectError);
      session.on('error', (err: NodeJS.ErrnoException) => {
        this.sessionErrors.set(session, err);
        drop();
      });
      if (this.closed) {
        session.destroy();
        return;
      }
      connected = true;
      if (this.limit !== PENDING_SETTINGS) attach();
      else fallback = setTimeout(() => { if (this.limit === PENDING_SETTINGS) this.limit = this.maxStreams; attach(); }, SETTINGS_WAIT_MS).unref();
    });
  }

  /** Time out requests with one sweeping timer rather than a timer per stream (cheaper at thousands/s). */
  private startSweeper(): void {
    this.sweeper = setInterval(() => {
      const cutoff = performance.now() - this.timeoutMs;
      for (const r of this.inflight) {
        if (r[EXCHANGE].started > cutoff) break; // insertion order = start order
        this.inflight.delete(r);
        this.timedOut.add(r);
        r.close(http2.constants.NGHTTP2_CANCEL);
      }
    }, Math.max(50, this.timeoutMs / 10)).unref();
  }

  private start(session: ClientHttp2Session, token: string, payload: string | Uint8Array, done: ApnsCallback): void {
    let req: PushStream;
    this.headers[':path'] = '/3/device/' + token;
    try {
      req = session.request(this.headers) as PushStream;
    } catch (err) {
      // The session went away (GOAWAY, close) since it was last looked at: queue and reconnect.
      if (this.session === session) this.session = null;
      this.queue.push({ token, payload, done });
      this.pump();
      return;
    }
    this.active++;
    req[EXCHANGE] = new Exchange(this, session, done, performance.now());
    this.inflight.add(req);
    if (!this.sweeper) this.startSweeper();
    req.on('response', onResponse);
    req.on('error', onError);
    req.on('close', onClose);
    req.end(payload);
  }

  /** @internal A stream's one outcome (later events for the same stream are ignored); frees its slot. */
  settle(req: PushStream, err: ApnsTransportError | null, res: ApnsResponse | null): void {
    if (!this.inflight.delete(req) && !this.timedOut.has(req)) return;
    this.timedOut.delete(req);
    this.active--;
    req[EXCHANGE].done(err, res);
    this.pump();
  }

  /** @internal A stream closed without an HTTP answer: say why. */
  unanswered(req: PushStream): void {
    const session = req[EXCHANGE].session;
    if (this.timedOut.has(req)) {
      this.settle(req, new ApnsTransportError(`no answer from APNs within ${this.timeoutMs} ms`, 'timeout'), null);
      return;
    }
    // The session's own error (a TLS alert, a reset) arrives after its streams close.
    setImmediate(() => {
      const err = this.sessionErrors.get(session);
      if (err) this.settle(req, new ApnsTransportError(`APNs connection failed: ${err.message}`, err.code ?? 'session_error'), null);
      else if (!this.answered.has(session)) this.settle(req, new ApnsTransportError(REFUSED_MESSAGE, 'closed_after_handshake'), null);
      else this.settle(req, new ApnsTransportError('APNs closed the stream without an answer', 'stream_closed'), null);
    });
  }
}

const NO_BODY = { reason: null, timestamp: null };

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
