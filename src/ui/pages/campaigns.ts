// Campaigns: the list, and one campaign's live view — devices per state and per wave, progress over
// time (uPlot), each device with its state and reason (filterable by state, paged) — refreshed by
// htmx every few seconds while it runs (a plain Refresh link without JavaScript); pause, resume,
// cancel. Counts and shapes come from the same functions as GET /v1/campaigns/{id}.
import type { UiRoutes } from '../routes.js';
import { html, href, jsonScript, type Html } from '../html.js';
import { page } from '../layout.js';
import { count, when } from '../format.js';
import { UiError, sendPage, sessionOf, type UiContext } from '../index.js';
import { canChange, type Session } from '../session.js';
import { campaignJson } from '../../http/api/campaign-views.js';
import { CampaignStateError, DEVICE_STATES } from '../../osupdate/campaign/index.js';
import type { CampaignRecord } from '../../storage/types.js';
import { registerCampaignForm } from './campaign-form.js';

const PAGE = 100;
const LIVE_SECONDS = 2;
type View = ReturnType<typeof campaignJson> & { counts: Record<string, number>; devices: number; progress: number; waves: Array<{ wave: number; released: boolean; counts: Record<string, number> }> };
const camp = (id: string): string => `/ui/campaigns/${encodeURIComponent(id)}`;

function progressBar(percent: number): Html {
  return html`<div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${percent}" aria-label="Done"><span style="width: ${Math.min(100, Math.max(0, percent))}%"></span></div>`;
}

