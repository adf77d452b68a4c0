// The composition root: from a Config to a running Updraft server (store, CA, identity, push,
// MDM service chain, HTTP app, background workers). The CLI's `serve` and the end-to-end tests use it.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { buildApp, type AppDeps } from './http/app.js';
import { openStore } from './storage/index.js';
import type { Store } from './storage/types.js';
import { loadPki } from './pki/pki.js';
import { setupIdentity } from './identity/index.js';
import { createPusher } from './push/index.js';
import { startRepushWorker } from './push/repush.js';
import { compose } from './service/compose.js';
import { migrationMiddleware } from './service/migration.js';
import { wakeOnce } from './service/wake.js';
import { createCoreService } from './service/core.js';
import type { Observer } from './service/observers.js';
import { campaignObserver, createCampaignEngine, DEFAULT_CAMPAIGN_POLL_SECONDS, startCampaignTimer } from './osupdate/campaign/index.js';
import { inventoryObserver } from './osupdate/inventory/observer.js';
import { DEFAULT_INVENTORY_INTERVAL_SECONDS, startInventorySchedule } from './osupdate/inventory/schedule.js';
import { startRetention } from './service/retention.js';
import { ensureApiKey } from './secrets.js';
import { createDdm, ddmEnableMiddleware } from './ddm/index.js';
import { startWebhookWorker, webhookMiddleware } from './webhook/index.js';
import { Catalogs } from './osupdate/catalog/service.js';
import { PostureService, startPostureWorker } from './osupdate/posture/service.js';
import { recomputePostureOnChange } from './osupdate/posture/hook.js';
import { startCatalogRefresh } from './osupdate/catalog/refresh.js';
import { createMetrics } from './metrics/registry.js';
import { countingPusher, metricsMiddleware, timedStore } from './metrics/wrap.js';
import { adeMiddleware } from './dep/ade-middleware.js';
import { depLookupFrom, loadAdeAnchors } from './dep/ade-enroll.js';
import { DEFAULT_DEP_SYNC_SECONDS, startDepSyncer } from './dep/syncer.js';
import { startDepTokenWatch } from './dep/watch.js';

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  deps: AppDeps;
  /** Where the API key is stored (null when it was given by flag or environment). */
  apiKeyFile: string | null;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Use this store instead of opening config.db (it is closed by close()). */
  store?: Store;
  /** The engines' clock (tests and benches run campaigns on a simulated one); default: the wall clock. */
  clock?: () => Date;
  /** Real ms between campaign timer passes (default: half the poll interval, at most 5 s). */
  campaignTickMs?: number;
}

