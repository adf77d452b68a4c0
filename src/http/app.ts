// The fastify app: routes only. Each route module exports register*(app, deps) and is wired here.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Store } from '../storage/types.js';
import type { Pusher } from '../push/types.js';
import type { MdmService } from '../service/types.js';
import { registerMdm, type IdentityResolver } from './mdm.js';
import { registerPush } from './pushcert.js';

export interface AppDeps {
  config: Config;
  store: Store;
  pusher: Pusher;
  logger: Logger;
  /** The composed MDM service (core + middlewares) behind /mdm, /checkin, /mdm/checkin, /mdm/connect. */
  service: MdmService;
  /** Resolves the device identity certificate of an MDM request (Mdm-Signature, mTLS or header). */
  identity?: IdentityResolver;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.config.bodyLimit,
    disableRequestLogging: true,
    maxParamLength: 2000,
  });
  // Route modules are registered below, one line each.
  await registerMdm(app, deps);
  registerPush(app, deps);
  return app;
}
