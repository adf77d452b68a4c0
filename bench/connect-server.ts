// The server side of bench/connect.ts, in its own process: Updraft's app with the core service on one
// port (no device identity: unsigned requests), the same app with device identity on another
// (Mdm-Signature verified against the bench's CA, certificates bound to enrollments, as `updraft
// serve` runs), and a bare fastify route on a third as the ceiling. The parent asks it over IPC for
// its process.cpuUsage() and the connections it accepted, to queue commands, and to close.
import { fork, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { buildPlist } from '../src/plist/index.js';

interface ChildMsg { op: 'cpu' | 'enqueue' | 'close'; seq: number; ids?: string[]; count?: number }
interface Ready { url: string; signedUrl: string; bareUrl: string }

async function runChild(): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const { default: pino } = await import('pino');
  const { randomUUID } = await import('node:crypto');
  const { buildApp } = await import('../src/http/app.js');
  const { createCoreService } = await import('../src/service/core.js');
  const { compose } = await import('../src/service/compose.js');
  const { setupIdentity } = await import('../src/identity/index.js');
  const { UnconfiguredPusher } = await import('../src/push/unconfigured.js');
  const { openTestStore } = await import('../test/helpers/store.js');
  const { DEFAULT_BODY_LIMIT } = await import('../src/config.js');

  const store = await openTestStore();
  const config = {
    listen: '127.0.0.1:0', dataDir: '', db: process.env.UPDRAFT_TEST_DB ?? 'sqlite', apiKey: 'bench', webhookUrl: null,
    webhookSecret: null, publicUrl: 'http://127.0.0.1', tlsCert: null, tlsKey: null, pushTopic: null,
    bodyLimit: DEFAULT_BODY_LIMIT, retentionDays: 0, logLevel: 'warn', certHeader: null, identityOptional: true,
    // A few devices sending hundreds of requests a second each: far over the per-device limit (20/s),
    // which a real fleet never nears. Raised out of the way, its bucket lookup still counted.
    deviceRateLimit: 1e6,
  };
  const logger = pino({ level: 'warn' });
  // --metrics: the server as `updraft serve` runs it, every store call timed and every request counted.
  let app;
  if (process.env.UPDRAFT_BENCH_METRICS === '1') {
    const { createMetrics } = await import('../src/metrics/registry.js');
    const { metricsMiddleware, timedStore } = await import('../src/metrics/wrap.js');
    const metrics = createMetrics(store, logger);
    const timed = timedStore(store, metrics);
    const service = compose(createCoreService({ store: timed }), metricsMiddleware(metrics));
    app = await buildApp({ config, store: timed, logger, pusher: new UnconfiguredPusher({ store: timed, logger }), service, metrics });
  } else {
    app = await buildApp({ config, store, logger, pusher: new UnconfiguredPusher({ store, logger }), service: createCoreService({ store }) });
  }
  await app.listen({ host: '127.0.0.1', port: 0 });

  // Device identity on: the bench's CA is the trust anchor, Mdm-Signature is required and verified.
  const signedConfig = { ...config, identityOptional: false };
  const anchors = [new X509Certificate(Buffer.from(process.env.UPDRAFT_BENCH_CA!, 'base64'))];
  const identity = setupIdentity({ config: signedConfig, anchors, store, logger });
  const signed = await buildApp({
    // at error level: the parent's one unsigned request, a check that identity is on, is refused with a warning
    config: signedConfig, store, logger: logger.child({}, { level: 'error' }), pusher: new UnconfiguredPusher({ store, logger }), identity: identity.resolver,
    service: compose(createCoreService({ store }), identity.middleware),
  });
  await signed.listen({ host: '127.0.0.1', port: 0 });

  const bare = Fastify({ bodyLimit: DEFAULT_BODY_LIMIT });
  bare.removeAllContentTypeParsers();
  bare.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  bare.put('/mdm', async (_req, reply) => reply.code(200).send());
  await bare.listen({ host: '127.0.0.1', port: 0 });

  const url = (a: { server: { address(): unknown } }) => {
    const addr = a.server.address();
    return `http://127.0.0.1:${addr && typeof addr === 'object' ? (addr as { port: number }).port : 0}`;
  };
  let connections = 0;
  for (const a of [app, signed, bare]) a.server.on('connection', () => connections++);
  process.send!({ url: url(app), signedUrl: url(signed), bareUrl: url(bare) } satisfies Ready);

  process.on('message', (m: ChildMsg) => {
    void (async () => {
      if (m.op === 'cpu') return process.send!({ seq: m.seq, cpu: process.cpuUsage(), connections });
      if (m.op === 'enqueue') {
        for (let i = 0; i < (m.count ?? 0); i++) {
          const uuid = randomUUID();
          const raw = Buffer.from(buildPlist({
            CommandUUID: uuid,
            Command: { RequestType: 'DeviceInformation', Queries: ['OSVersion', 'BuildVersion', 'SerialNumber', 'ModelName', 'SoftwareUpdateDeviceID'] },
          }));
          await store.enqueue({ uuid, requestType: 'DeviceInformation', raw, at: new Date() }, m.ids ?? []);
        }
        return process.send!({ seq: m.seq });
      }
      await app.close();
      await signed.close();
      await bare.close();
      await store.close();
      process.send!({ seq: m.seq }, () => process.exit(0));
    })();
  });
}

/** The parent's handle on the server process. */
export class Server {
  private seq = 0;
  private waiting = new Map<number, (m: Record<string, unknown>) => void>();
  private constructor(readonly child: ChildProcess, readonly url: string, readonly signedUrl: string, readonly bareUrl: string) {
    child.on('message', (m: { seq?: number }) => {
      if (m.seq !== undefined) this.waiting.get(m.seq)?.(m as Record<string, unknown>);
    });
  }

  /** A server on `db` whose signed app trusts the CA certificate `caDer`. */
  static start(db: string, caDer: Buffer): Promise<Server> {
    const child = fork(fileURLToPath(import.meta.url), ['--child'], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, UPDRAFT_TEST_DB: db, UPDRAFT_BENCH_CA: caDer.toString('base64') },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      child.once('message', (m: Ready) => resolve(new Server(child, m.url, m.signedUrl, m.bareUrl)));
      child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    });
  }

  call(op: ChildMsg['op'], extra: Partial<ChildMsg> = {}): Promise<Record<string, unknown>> {
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.waiting.set(seq, (m) => { this.waiting.delete(seq); resolve(m); });
      this.child.send({ op, seq, ...extra });
    });
  }

  /** The server's CPU ms so far, and the connections it has accepted. */
  async sample(): Promise<{ cpuMs: number; connections: number }> {
    const { cpu, connections } = (await this.call('cpu')) as unknown as { cpu: NodeJS.CpuUsage; connections: number };
    return { cpuMs: (cpu.user + cpu.system) / 1000, connections };
  }
}

if (process.argv.includes('--child')) await runChild();
