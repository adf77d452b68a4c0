// A round-robin HTTP load balancer for multi-node tests: each request (not each connection) goes
// to the next backend, so a device behind it talks to another node at every request. The backends
// can be changed at any time (a node taken out of rotation after it died).
import { createServer, request, type IncomingHttpHeaders } from 'node:http';

export interface Balancer {
  url: string;
  backends: string[];
  /** Requests sent to each backend. */
  sent: Map<string, number>;
  close(): Promise<void>;
}

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host']);

function forwardable(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(headers).filter((e): e is [string, string | string[]] => e[1] !== undefined && !HOP.has(e[0])));
}

export async function startBalancer(backends: string[]): Promise<Balancer> {
  let next = 0;
  const sent = new Map<string, number>();
  const balancer = { url: '', backends: [...backends], sent } as Balancer;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const backend = balancer.backends[next++ % balancer.backends.length]!;
      sent.set(backend, (sent.get(backend) ?? 0) + 1);
      const up = request(new URL(req.url ?? '/', backend), { method: req.method, headers: forwardable(req.headers) }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, forwardable(answer.headers));
        answer.pipe(res);
      });
      up.on('error', () => res.headersSent ? res.destroy() : res.writeHead(502).end('backend unreachable'));
      up.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  balancer.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  balancer.close = () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); });
  return balancer;
}
