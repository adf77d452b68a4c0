// The server page: the APNs push certificate (topic, expiry, a warning from 30 days before), the ADE
// server tokens of the DEP names (expiry, warned from 30 days before, as the API and the log do), the CA
// and SCEP, webhook delivery backlog, OS update catalog freshness, DDM sets, and the enrollment
// profile to download. Read-only: what changes these stays in the CLI and the API.
import type { UiRoutes } from '../routes.js';
import { createHash } from 'node:crypto';
import { html, type Html } from '../html.js';
import { notice, page } from '../layout.js';
import { count, when } from '../format.js';
import { sendPage, sessionOf, type UiContext } from '../index.js';
import { ENROLL_PATH } from '../../http/enroll.js';
import { depNameView } from '../../dep/service.js';

export const PUSH_CERT_WARN_DAYS = 30;
const DAY = 86_400_000;

const facts = (rows: Array<[string, Html | string | number | null]>): Html =>
  html`<dl class="facts">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v ?? '—'}</dd>`)}</dl>`;

/** A URL without its user name and password (webhook URLs may carry them). */
function safeUrl(u: string): string {
  try {
    const url = new URL(u);
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return '(not a URL)';
  }
}

export function registerServerPage(app: UiRoutes, ctx: UiContext): void {
  const { store, config, pki, catalogs } = ctx.deps;
  app.get('/ui/server', async (req, reply) => {
    const session = sessionOf(req);
    const now = ctx.now();
    const [cert, backlog, states, sets, deps] = await Promise.all([store.getPushCert(), store.outboxPending(), catalogs.states(), store.ddmListSets(), store.listDepNames()]);
    const depNames = deps.map((d) => depNameView(d, now));
    const daysLeft = cert ? Math.floor((cert.notAfter.getTime() - now.getTime()) / DAY) : null;
    const pushWarning = !cert
      ? notice('warn', html`No push certificate imported: devices cannot be woken and cannot enroll. See <code>updraft pushcert</code>.`)
      : daysLeft! < 0 ? notice('error', `The push certificate expired on ${when(cert.notAfter)}: renew it at Apple's portal with the same Apple ID, then import it (updraft pushcert --cert).`)
      : daysLeft! <= PUSH_CERT_WARN_DAYS ? notice('warn', `The push certificate expires in ${daysLeft} day${daysLeft === 1 ? '' : 's'} (${when(cert.notAfter)}): renew it now with the same Apple ID, or devices stop answering.`)
      : '';
    const catalogRows = states.map((s) => ({ s, status: catalogs.statusOf(s) }));
    const ca = pki?.ca.x509;
    const body = html`<h1>Server</h1>
<section aria-labelledby="push-h"><h2 id="push-h">Push certificate</h2>
${pushWarning}
${cert ? facts([['Topic', html`<code>${cert.topic}</code>`], ['Expires', `${when(cert.notAfter)} (in ${daysLeft} days)`], ['Imported', when(cert.updatedAt)]]) : ''}
</section>
<section aria-labelledby="dep-h"><h2 id="dep-h">ADE server tokens</h2>
${depNames.length === 0 ? html`<p>No DEP name: see <code>updraft dep tokenpki NAME</code>.</p>` : html`${depNames.filter((d) => d.warning).map((d) => notice((d.days_left ?? 0) < 0 ? 'error' : 'warn', d.warning!))}
<div class="scroll"><table><caption class="sr-only">DEP names and the expiry of their server tokens</caption>
<thead><tr><th scope="col">DEP name</th><th scope="col">Consumer key</th><th scope="col">Token expires</th><th scope="col" class="num">Days left</th></tr></thead>
<tbody>${depNames.map((d) => html`<tr><th scope="row">${d.name}</th><td>${d.consumer_key ?? 'no token yet'}</td><td>${d.token_expires_at ? when(new Date(d.token_expires_at)) : '—'}</td><td class="num">${d.days_left ?? '—'}</td></tr>`)}</tbody></table></div>`}
</section>
<section aria-labelledby="ca-h"><h2 id="ca-h">CA and SCEP</h2>
${ca ? facts([
  ['CA subject', ca.subject.replace(/\n/g, ', ')],
  ['CA valid until', when(new Date(ca.validTo))],
  ['CA SHA-256', html`<code>${createHash('sha256').update(pki!.ca.certDer).digest('hex').replace(/(..)(?!$)/g, '$1:')}</code>`],
  ['SCEP URL', html`<code>${new URL('/scep', config.publicUrl).toString()}</code>`],
  ['Certificate validity', `${config.certValidityDays ?? 365} days`],
]) : html`<p>This server runs without its CA (no SCEP, no enrollment profile).</p>`}
</section>
<section aria-labelledby="enroll-h"><h2 id="enroll-h">Enrollment profile</h2>
${pki ? html`<p><a class="button" href="${ENROLL_PATH}" download="enroll.mobileconfig">Download the signed enrollment profile</a>
<a href="${ENROLL_PATH}?unsigned=1" download="enroll-unsigned.mobileconfig">unsigned</a></p>
<p class="hint">Devices can also browse to <code>${new URL(ENROLL_PATH, config.publicUrl).toString()}</code>.</p>` : html`<p>Not available without the CA.</p>`}
</section>
<section aria-labelledby="webhook-h"><h2 id="webhook-h">Webhook</h2>
${facts([['URL', config.webhookUrl ? html`<code>${safeUrl(config.webhookUrl)}</code>` : 'none (events are not sent)'], ['Waiting for delivery', count(backlog)]])}
${config.webhookUrl && backlog > 1000 ? notice('warn', `${count(backlog)} events wait for delivery: is the webhook receiver up?`) : ''}
</section>
<section aria-labelledby="catalogs-h"><h2 id="catalogs-h">OS update catalogs</h2>
${catalogRows.length === 0 ? notice('warn', html`No catalog imported: OS posture and campaigns need one (<code>updraft catalog import</code> or <code>--catalog-url</code>).`) : html`<div class="scroll"><table>
<caption class="sr-only">Imported catalogs and their freshness</caption>
<thead><tr><th scope="col">Kind</th><th scope="col">Source</th><th scope="col">Fetched</th><th scope="col">Last confirmed</th><th scope="col" class="num">Age (days)</th><th scope="col">State</th></tr></thead>
<tbody>${catalogRows.map(({ s, status }) => html`<tr><th scope="row">${s.kind}</th><td>${s.source ?? '—'}</td><td>${when(s.fetchedAt)}</td><td>${when(s.checkedAt)}</td>
<td class="num">${status?.ageDays ?? '—'}</td>
<td>${status?.stale ? html`<span class="badge warn">stale</span> ${status.staleReason ?? ''}` : status ? html`<span class="badge good">fresh</span>` : html`<span class="badge">none held</span>`}${
  s.lastError ? html`<br><span class="badge bad">last error</span> ${when(s.lastError.at)}: ${s.lastError.message}` : ''}</td></tr>`)}</tbody></table></div>`}
</section>
<section aria-labelledby="ddm-h"><h2 id="ddm-h">DDM sets</h2>
${sets.length === 0 ? html`<p>No declaration set.</p>` : html`<div class="scroll"><table><caption class="sr-only">Declaration sets</caption>
<thead><tr><th scope="col">Set</th><th scope="col" class="num">Declarations</th><th scope="col" class="num">Enrollments</th><th scope="col">Updated</th></tr></thead>
<tbody>${sets.map((s) => html`<tr><th scope="row">${s.name}</th><td class="num">${s.declarations.length}</td><td class="num">${count(s.enrollments)}</td><td>${when(s.updatedAt)}</td></tr>`)}</tbody></table></div>`}
</section>`;
    return sendPage(reply, page({ title: 'Server', section: 'server', session, body }));
  });
}
