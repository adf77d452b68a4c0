// Probes and metrics for load balancers, orchestrators and Prometheus:
//   GET /healthz  200 while the process is up (no database access);
//   GET /readyz   200 when the database answers and every migration is applied, else 503 with why;
//   GET /metrics  Prometheus text (prom-client); needs an API key (any role) unless --metrics-public.
// The request counter (updraft_http_requests_total) is an onResponse hook on every route.
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from './app.js';
import type { Metrics } from '../metrics/registry.js';
import { apiScope } from './api/scope.js';

/** How long /readyz waits for the database before answering 503. */
export const READY_TIMEOUT_MS = 2000;

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function registerMetrics(app: FastifyInstance, deps: AppDeps, metrics: Metrics): void {
  // A callback hook, not an async one: no promise per request.
  app.addHook('onResponse', (req, reply, done) => {
    metrics.httpRequests.inc({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: reply.statusCode });
    done();
  });
  const serve = async (_req: unknown, reply: import('fastify').FastifyReply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  if (deps.config.metricsPublic) app.get('/metrics', serve);
  else apiScope(app, deps, (api) => api.get('/metrics', { schema: { summary: 'Prometheus metrics (text format; any API key, or none with --metrics-public)', tags: ['Updraft'] } }, serve));
}

export function registerHealth(app: FastifyInstance, deps: AppDeps): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      const pending = await withTimeout(deps.store.pendingMigrations(), READY_TIMEOUT_MS);
      if (pending.length > 0) return reply.code(503).send({ status: 'not ready', reason: 'migrations not applied', pending_migrations: pending });
      return { status: 'ready' };
    } catch (err) {
      return reply.code(503).send({ status: 'not ready', reason: `database unreachable: ${(err as Error).message}` });
    }
  });
  if (deps.metrics) registerMetrics(app, deps, deps.metrics);
}
