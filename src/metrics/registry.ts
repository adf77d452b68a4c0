// The Prometheus metrics of one server (prom-client, a registry per server so several servers in one
// process, as in tests, keep theirs apart). Counters are bumped where things happen (wrap.ts, the
// HTTP hook in http/health.ts); gauges are read from the store on each scrape.
import type * as Prom from 'prom-client';
import type { Logger } from 'pino';
import type { OpsStore, OutboxStore } from '../storage/types.js';
// prom-client's own modules rather than its index, which also loads its Summary, Pushgateway and cluster
// aggregator (and Node's cluster module): ~0.7 MB of heap the server never uses. (The bundle also
// leaves out @opentelemetry/api, which the CPU metric loads for exemplars only: scripts/build.mjs.)
import Registry from 'prom-client/lib/registry.js';
import Counter from 'prom-client/lib/counter.js';
import Gauge from 'prom-client/lib/gauge.js';
import Histogram from 'prom-client/lib/histogram.js';
import collectDefaultMetrics from 'prom-client/lib/defaultMetrics.js';
type Registry = Prom.Registry;
type Counter<T extends string> = Prom.Counter<T>;
type Histogram<T extends string> = Prom.Histogram<T>;

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  checkins: Counter<'message_type'>;
  commandResults: Counter<'status'>;
  pushes: Counter<'outcome'>;
  dbQuery: Histogram<'op'>;
}

/** Store calls take from ~20 µs (SQLite, cached) to seconds (a fleet-wide query on a busy PostgreSQL). */
const DB_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export function createMetrics(store: Pick<OpsStore, 'queueDepth' | 'campaignDeviceStates'> & Pick<OutboxStore, 'outboxPending'>, logger?: Logger): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'updraft_' });
  const registers = [registry];
  // A scrape while the database is away answers the counters and leaves the gauges out.
  const read = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      logger?.warn({ err, gauge: what }, 'metrics gauge not read');
    }
  };
  new Gauge({
    name: 'updraft_queue_depth', help: 'Commands queued and not yet answered, over every enrollment', registers,
    async collect() {
      await read('queue_depth', async () => this.set(await store.queueDepth()));
    },
  });
  new Gauge({
    name: 'updraft_webhook_backlog', help: 'Webhook events not yet delivered', registers,
    async collect() {
      await read('webhook_backlog', async () => this.set(await store.outboxPending()));
    },
  });
  new Gauge({
    name: 'updraft_campaign_devices', help: 'Devices of running and paused campaigns, by state', labelNames: ['state'], registers,
    async collect() {
      await read('campaign_devices', async () => {
        const states = await store.campaignDeviceStates();
        this.reset();
        for (const [state, n] of Object.entries(states)) this.set({ state }, n);
      });
    },
  });
  return {
    registry,
    httpRequests: new Counter({ name: 'updraft_http_requests_total', help: 'HTTP requests by route pattern and status', labelNames: ['method', 'route', 'status'], registers }),
    checkins: new Counter({ name: 'updraft_checkins_total', help: 'Check-in messages by MessageType', labelNames: ['message_type'], registers }),
    commandResults: new Counter({ name: 'updraft_command_reports_total', help: 'Command-channel reports by status (Idle, Acknowledged, Error, CommandFormatError, NotNow)', labelNames: ['status'], registers }),
    pushes: new Counter({ name: 'updraft_pushes_total', help: 'APNs pushes by outcome (sent, or the APNs reason or transport error)', labelNames: ['outcome'], registers }),
    dbQuery: new Histogram({ name: 'updraft_db_query_seconds', help: 'Time of each storage call, by store method', labelNames: ['op'], buckets: DB_BUCKETS, registers }),
  };
}
