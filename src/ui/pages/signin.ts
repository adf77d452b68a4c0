// Sign in with an API key (the key becomes a session cookie; the key itself is never stored in
// the browser), and sign out.
import type { FastifyRequest } from 'fastify';
import type { UiRoutes } from '../routes.js';
import { html } from '../html.js';
import { notice, page } from '../layout.js';
import { setCookie } from '../session.js';
import { formOf, sendPage, sessionOf, type UiContext } from '../index.js';

/** Only our own pages as the place to go after signing in. */
function nextPath(v: string | undefined): string {
  return v && /^\/ui(\/|\?|$)/.test(v) && !v.startsWith('//') ? v : '/ui';
}

export function registerSignin(app: UiRoutes, ctx: UiContext): void {
  function form(req: FastifyRequest, next: string, error: string | null) {
    const { token, cookie } = ctx.sessions.signinToken(req);
    const body = html`<section class="signin">
<h1>Sign in to Updraft</h1>
${error ? notice('error', error) : ''}
<form method="post" action="/ui/signin">
  <input type="hidden" name="_signin" value="${token}">
  <input type="hidden" name="next" value="${next}">
  <label for="key">API key</label>
  <input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
  <p class="hint">The server's API key (<code>cat data/api-key</code>) or another key it knows. It is checked once and
  exchanged for a session cookie.</p>
  <button type="submit">Sign in</button>
</form>
</section>`;
    return { body: page({ title: 'Sign in', body }), cookie };
  }

  app.get<{ Querystring: { next?: string } }>('/ui/signin', async (req, reply) => {
    const { body, cookie } = form(req, nextPath(req.query.next), null);
    if (cookie) setCookie(reply, cookie);
    return sendPage(reply, body);
  });

  app.post('/ui/signin', async (req, reply) => {
    const f = formOf(req);
    if (!ctx.sessions.signinTokenMatches(req, f._signin)) {
      const { body, cookie } = form(req, nextPath(f.next), 'The sign-in form had expired or lacked its token: try again.');
      if (cookie) setCookie(reply, cookie);
      return sendPage(reply, body, 403);
    }
    const cookie = await ctx.sessions.signIn(req, (f.key ?? '').trim());
    if (!cookie) {
      req.log.warn({ ip: req.ip }, 'dashboard sign-in refused: wrong API key');
      return sendPage(reply, form(req, nextPath(f.next), 'Wrong API key.').body, 401);
    }
    setCookie(reply, cookie);
    return reply.redirect(nextPath(f.next), 303);
  });

  app.post('/ui/signout', async (req, reply) => {
    setCookie(reply, ctx.sessions.signOut(req, sessionOf(req)));
    return reply.redirect('/ui/signin', 303);
  });
}
