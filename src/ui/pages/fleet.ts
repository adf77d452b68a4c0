// The fleet page: devices by platform and OS version (a uPlot chart over a table that works without
// JavaScript), how many are on the latest release, behind and by how much, exposed to actively
// exploited CVEs, not seen for N days. Every figure links to the device list filtered to it.
// The figures come from the posture service (as GET /v1/os/summary) and the store's fleet overview.
import type { UiRoutes } from '../routes.js';
import { html, href, jsonScript, type Html } from '../html.js';
import { notice, page } from '../layout.js';
import { count, percent } from '../format.js';
import { sendPage, sessionOf, type UiContext } from '../index.js';

export const NOT_SEEN_DAYS = [7, 30, 90] as const;
/** Versions the chart shows (most devices first); the table lists them all. */
const CHART_VERSIONS = 24;

const devices = (params: Record<string, string | number | undefined>): string => href('/ui/devices', params);

function figure(label: string, n: number, total: number, link: string, kind = ''): Html {
  return html`<li class="figure ${kind}"><a href="${link}"><span class="n">${count(n)}</span><span class="label">${label}</span>${
    total ? html`<span class="share">${percent(n, total)}</span>` : ''}</a></li>`;
}

export function registerFleet(app: UiRoutes, ctx: UiContext): void {
  app.get('/ui', async (req, reply) => {
    const session = sessionOf(req);
    const now = ctx.now();
    const [{ summary: s, catalogs }, overview] = await Promise.all([
      ctx.deps.posture.summary({}),
      ctx.deps.store.fleetOverview(now, NOT_SEEN_DAYS),
    ]);
    const total = overview.devices;
    const chart = [...s.byVersion].sort((a, b) => b.devices - a.devices).slice(0, CHART_VERSIONS);
    const stale = catalogs.filter((c) => c.stale);
    const lastBucket = 5;
    const behindRows = [
      ...overview.behindBy.filter((b) => b.releases < lastBucket).map((b) => ({ label: `${b.releases} release${b.releases === 1 ? '' : 's'}`, n: b.devices, link: devices({ behind_min: b.releases, behind_max: b.releases }) })),
      ...(() => {
        const n = overview.behindBy.filter((b) => b.releases >= lastBucket).reduce((a, b) => a + b.devices, 0);
        return n ? [{ label: `${lastBucket} or more`, n, link: devices({ behind_min: lastBucket }) }] : [];
      })(),
    ];
    const body = html`<h1>Fleet</h1>
${catalogs.length === 0 ? notice('warn', html`No OS update catalog imported yet: every posture is unknown. Import one (<code>updraft catalog import</code>) or see the <a href="/ui/server">server page</a>.`) : ''}
${stale.length ? notice('warn', html`Stale catalogs: ${stale.map((c, i) => html`${i ? ', ' : ''}${c.kind} (${c.staleReason ?? `${c.ageDays} days old`})`)}.`) : ''}
<section aria-labelledby="posture-h">
  <h2 id="posture-h">OS update posture</h2>
  <ul class="figures">
    ${figure('devices', total, 0, devices({}))}
    ${figure('on the latest release', s.onLatest, s.devices, devices({ posture: 'latest' }), 'good')}
    ${figure('behind in their major', s.behind, s.devices, devices({ posture: 'behind' }), 'warn')}
    ${figure('could take a newer major', s.majorBehind, s.devices, devices({ posture: 'major_behind' }), 'info')}
    ${figure('exposed to actively exploited CVEs', s.exposedActivelyExploited, s.devices, devices({ posture: 'exploited' }), 'bad')}
    ${figure('posture unknown', s.unknown + Math.max(0, total - s.devices), total, devices({ posture: 'unknown' }))}
  </ul>
  ${s.outdated ? html`<p class="hint">${count(s.outdated)} postures are being recomputed against the current catalogs.</p>` : ''}
</section>
<div class="columns">
<section aria-labelledby="behind-h">
  <h2 id="behind-h">Behind by how much</h2>
  ${behindRows.length ? html`<table><caption class="sr-only">Devices behind the latest release of their major, by releases missed</caption>
    <thead><tr><th scope="col">Releases behind</th><th scope="col" class="num">Devices</th></tr></thead>
    <tbody>${behindRows.map((r) => html`<tr><th scope="row">${r.label}</th><td class="num"><a href="${r.link}">${count(r.n)}</a></td></tr>`)}</tbody>
  </table>` : html`<p>No device is behind in its major.</p>`}
</section>
<section aria-labelledby="seen-h">
  <h2 id="seen-h">Not seen</h2>
  <table><caption class="sr-only">Devices whose last check-in is older than</caption>
    <thead><tr><th scope="col">Last check-in older than</th><th scope="col" class="num">Devices</th></tr></thead>
    <tbody>${overview.notSeen.map((n) => html`<tr><th scope="row">${n.days} days</th><td class="num"><a href="${devices({ seen: n.days })}">${count(n.devices)}</a></td></tr>`)}</tbody>
  </table>
</section>
</div>
<section aria-labelledby="versions-h">
  <h2 id="versions-h">Devices by platform and OS version</h2>
  <figure class="chart" id="fleet-chart" data-chart="fleet" aria-describedby="versions-table-caption">
    ${jsonScript('fleet-chart-data', {
      labels: chart.map((v) => `${v.platform ?? '?'} ${v.osVersion ?? '?'}`),
      onLatest: chart.map((v) => v.onLatest),
      behind: chart.map((v) => v.devices - v.onLatest),
    })}
    <figcaption>The ${chart.length} most common versions; the table below lists every one.</figcaption>
  </figure>
  <div class="scroll"><table id="versions-table">
    <caption id="versions-table-caption">Devices per platform and OS version, newest first</caption>
    <thead><tr><th scope="col">Platform</th><th scope="col">OS version</th><th scope="col" class="num">Devices</th><th scope="col" class="num">On latest</th>
      <th scope="col" class="num">Behind</th><th scope="col" class="num">Exploited CVEs</th></tr></thead>
    <tbody>${s.byVersion.map((v) => {
      const base = { platform: v.platform ?? undefined, os: v.osVersion ?? undefined };
      return html`<tr><td>${v.platform ?? 'unknown'}</td><td>${v.osVersion ?? 'unknown'}</td>
        <td class="num"><a href="${devices(base)}">${count(v.devices)}</a></td>
        <td class="num"><a href="${devices({ ...base, posture: 'latest' })}">${count(v.onLatest)}</a></td>
        <td class="num"><a href="${devices({ ...base, posture: 'behind' })}">${count(v.behind)}</a></td>
        <td class="num"><a href="${devices({ ...base, posture: 'exploited' })}">${count(v.exposedActivelyExploited)}</a></td></tr>`;
    })}</tbody>
  </table></div>
</section>`;
    return sendPage(reply, page({ title: 'Fleet', section: 'fleet', session, charts: true, body }));
  });
}
