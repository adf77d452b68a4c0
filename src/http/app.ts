// The fastify app: routes only. Each route module exports register*(app, deps) and is wired here.
import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { MAX_HEADER_BYTES, type Config } from '../config.js';
import type { Store } from '../storage/types.js';
import { storageFault } from '../storage/errors.js';
import type { Pusher } from '../push/types.js';
import type { MdmService } from '../service/types.js';
import { registerOpenApi } from './api/openapi.js';
import { registerNanoMdm } from './api/nanomdm.js';
import { registerMicroMdm } from './api/micromdm.js';
import { registerEnrollments } from './api/enrollments.js';
import { registerCertificates } from './api/certificates.js';
import { registerCommands } from './api/commands.js';
import { registerMdm, type IdentityResolver } from './mdm.js';
import { registerPush } from './pushcert.js';
import type { Pki } from '../pki/pki.js';
import { registerScep, SCEP_PATHS } from './scep.js';
import { registerEnroll } from './enroll.js';
import { registerChallenge } from './challenge.js';
import { registerDdm } from './api/ddm.js';
import { registerCatalogs } from './api/catalogs.js';
import { registerCampaigns } from './api/campaigns.js';
import type { CampaignEngine } from '../osupdate/campaign/index.js';
import { Catalogs } from '../osupdate/catalog/service.js';
import { registerInventory } from './api/inventory.js';
import { PostureService } from '../osupdate/posture/service.js';
import { registerOs } from './api/os.js';
import { registerAde } from './ade.js';
import { registerDepDevices } from './api/dep-devices.js';
import type { X509Certificate } from 'node:crypto';
import type { DepDeviceLookup } from '../dep/ade-enroll.js';
import { registerApiKeys } from './api/apikeys.js';
import { apiKeyAccess } from './api/auth.js';
import { registerHealth } from './health.js';
import { registerMigration } from './migration.js';
import type { Metrics } from '../metrics/registry.js';
import { registerAudit } from './api/audit.js';
import { registerUi } from '../ui/index.js';
import { registerDep } from './api/dep.js';
import { registerDepProxy } from './api/dep-proxy.js';
import { lazySerializerBuilder, lazyValidatorBuilder } from './lazy-validators.js';

export interface AppDeps {
  config: Config;
  store: Store;
  pusher: Pusher;
  logger: Logger;
  /** The composed MDM service (core + middlewares) behind /mdm, /checkin, /mdm/checkin, /mdm/connect. */
  service: MdmService;
  /** Resolves the device identity certificate of an MDM request (Mdm-Signature, mTLS or header). */
  identity?: IdentityResolver;
  /** CA, SCEP server, challenges and profile signer (src/pki/pki.ts loadPki); without it /scep, /mdm/enroll and /v1/challenge are absent. */
  pki?: Pki;
  /** OS update catalogs: imports, their state, and the merged CatalogView (catalogs.view()). */
  catalogs: Catalogs;
  /** The OS update campaign engine; without it the campaign routes are absent. */
  campaigns?: CampaignEngine;
  /** Device and fleet OS update posture (GET /v1/devices/{id}/os, /v1/os/summary). */
  posture: PostureService;
  /** Apple's device CA (--ade-device-ca): ADE MachineInfo signers must chain to it; none: ADE enrollment is refused. */
  adeAnchors?: readonly X509Certificate[];
  /** Finds a serial among the DEP devices synced from Apple Business Manager. */
  depLookup?: (serial: string) => Promise<DepDeviceLookup | null>;
  /** The engines' clock (simulated in tests and benches); the dashboard shows times against it. Default: the wall clock. */
  clock?: () => Date;
  /** Prometheus metrics: with them, /metrics answers and every request is counted. */
  metrics?: Metrics;
  /** The service behind NanoMDM's PUT /migration (service/migration.ts); without it the route is absent. */
  migration?: MdmService;
}

/** What buildApp takes: AppDeps, where a missing catalog or posture service is made over the store. */
export type AppInput = Omit<AppDeps, 'catalogs' | 'posture'> & {
  catalogs?: Catalogs;
  posture?: PostureService;
  /** Shorter connection time limits (tests of slow clients); default SERVER_TIMEOUTS. */
  timeouts?: Partial<ServerTimeouts>;
};

/** A route as registered: its methods and URL pattern. */
export interface RouteEntry {
  methods: string[];
  url: string;
}

const routeLists = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Every route of an app built by buildApp (the fuzz test walks them all). */
export function routesOf(app: FastifyInstance): readonly RouteEntry[] {
  return routeLists.get(app) ?? [];
}

/** Time limits on every connection (ms): documented in docs/operations.md. */
export interface ServerTimeouts {
  headersTimeout: number;
  requestTimeout: number;
  connectionTimeout: number;
  keepAliveTimeout: number;
}

