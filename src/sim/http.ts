// The simulator's HTTP client: node:http(s) with one keep-alive agent per process, so thousands
// of devices share a bounded set of connections to the server; with `newConnectionEvery` n, every
// n-th request says `Connection: close`, so the next one opens a new connection (as mdmb churns).
import http from 'node:http';
import https from 'node:https';

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export class Http {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly closeEvery: number;
  private readonly sockets = new WeakSet<object>();
  /** Requests sent and connections opened so far (a retried request counts twice). */
  requests = 0;
  connections = 0;
  private active = 0;

  constructor(opts: { maxSockets?: number; ca?: string; insecure?: boolean; newConnectionEvery?: number } = {}) {
    this.closeEvery = opts.newConnectionEvery ?? 0;
    const common = { keepAlive: true, maxSockets: opts.maxSockets ?? 64 };
    this.httpAgent = new http.Agent(common);
    this.httpsAgent = new https.Agent({ ...common, ca: opts.ca, rejectUnauthorized: !opts.insecure });
  }

  /** One request; a kept-alive socket the server closed meanwhile is retried once on a fresh one (Node's advice).
   * `signal` aborts it (the request then fails with an AbortError). */
  async request(method: string, url: string, body?: Buffer, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<HttpReply> {
    this.active++;
    try {
      return await this.once(method, url, body, headers, signal);
    } catch (err) {
      if ((err as { reused?: boolean }).reused && !signal?.aborted) return this.once(method, url, body, headers, signal);
      throw err;
    } finally {
      this.active--;
    }
  }

  /** Resolves once no request has been in flight for a few ticks (so what an answer set off has run too), or after `ms`. */
  async settled(ms: number): Promise<void> {
    const deadline = performance.now() + ms;
    for (let quiet = 0; quiet < 3 && performance.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 5));
      quiet = this.active ? 0 : quiet + 1;
    }
  }

  private once(method: string, url: string, body: Buffer | undefined, headers: Record<string, string>, signal?: AbortSignal): Promise<HttpReply> {
    const u = new URL(url);
    const secure = u.protocol === 'https:';
    const lib = secure ? https : http;
    const close = this.closeEvery > 0 && ++this.requests % this.closeEvery === 0;
    if (!this.closeEvery) this.requests++;
    return new Promise((resolve, reject) => {
      const req = lib.request(u, {
        method,
        agent: secure ? this.httpsAgent : this.httpAgent,
        signal,
        headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}), ...(close ? { connection: 'close' } : {}) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('socket', (s) => {
        if (!this.sockets.has(s)) this.connections++;
        this.sockets.add(s);
      });
      req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${url}: no answer within 60 s`)));
      req.on('error', (err: NodeJS.ErrnoException) => reject(Object.assign(err, { reused: req.reusedSocket && err.code === 'ECONNRESET' })));
      req.end(body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
