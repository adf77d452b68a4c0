// The fake APNs's side channel, plain HTTP/1.1 for a simulator in another process:
//   GET  /wakes?since=SEQ[&token=HEX,HEX][&timeout=MS]  long-poll: {next, wakes:[{seq, token, topic, pushMagic, at}]}
//   POST /respond    {"token": HEX|"*", "responses": [{"status": 429, "reason": "TooManyRequests"}]}
//   POST /unregister {"token": HEX}       later pushes to it answer 410 Unregistered
//   POST /goaway     {"reason"?: string}  GOAWAY on every APNs session
//   GET  /stats      {pushes, sessions}
// A simulator keeps `next` as its cursor and polls again; wakes are kept in memory (see FakeApns keep).
import http from 'node:http';
import type { FakeApns, FakePush, FakeResponse } from './fake-apns.js';

export interface WakeChannel {
  url: string;
  close(): Promise<void>;
}

const MAX_WAIT_MS = 60_000;

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > 1 << 20) throw new Error('body too large');
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const value: unknown = text ? JSON.parse(text) : {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('expected a JSON object');
  return value as Record<string, unknown>;
}

function isResponse(v: unknown): v is FakeResponse {
  const r = v as FakeResponse;
  return typeof r === 'object' && r !== null && Number.isInteger(r.status) && r.status >= 200 && r.status < 600 && (r.reason === undefined || typeof r.reason === 'string');
}

export async function startWakeChannel(fake: FakeApns, opts: { host: string; port: number }): Promise<WakeChannel> {
  const pending = new Set<() => void>();

  const poll = (url: URL, res: http.ServerResponse) => {
    const since = Number(url.searchParams.get('since') ?? 0);
    const list = url.searchParams.get('token')?.toLowerCase().split(',').filter(Boolean);
    const tokens = list ? new Set(list) : null;
    const timeout = Math.min(Number(url.searchParams.get('timeout') ?? 30_000) || 0, MAX_WAIT_MS);
    if (!Number.isFinite(since) || since < 0) return send(res, 400, { error: 'since must be a sequence number' });
    const wanted = (p: FakePush) => !tokens || tokens.has(p.token);
    const found = () => fake.pushes({ since }).filter(wanted);
    const reply = (wakes: FakePush[]) => send(res, 200, { next: wakes.length ? wakes[wakes.length - 1].seq : since, wakes });
    const now = found();
    if (now.length || timeout === 0) return reply(now);
    const done = () => {
      clearTimeout(timer);
      off();
      pending.delete(done);
    };
    const timer = setTimeout(() => { done(); reply([]); }, timeout);
    const off = fake.onPush((p) => {
      if (!wanted(p)) return;
      done();
      setImmediate(() => reply(found())); // gather pushes arriving in the same tick
    });
    pending.add(done);
    res.on('close', done);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method === 'GET' && url.pathname === '/wakes') return poll(url, res);
    if (req.method === 'GET' && url.pathname === '/stats') return send(res, 200, { pushes: fake.pushes().length, sessions: fake.sessions });
    if (req.method !== 'POST') return send(res, 404, { error: 'not found' });
    readJson(req).then(
      (body) => {
        const token = typeof body.token === 'string' ? body.token : null;
        switch (url.pathname) {
          case '/respond':
            if (!token || !Array.isArray(body.responses) || !body.responses.every(isResponse)) {
              return send(res, 400, { error: 'expected {token, responses: [{status, reason?}]}' });
            }
            fake.respond(token, ...body.responses);
            return send(res, 200, { ok: true });
          case '/unregister':
            if (!token) return send(res, 400, { error: 'expected {token}' });
            fake.unregister(token);
            return send(res, 200, { ok: true });
          case '/goaway':
            fake.goaway(typeof body.reason === 'string' ? body.reason : undefined);
            return send(res, 200, { ok: true });
          default:
            return send(res, 404, { error: 'not found' });
        }
      },
      (err: Error) => send(res, 400, { error: err.message }),
    );
  });
  await new Promise<void>((resolve) => server.listen(opts.port, opts.host, resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`,
    close: () => {
      for (const done of pending) done();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