export function registerCampaigns(app: UiRoutes, ctx: UiContext): void {
  const engine = ctx.deps.campaigns;
  const { store } = ctx.deps;

  async function view(c: CampaignRecord): Promise<View> {
    return campaignJson(c, await store.campaignCounts(c.id)) as View;
  }

  async function known(id: string): Promise<CampaignRecord> {
    const c = await store.campaignGet(id);
    if (!c) throw new UiError(404, `unknown campaign: ${id}`);
    return c;
  }

  app.get('/ui/campaigns', async (req, reply) => {
    const session = sessionOf(req);
    const list = await Promise.all((await store.campaignList({ limit: 100 })).map(view));
    const body = html`<h1>Campaigns</h1>
${!engine ? html`<p>The campaign engine is not running in this server.</p>` : canChange(session) ? html`<p><a class="button" href="/ui/campaigns/new">New campaign</a></p>` : ''}
${list.length === 0 ? html`<p>No campaign yet.</p>` : html`<div class="scroll"><table><caption class="sr-only">Campaigns, newest first</caption>
<thead><tr><th scope="col">Name</th><th scope="col">State</th><th scope="col" class="num">Devices</th><th scope="col">Done</th><th scope="col">Wave</th><th scope="col">Created</th></tr></thead>
<tbody>${list.map((c) => html`<tr><td><a href="${camp(String(c.id))}">${String(c.name)}</a></td><td>${String(c.state)}</td><td class="num">${count(c.devices)}</td>
<td>${c.progress} %</td><td>${String(c.wave)} of ${c.waves.length}</td><td>${String(c.created_at)}</td></tr>`)}</tbody></table></div>`}`;
    return sendPage(reply, page({ title: 'Campaigns', section: 'campaigns', session, body }));
  });

  if (!engine) return;
  registerCampaignForm(app, ctx, engine);

  /** The live part: counts per state and wave, the chart, the device table (one state, paged). */
  async function live(c: CampaignRecord, q: { state?: string; after?: string }, session: Session, counted?: View): Promise<Html> {
    const v = counted ?? await view(c);
    const states = q.state ? q.state.split(',').filter(Boolean) : undefined;
    const unknown = states?.find((s) => !DEVICE_STATES.includes(s));
    if (unknown) throw new UiError(400, `unknown device state ${JSON.stringify(unknown)} (one of ${DEVICE_STATES.join(', ')})`);
    const [rows, series] = await Promise.all([
      store.campaignDevices(c.id, { states, limit: PAGE, after: q.after }),
      seriesOf(c, v.devices),
    ]);
    const running = c.state === 'running' || c.state === 'paused';
    const used = DEVICE_STATES.filter((s) => v.counts[s]);
    const self = (extra: Record<string, string | undefined>) => href(camp(c.id), { state: q.state, ...extra });
    return html`<div id="live"${running ? html` hx-get="${href(`${camp(c.id)}/live`, { state: q.state, after: q.after })}" hx-trigger="every ${LIVE_SECONDS}s" hx-swap="outerHTML"` : ''}>
<p class="state" role="status" id="campaign-status"><strong>${c.state}</strong> · ${v.progress} % done · ${count(v.counts.done ?? 0)} of ${count(v.devices)} devices · wave ${String(v.wave)} of ${v.waves.length}
${running ? html` · <a href="${self({})}">Refresh</a>` : ''}</p>
${progressBar(v.progress)}
${controls(c, session)}
<div class="columns">
<section aria-labelledby="states-h"><h2 id="states-h">Devices per state</h2>
<table><thead><tr><th scope="col">State</th><th scope="col" class="num">Devices</th></tr></thead>
<tbody>${used.map((s) => html`<tr><th scope="row"><a href="${href(camp(c.id), { state: s })}">${s}</a></th><td class="num" data-state="${s}">${count(v.counts[s]!)}</td></tr>`)}</tbody></table></section>
<section aria-labelledby="waves-h"><h2 id="waves-h">Per wave</h2>
<table><thead><tr><th scope="col">Wave</th><th scope="col">Released</th><th scope="col">States</th></tr></thead>
<tbody>${v.waves.map((w) => html`<tr><th scope="row">${w.wave}</th><td>${w.released ? 'yes' : 'not yet'}</td><td>${Object.entries(w.counts).map(([s, n]) => `${s} ${n}`).join(', ') || '—'}</td></tr>`)}</tbody></table></section>
</div>
<h2>Progress over time</h2>
<figure class="chart" data-chart="progress" id="progress-chart">${jsonScript('progress-data', series)}
<figcaption>Share of the campaign's devices done, by time (UTC).</figcaption></figure>
<h2 id="devices-h">Devices${states ? ` ${states.join(', ')}` : ''}</h2>
<p>Filter: <a href="${camp(c.id)}"${!q.state ? html` aria-current="true"` : ''}>all</a>${used.map((s) => html` · <a href="${href(camp(c.id), { state: s })}"${q.state === s ? html` aria-current="true"` : ''}>${s}</a>`)}</p>
<div class="scroll"><table id="campaign-devices"><caption class="sr-only">Devices of the campaign with state and reason</caption>
<thead><tr><th scope="col">Device</th><th scope="col">State</th><th scope="col">Reason</th><th scope="col">OS</th><th scope="col">Target</th><th scope="col">Path</th><th scope="col">Wave</th><th scope="col">Updated</th></tr></thead>
<tbody>${rows.map((d) => html`<tr><td><a href="/ui/devices/${encodeURIComponent(d.deviceId)}">${d.deviceId}</a></td><td>${d.state}</td><td>${d.reason ?? ''}</td>
<td>${d.osVersion ?? '—'}</td><td>${d.targetVersion ?? '—'}</td><td>${d.path ?? '—'}</td><td>${d.wave + 1}</td><td class="nowrap">${when(d.updatedAt)}</td></tr>`)}</tbody></table></div>
${rows.length === PAGE ? html`<p><a href="${self({ after: rows.at(-1)!.deviceId })}">Next ${PAGE} →</a></p>` : ''}
</div>`;
  }

  /** Cumulative share done per time bucket, from the campaign's start to now (engine clock). */
  async function seriesOf(c: CampaignRecord, total: number): Promise<{ t: number[]; percent: number[] }> {
    const start = c.createdAt.getTime();
    const end = (c.endedAt ?? ctx.clock()).getTime();
    const bucket = Math.max(1000, Math.ceil((end - start) / 120));
    const points = await store.campaignDoneSeries(c.id, bucket);
    const t = [start / 1000];
    const percent = [0];
    let done = 0;
    for (const p of points) {
      done += p.done;
      t.push(Math.max(start, p.at.getTime() + bucket) / 1000);
      percent.push(total ? Math.round((done / total) * 1000) / 10 : 0);
    }
    if (end / 1000 > t.at(-1)!) {
      t.push(end / 1000);
      percent.push(percent.at(-1)!);
    }
    return { t, percent };
  }

  function controls(c: CampaignRecord, session: Session): Html {
    if (!canChange(session) || c.state === 'done' || c.state === 'cancelled') return html``;
    const actions = c.state === 'running' ? ['pause', 'cancel'] : ['resume', 'cancel'];
    return html`<div class="actions">${actions.map((a) => html`<form method="post" action="${camp(c.id)}/${a}">
<input type="hidden" name="_csrf" value="${session.csrf}"><button type="submit"${a === 'cancel' ? html` class="danger"` : ''}>${a[0]!.toUpperCase()}${a.slice(1)}</button></form>`)}</div>`;
  }

  app.get<{ Params: { id: string }; Querystring: { state?: string; after?: string } }>('/ui/campaigns/:id', async (req, reply) => {
    const session = sessionOf(req);
    const c = await known(req.params.id);
    const v = await view(c);
    const spec = v.spec as Record<string, unknown>;
    const body = html`<p><a href="/ui/campaigns">← Campaigns</a></p>
<h1>${c.name}</h1>
<details><summary>Options</summary><pre>${JSON.stringify(spec, null, 2)}</pre></details>
<p class="hint">Created ${when(c.createdAt)}${c.endedAt ? `, ended ${when(c.endedAt)}` : ''}.</p>
${await live(c, req.query, session, v)}`;
    return sendPage(reply, page({ title: c.name, section: 'campaigns', session, charts: true, body }));
  });

  app.get<{ Params: { id: string }; Querystring: { state?: string; after?: string } }>('/ui/campaigns/:id/live', async (req, reply) => {
    const session = sessionOf(req);
    const c = await known(req.params.id);
    return reply.type('text/html; charset=utf-8').send((await live(c, req.query, session)).text);
  });

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    app.post<{ Params: { id: string } }>(`/ui/campaigns/:id/${action}`, async (req, reply) => {
      const c = await known(req.params.id);
      try {
        await engine[action](c.id);
      } catch (err) {
        if (err instanceof CampaignStateError) throw new UiError(err.statusCode, err.message);
        throw err;
      }
      return reply.redirect(camp(c.id), 303);
    });
  }
}
