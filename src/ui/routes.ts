// The dashboard's routes, registered at startup while the pages' code (src/ui/pages and what only they
// import: 0.2 MB of a started server's live heap) is loaded on the first request to one of them: a
// server whose dashboard is never opened never loads it. test/ui/routes.test.ts checks this table against what the pages register.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { UiContext } from './index.js';

export const UI_ROUTES: ReadonlyArray<readonly ['GET' | 'POST', string]> = [
  ['GET', '/ui/signin'],
  ['POST', '/ui/signin'],
  ['POST', '/ui/signout'],
  ['GET', '/ui'],
  ['GET', '/ui/devices'],
  ['GET', '/ui/devices/:id'],
  ['POST', '/ui/devices/:id/actions/:action'],
  ['POST', '/ui/devices/:id/queue/:uuid/cancel'],
  ['GET', '/ui/devices/:id/commands/:uuid'],
  ['GET', '/ui/campaigns'],
  ['GET', '/ui/campaigns/:id'],
  ['GET', '/ui/campaigns/:id/live'],
  ['POST', '/ui/campaigns/:id/pause'],
  ['POST', '/ui/campaigns/:id/resume'],
  ['POST', '/ui/campaigns/:id/cancel'],
  ['GET', '/ui/campaigns/new'],
  ['POST', '/ui/campaigns/new'],
  ['GET', '/ui/server'],
];

type Handler = (req: FastifyRequest, reply: FastifyReply) => unknown;
/** What a page module registers its routes on: the real app's get/post, or a recorder of their handlers. */
export type UiRoutes = Pick<FastifyInstance, 'get' | 'post'>;

/** The pages' handlers by "METHOD url", each page registering on a recorder instead of the app. */
export async function loadPageHandlers(ctx: UiContext): Promise<Map<string, Handler>> {
  const { registerPages } = await import('./pages/index.js');
  const handlers = new Map<string, Handler>();
  // Route options (a schema, a config) would be lost on the lazy route: a page passing any is refused.
  const record = (method: string) => (url: string, handler: unknown, extra?: unknown) => {
    if (typeof handler !== 'function' || extra !== undefined) throw new Error(`dashboard route ${method} ${url}: options are not carried to the lazy route`);
    handlers.set(`${method} ${url}`, handler as Handler);
  };
  registerPages({ get: record('GET'), post: record('POST') } as unknown as UiRoutes, ctx);
  return handlers;
}

/** Registers every UI_ROUTES entry on `app`; the first request to any loads the pages (once per app). */
export function registerLazyPages(app: FastifyInstance, ctx: UiContext): void {
  let pages: Promise<Map<string, Handler>> | undefined;
  for (const [method, url] of UI_ROUTES) {
    const key = `${method} ${url}`;
    app.route({
      method,
      url,
      handler: async (req, reply) => {
        const handler = (await (pages ??= loadPageHandlers(ctx))).get(key);
        if (!handler) throw new Error(`no dashboard page registers ${key}`);
        return handler(req, reply);
      },
    });
  }
}
