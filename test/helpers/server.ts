// A real Updraft HTTP server for tests: a fresh test store (UPDRAFT_TEST_DB), the app built by buildApp,
// listening on 127.0.0.1 on a free port.
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { DEFAULT_BODY_LIMIT, type Config } from '../../src/config.js';
import { buildApp, type AppInput } from '../../src/http/app.js';
import type { IdentityResolver } from '../../src/http/mdm.js';
import type { Pusher } from '../../src/push/types.js';
import { UnconfiguredPusher } from '../../src/push/unconfigured.js';
import { compose } from '../../src/service/compose.js';
import { createCoreService, type CoreOptions } from '../../src/service/core.js';
import type { MdmMiddleware, MdmService } from '../../src/service/types.js';
import type { Store } from '../../src/storage/types.js';
import type { Pki } from '../../src/pki/pki.js';
import { openTestStore } from './store.js';
import { Catalogs } from '../../src/osupdate/catalog/service.js';
import type { PostureService } from '../../src/osupdate/posture/service.js';

export const TEST_API_KEY = 'test-api-key';

export interface TestServerOptions {
  config?: Partial<Config>;
  /** Options for the core MDM service (store is filled in; pushTopic defaults to config.pushTopic). */
  core?: Omit<CoreOptions, 'store'>;
  /** Middlewares around the core service, outermost first. */
  middlewares?: MdmMiddleware[] | ((store: Store, config: Config) => MdmMiddleware[]);
  /** Replaces the whole MDM service. */
  service?: (store: Store, config: Config) => MdmService;
  identity?: IdentityResolver;
  pusher?: Pusher;
  /** Use this store instead of opening a fresh one (it is not closed by close()). */
  store?: Store;
  /** Log level for the server (default "silent"; set UPDRAFT_TEST_LOG to see logs). */
  logLevel?: string;
  /** Use this logger (e.g. one writing to a stream the test reads). */
  logger?: Logger;
  /** The catalog service (default: one over the test store, re-reading the stored catalogs on every view()). */
  catalogs?: (store: Store, config: Config) => Catalogs;
  /** The posture service (default: one over the test store and the catalog service). */
  posture?: (store: Store, config: Config, catalogs: Catalogs) => PostureService;
  /** CA, SCEP and profile signing (e.g. (store, config) => loadPki(config, store)); /scep and /mdm/enroll need it. */
  pki?: (store: Store, config: Config) => Pki;
  /** Shorter connection time limits (slow-client tests). */
  timeouts?: AppInput['timeouts'];
}

export interface TestServer {
  /** Base URL, e.g. http://127.0.0.1:40123 (no trailing slash). */
  url: string;
  store: Store;
  app: FastifyInstance;
  config: Config;
  close(): Promise<void>;
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    listen: '127.0.0.1:0',
    dataDir: '',
    db: process.env.UPDRAFT_TEST_DB ?? 'sqlite',
    apiKey: TEST_API_KEY,
    webhookUrl: null,
    webhookSecret: null,
    publicUrl: 'https://mdm.example.test',
    tlsCert: null,
    tlsKey: null,
    pushTopic: null,
    bodyLimit: DEFAULT_BODY_LIMIT,
    retentionDays: 0,
    logLevel: 'silent',
    certHeader: null,
    identityOptional: true,
    ...overrides,
  };
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const config = testConfig(opts.config);
  const store = opts.store ?? (await openTestStore());
  const middlewares = typeof opts.middlewares === 'function' ? opts.middlewares(store, config) : (opts.middlewares ?? []);
  const service = opts.service
    ? opts.service(store, config)
    : compose(createCoreService({ pushTopic: config.pushTopic, ...opts.core, store }), ...middlewares);
  const logger = opts.logger ?? pino({ level: process.env.UPDRAFT_TEST_LOG ?? opts.logLevel ?? 'silent' });
  const pki = opts.pki?.(store, config);
  const catalogs = opts.catalogs?.(store, config) ?? new Catalogs({ store, logger, maxAgeDays: config.catalogMaxAgeDays, recheckMs: 0 });
  const posture = opts.posture?.(store, config, catalogs);
  const deps: AppInput = { config, store, pusher: opts.pusher ?? new UnconfiguredPusher({ store, logger }), logger, service, identity: opts.identity, pki, catalogs, posture, timeouts: opts.timeouts };
  const app = await buildApp(deps);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('test server has no TCP address');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    store,
    app,
    config,
    async close() {
      await app.close();
      if (!opts.store) await store.close();
    },
  };
}
