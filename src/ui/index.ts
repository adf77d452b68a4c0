// The web dashboard under /ui: server-rendered pages over the same store and services as /v1.
// Everything but the sign-in page and the static assets needs a session; every POST needs the
// session's CSRF token (403 without it) and a role that may change things. Pages are registered
// by their modules in pages/, loaded on the first request to one (routes.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../http/app.js';
import { registerAssets } from './assets.js';
import { html, type Html } from './html.js';
import { notice, page } from './layout.js';
import { Sessions, canChange, singleKeyAccess, type KeyAccess, type Session } from './session.js';
import { registerLazyPages } from './routes.js';

export interface UiContext {
  deps: AppDeps;
  sessions: Sessions;
  /** The wall clock: last check-ins, sessions. */
  now: () => Date;
  /** The engines' clock (campaign times; simulated in tests and benches). */
  clock: () => Date;
}

/** The bad request or refusal of a dashboard route, shown as a page with its reason. */
export class UiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const sessionsOf = new WeakMap<FastifyRequest, Session>();

/** The session of a request that passed the dashboard's check (every route but sign-in and assets). */
export function sessionOf(req: FastifyRequest): Session {
  const s = sessionsOf.get(req);
  if (!s) throw new UiError(401, 'not signed in');
  return s;
}

/** Form fields of a POST (application/x-www-form-urlencoded), as strings. */
export function formOf(req: FastifyRequest): Record<string, string> {
  const b = req.body;
  return b && typeof b === 'object' ? (b as Record<string, string>) : {};
}

export function sendPage(reply: FastifyReply, body: Html, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(body.text);
}

const PUBLIC = new Set(['/ui/signin']);
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

export function registerUi(app: FastifyInstance, deps: AppDeps, keys?: KeyAccess): void {
  const ctx: UiContext = {
    deps,
    sessions: new Sessions(deps.config.apiKey, keys ?? singleKeyAccess(deps.config.apiKey)),
    now: () => new Date(),
    clock: deps.clock ?? (() => new Date()),
  };
  void app.register(async (ui) => {
    ui.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    ui.addHook('onSend', async (_req, reply, payload) => {
      reply.headers(SECURITY_HEADERS);
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
      return payload;
    });
    ui.addHook('preHandler', async (req, reply) => {
      const path = req.url.split('?')[0]!;
      if (PUBLIC.has(path) || path.startsWith('/ui/assets/')) return;
      const session = await ctx.sessions.read(req);
      if (!session) {
        if (req.method === 'GET' || req.method === 'HEAD') {
          const next = encodeURIComponent(req.url);
          if (req.headers['hx-request']) return reply.header('hx-redirect', `/ui/signin?next=${next}`).code(401).send('');
          return reply.redirect(`/ui/signin?next=${next}`, 303);
        }
        return sendPage(reply, page({ title: 'Not signed in', body: notice('error', 'Not signed in (or the session ended): sign in again.') }), 401);
      }
      if (req.method === 'POST') {
        const sent = formOf(req)._csrf ?? (req.headers['x-csrf-token'] as string | undefined);
        if (!Sessions.csrfMatches(session, sent)) {
          return sendPage(reply, page({ title: 'Refused', session, body: notice('error', 'Refused: this form lacks a valid CSRF token. Reload the page and try again.') }), 403);
        }
        sessionsOf.set(req, session);
        if (path !== '/ui/signout' && !canChange(session)) {
          return sendPage(reply, page({ title: 'Refused', session, body: notice('error', `Refused: the ${session.role} role changes nothing.`) }), 403);
        }
      }
      sessionsOf.set(req, session);
    });
    // Every change made from the dashboard goes to the API's audit log too (key, route, what it named, status).
    ui.addHook('onResponse', async (req, reply) => {
      const session = sessionsOf.get(req);
      const route = req.routeOptions.url;
      if (req.method !== 'POST' || !session || !route || route === '/ui/signout') return;
      const targets = Object.values((req.params ?? {}) as Record<string, string>).filter((v) => typeof v === 'string' && v !== '');
      try {
        await deps.store.addAudit({ at: new Date(), keyId: session.keyId, keyName: session.keyName, role: session.role, method: 'POST', route, targets, targetCount: targets.length, status: reply.statusCode });
      } catch (err) {
        req.log.error({ err, route }, 'audit entry not recorded');
      }
    });
    ui.setErrorHandler(async (err: Error & { statusCode?: number; validation?: unknown }, req, reply) => {
      const status = err instanceof UiError ? err.status : err.validation || (err.statusCode && err.statusCode < 500) ? (err.statusCode ?? 400) : 500;
      if (status >= 500) req.log.error({ err }, 'dashboard error');
      const message = status >= 500 ? 'Something went wrong on the server; the log has the details.' : err.message;
      const session = sessionsOf.get(req) ?? null;
      return sendPage(reply, page({ title: `Error ${status}`, session, body: html`<h1>Error ${status}</h1>${notice('error', message)}<p><a href="/ui">Back to the fleet</a></p>` }), status);
    });
    ui.get('/ui/', async (_req, reply) => reply.redirect('/ui', 301));
    registerAssets(ui);
    registerLazyPages(ui, ctx);
  });
}
