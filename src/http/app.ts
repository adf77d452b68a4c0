// The fastify app: routes only. Each route module exports register*(app, deps) and is wired here.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Store } from '../storage/types.js';
import type { Pusher } from '../push/types.js';

export interface AppDeps {
  config: Config;
  store: Store;
  pusher: Pusher;
  logger: Logger;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: deps.config.bodyLimit,
    disableRequestLogging: true,
    maxParamLength: 2000,
  });
  // Route modules are registered below, one line each.
  return app;
}