/** host:port → parts; a bare port listens on all interfaces. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[?([^\]]*)\]?:)?(\d+)$/.exec(listen.trim());
  if (!m) throw new Error(`--listen must be HOST:PORT or PORT, got ${JSON.stringify(listen)}`);
  return { host: m[1] || '0.0.0.0', port: Number(m[2]) };
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? pino({ level: config.logLevel });
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const apiKey = ensureApiKey(dataDir, config.apiKey);
  config = { ...config, dataDir, apiKey: apiKey.key };

  const opened = opts.store ?? (await openStore({ db: config.db, dataDir, logger, warm: true }));
  // Every storage call is timed and every push outcome counted for /metrics.
  const metrics = createMetrics(opened, logger);
  const store = timedStore(opened, metrics);
  const stops: Array<() => Promise<void> | void> = [];
  let closePusher: () => Promise<void> = async () => {};
  try {
    const pki = loadPki(config, store, logger);
    const identity = setupIdentity({ config, anchors: pki.trustAnchors, store, logger });
    const pusher = countingPusher(await createPusher({ store, config, logger }), metrics);
    closePusher = () => pusher.close();

    // Engines that learn from devices (results, check-ins, DDM status) register here.
    const inventoryInterval = config.inventoryIntervalSeconds ?? DEFAULT_INVENTORY_INTERVAL_SECONDS;
    const catalogs = new Catalogs({ store, logger, maxAgeDays: config.catalogMaxAgeDays });
    // Posture follows each inventory change (the observer writes through a store that recomputes it).
    const posture = new PostureService({ store, inventory: store, catalogs, logger, now: opts.clock });
    const inventoryStore = recomputePostureOnChange(store, posture, logger);
    const observers: Observer[] = [inventoryObserver({ store: inventoryStore, pusher, logger, query: inventoryInterval > 0 })];
    const ddm = createDdm({ store, pusher, logger, webhooks: Boolean(config.webhookUrl), observers });
    const core = createCoreService({ store, pushTopic: config.pushTopic, declarative: ddm.handler, observers, logger });
    const webhooks = config.webhookUrl ? [webhookMiddleware(store, { logger })] : [];
    const ddmAuto = config.ddmAuto === false ? [] : [ddmEnableMiddleware({ store, ddm, logger })];
    const ade = adeMiddleware({ store, inventory: inventoryStore, pusher, logger });
    // wakeOnce: every push a request's follow-ups ask for goes out once, after them (service/wake.ts).
    const wake = wakeOnce({ store, pusher, logger });
    const service = compose(core, metricsMiddleware(metrics), wake, identity.middleware, ...webhooks, ...ddmAuto, ade);
    // NanoMDM's /migration: the old server's stored check-ins, without identity or webhooks.
    const migration = compose(core, wake, migrationMiddleware(store), ...ddmAuto);
    const pollMs = (config.campaignPollSeconds ?? DEFAULT_CAMPAIGN_POLL_SECONDS) * 1000;
    const campaigns = createCampaignEngine({
      store, pusher, ddm, catalog: () => catalogs.view(), now: opts.clock ?? (() => new Date()), pollMs, logger, webhooks: Boolean(config.webhookUrl),
      inventory: async (ids) => new Map((await store.listInventory(ids)).map((i) => [i.deviceId, i])),
    });
    observers.push(campaignObserver(campaigns));
    const adeAnchors = loadAdeAnchors(config.adeDeviceCaFiles);
    const deps: AppDeps = {
      config, store, pusher, logger, service, identity: identity.resolver, pki, catalogs, campaigns, posture, clock: opts.clock, adeAnchors, depLookup: depLookupFrom(store, { logger, now: opts.clock }), metrics, migration,
    };
    const app = await buildApp(deps);

    const repush = startRepushWorker({ store, pusher, interval: (config.repushIntervalSeconds ?? 3600) * 1000, logger, leases: store });
    stops.push(() => repush.stop());
    const campaignTimer = startCampaignTimer(campaigns, { pollMs, tickMs: opts.campaignTickMs, logger });
    stops.push(() => campaignTimer.stop());
    const postureWorker = startPostureWorker({ service: posture, logger });
    stops.push(() => postureWorker.stop());
    if (inventoryInterval > 0) {
      const schedule = startInventorySchedule({ store, pusher, interval: inventoryInterval * 1000, logger });
      stops.push(() => schedule.stop());
    }
    const depTokens = startDepTokenWatch({ store, logger });
    stops.push(() => depTokens.stop());
    const depSync = config.depSyncSeconds ?? DEFAULT_DEP_SYNC_SECONDS;
    if (depSync > 0) {
      const syncer = startDepSyncer({ store, logger, now: opts.clock, intervalSeconds: depSync });
      stops.push(() => syncer.stop());
    }
    const retention = startRetention({ store, days: config.retentionDays, logger });
    stops.push(() => retention.stop());
    if (config.catalogUrls && Object.keys(config.catalogUrls).length > 0) {
      const refresh = startCatalogRefresh({ catalogs, urls: config.catalogUrls, intervalSeconds: config.catalogRefreshSeconds, logger, leases: store });
      stops.push(() => refresh.stop());
    }
    if (config.webhookUrl) {
      const delivery = startWebhookWorker({ store, url: config.webhookUrl, secret: config.webhookSecret, logger, timeoutMs: (config.webhookTimeoutSeconds || 10) * 1000 });
      stops.push(() => delivery.stop());
    }

    const { host, port } = parseListen(config.listen);
    await app.listen({ host, port });
    const addr = app.server.address();
    const bound = addr && typeof addr !== 'string' ? addr.port : port;
    const scheme = config.tlsCert ? 'https' : 'http';
    const url = `${scheme}://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${bound}`;
    stops.unshift(() => app.close());

    return {
      url,
      app,
      deps,
      apiKeyFile: apiKey.file,
      // Graceful: the HTTP server stops accepting and finishes the requests in flight, then the
      // workers stop (each after its current pass), then pushes in flight end, then the store closes.
      async close() {
        for (const stop of stops) await stop();
        await closePusher();
        await store.close();
      },
    };
  } catch (err) {
    for (const stop of stops) await stop();
    await closePusher();
    await store.close();
    throw err;
  }
}
