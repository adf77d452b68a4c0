// A local webhook receiver for tests: records each POST and answers with the status the test chooses.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Status for the next request (called per request); 'hang' never answers. */
  respond: (n: number) => number | 'hang';
  /** Most requests that were being answered at the same time. */
  maxInFlight: number;
  /** Resolves once `count` requests have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** delayMs: each answer is sent that long after the request arrived. */
export async function startReceiver(respond: Receiver['respond'] = () => 200, delayMs = 0): Promise<Receiver> {
  const received: Received[] = [];
  const hanging = new Set<() => void>();
  const r = { respond, maxInFlight: 0 } as Receiver;
  let inFlight = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const status = r.respond(received.length);
      if (status === 'hang') {
        hanging.add(() => res.destroy());
        return;
      }
      inFlight++;
      r.maxInFlight = Math.max(r.maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(status).end();
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(r, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    async waitFor(count: number, timeoutMs = 5000) {
      const end = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > end) throw new Error(`receiver got ${received.length} of ${count} requests`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async close() {
      for (const drop of hanging) drop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  return r;
}