export const SERVER_TIMEOUTS: Readonly<ServerTimeouts> = {
  /** The request line and headers. */
  headersTimeout: 20_000,
  /** The whole request, body included (a 10 MB body at 200 KB/s). */
  requestTimeout: 60_000,
  /** A socket with no traffic at all. */
  connectionTimeout: 60_000,
  /** An idle keep-alive connection (above the 60 s idle timeout load balancers use). */
  keepAliveTimeout: 72_000,
};

export async function buildApp(input: AppInput): Promise<FastifyInstance> {
  const catalogs = input.catalogs ?? new Catalogs({ store: input.store, logger: input.logger, maxAgeDays: input.config.catalogMaxAgeDays });
  const deps: AppDeps = {
    ...input,
    catalogs,
    posture: input.posture ?? new PostureService({ store: input.store, inventory: input.store, catalogs, logger: input.logger }),
  };
  // With a certificate and key Updraft terminates TLS itself and asks devices for their identity
  // certificate (mTLS); without them it speaks plain HTTP behind a TLS proxy. Either way the request
  // head may be up to MAX_HEADER_BYTES, and one path parameter as long (NanoMDM's 10,000 ids).
  const { tlsCert, tlsKey } = deps.config;
  const maxHeaderSize = MAX_HEADER_BYTES;
  const limits = { ...SERVER_TIMEOUTS, ...input.timeouts };
  // Node checks the head and request time limits every connectionsCheckingInterval (30 s by default).
  const serverOptions = { maxHeaderSize, connectionsCheckingInterval: Math.min(1000, limits.headersTimeout) };
  const https = tlsCert && tlsKey
    ? { cert: readFileSync(tlsCert), key: readFileSync(tlsKey), requestCert: true, rejectUnauthorized: false, ...serverOptions }
    : null;
  const app = Fastify({
    ...(https ? { https } : { http: serverOptions }),
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.config.bodyLimit,
    logController: new LogController({ disableRequestLogging: true }),
    // Route schemas compile on first use (Ajv included), not at startup: see lazy-validators.ts.
    schemaController: { compilersFactory: { buildValidator: lazyValidatorBuilder() as never, buildSerializer: lazySerializerBuilder() as never } },
    routerOptions: { maxParamLength: MAX_HEADER_BYTES },
    // Slow clients are bounded (slowloris): the head must arrive within HEADERS_TIMEOUT_MS and the
    // whole request within REQUEST_TIMEOUT_MS; a connection silent for CONNECTION_TIMEOUT_MS is closed.
    requestTimeout: limits.requestTimeout,
    connectionTimeout: limits.connectionTimeout,
    keepAliveTimeout: limits.keepAliveTimeout,
  }) as unknown as FastifyInstance;
  app.server.headersTimeout = limits.headersTimeout;
  // A NUL in the path or query is no valid identifier anywhere (and PostgreSQL text cannot hold one).
  // SCEP is the exception: its `message` parameter is DER, which clients such as mdmb percent-encode
  // byte for byte into the query, zero bytes included.
  app.addHook('onRequest', async (req, reply) => {
    const q = req.url.indexOf('?');
    const path = q < 0 ? req.url : req.url.slice(0, q);
    const checked = SCEP_PATHS.includes(path) ? path : req.url;
    if (/%00/.test(checked) || checked.includes('\0')) return reply.code(400).send({ error: 'NUL character in the request URL' });
  });
  // Routes outside the API and MDM scopes (SCEP, enrollment, DDM assets): database faults are 503/507/400.
  app.setErrorHandler((err, req, reply) => {
    const fault = storageFault(err);
    if (!fault) return reply.send(err);
    if (fault.status >= 500) req.log.error({ err: (err as Error).message, url: req.url }, `request failed: ${fault.reason}`);
    return reply.code(fault.status).send({ error: fault.reason });
  });
  const routes: RouteEntry[] = [];
  routeLists.set(app, routes);
  app.addHook('onRoute', (r) => void routes.push({ methods: [r.method].flat().filter((m) => m !== 'HEAD'), url: r.url }));
  app.decorateRequest('apiPrincipal', null);
  // Route modules are registered below, one line each.
  registerOpenApi(app, deps); // first: it documents the API routes registered after it
  await registerMdm(app, deps);
  registerNanoMdm(app, deps);
  registerMicroMdm(app, deps);
  registerEnrollments(app, deps);
  registerCertificates(app, deps);
  registerCommands(app, deps);
  registerPush(app, deps);
  registerScep(app, deps);
  registerEnroll(app, deps);
  registerChallenge(app, deps);
  registerDdm(app, deps);
  registerCatalogs(app, deps);
  registerOs(app, deps);
  registerCampaigns(app, deps);
  registerInventory(app, deps);
  registerDep(app, deps);
  registerDepProxy(app, deps);
  registerAde(app, deps);
  registerDepDevices(app, deps);
  registerApiKeys(app, deps);
  registerAudit(app, deps);
  registerHealth(app, deps);
  registerMigration(app, deps);
  registerUi(app, deps, apiKeyAccess(deps.config.apiKey, deps.store)); // the web dashboard under /ui; signs in with any live API key
  return app;
}
