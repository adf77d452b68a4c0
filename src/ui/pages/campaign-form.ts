// Creating a campaign from the dashboard: a form with the CLI's options (`updraft campaign create`),
// turned into the API's body by the CLI's own reshaping (cli/campaign-request.ts), then the engine's
// dry run shown — per state and per device — before a confirm button creates it.
import type { UiRoutes } from '../routes.js';
import { html, type Html } from '../html.js';
import { notice, page } from '../layout.js';
import { count } from '../format.js';
import { UiError, formOf, sendPage, sessionOf, type UiContext } from '../index.js';
import type { Session } from '../session.js';
import { createBody, type CreateFlags } from '../../cli/campaign-request.js';
import { CliError } from '../../cli/client.js';
import { CampaignInputError, type CampaignEngine } from '../../osupdate/campaign/index.js';

interface Field {
  name: string;
  label: string;
  hint: string;
  flag?: keyof CreateFlags;
  kind?: 'text' | 'checkbox' | 'select' | 'textarea';
  options?: string[];
  required?: boolean;
}

/** The form's fields: one per `updraft campaign create` option. */
export const FIELDS: readonly Field[] = [
  { name: 'name', flag: 'name', label: 'Name', hint: 'What the campaign is called.', required: true },
  { name: 'select', label: 'Select', hint: 'KEY=VALUE, comma-separated: platform, model, os_min, os_max, tag, ids (platform=macOS,os_max=14).' },
  { name: 'ids', flag: 'ids', label: 'Enrollment IDs', hint: 'Comma-separated, instead of or beside Select.' },
  { name: 'all', flag: 'all', label: 'Every enrolled device', hint: '', kind: 'checkbox' },
  { name: 'target', flag: 'target', label: 'Target', hint: 'latest, latest-minor, latest-major, minimum:VERSION, or VERSION[:BUILD] such as 26.6.2.', required: true },
  { name: 'waves', flag: 'waves', label: 'Waves', hint: 'Cumulative shares released one after the other, e.g. 5%,25%,100% (default 100%).' },
  { name: 'window', flag: 'window', label: 'Maintenance window', hint: '"DAYS HH:MM-HH:MM [ZONE]", e.g. Mon-Fri 19:00-23:00 (default: any time).' },
  { name: 'time_zone', flag: 'timeZone', label: 'Time zone', hint: 'IANA zone of the deadline and window, or "device" (default UTC).' },
  { name: 'deadline', flag: 'deadline', label: 'Deadline', hint: 'Install by then, e.g. 2026-12-15T18:00.' },
  { name: 'max_in_flight', flag: 'maxInFlight', label: 'Max in flight', hint: 'At most this many devices updating at once.' },
  { name: 'retries', flag: 'retries', label: 'Retries', hint: 'Attempts after the first before a device is failed (default 3).' },
  { name: 'install_action', flag: 'installAction', label: 'Install action', hint: 'macOS before the deadline (default InstallASAP).', kind: 'select', options: ['', 'InstallASAP', 'InstallLater', 'Default', 'InstallForceRestart'] },
  { name: 'install_within_hours', flag: 'installWithinHours', label: 'Install within (hours)', hint: 'DDM: enforced this long after a wave starts (default 24).' },
  { name: 'max_user_deferrals', flag: 'maxUserDeferrals', label: 'Max user deferrals', hint: 'With InstallLater (macOS minor updates).' },
  { name: 'details_url', flag: 'detailsUrl', label: 'Details URL', hint: 'A page about the update shown on the DDM path.' },
  { name: 'success_rate', flag: 'successRate', label: 'Success rate to promote', hint: 'Promote the next wave once this share (0-1) of a wave is done (default 0.9).' },
  { name: 'soak_seconds', flag: 'soakSeconds', label: 'Soak (seconds)', hint: 'And once the wave has run this long (default 0).' },
  { name: 'ddm_settings', label: 'DDM settings (JSON)', hint: 'A softwareupdate.settings payload for devices on the DDM path.', kind: 'textarea' },
];

type Values = Record<string, string>;

/** The API's campaign body from the form, through the CLI's reshaping. */
export function bodyOf(v: Values, dryRun: boolean): Record<string, unknown> {
  const flags: Record<string, unknown> = { name: v.name ?? '', target: v.target ?? '', dryRun };
  for (const f of FIELDS) {
    const value = v[f.name]?.trim();
    if (!f.flag || f.name === 'name' || f.name === 'target' || !value) continue;
    flags[f.flag] = f.kind === 'checkbox' ? true : value;
  }
  if (v.select?.trim()) flags.select = [v.select.trim()];
  const body = createBody(flags as unknown as CreateFlags);
  if (v.ddm_settings?.trim()) {
    try {
      body.ddm_settings = JSON.parse(v.ddm_settings);
    } catch (err) {
      throw new CampaignInputError('ddm_settings', `is not JSON: ${(err as Error).message}`);
    }
  }
  return body;
}

function input(f: Field, v: Values): Html {
  const id = `c-${f.name}`;
  const value = v[f.name] ?? '';
  const hint = f.hint ? html`<span class="hint" id="${id}-hint">${f.hint}</span>` : '';
  const described = f.hint ? html` aria-describedby="${id}-hint"` : '';
  if (f.kind === 'checkbox') return html`<div class="field"><label><input type="checkbox" id="${id}" name="${f.name}" value="1"${value ? html` checked` : ''}> ${f.label}</label></div>`;
  if (f.kind === 'select') return html`<div class="field"><label for="${id}">${f.label}</label><select id="${id}" name="${f.name}"${described}>${f.options!.map((o) => html`<option value="${o}"${o === value ? html` selected` : ''}>${o || 'default'}</option>`)}</select> ${hint}</div>`;
  if (f.kind === 'textarea') return html`<div class="field"><label for="${id}">${f.label}</label><textarea id="${id}" name="${f.name}" rows="4" cols="60"${described}>${value}</textarea> ${hint}</div>`;
  return html`<div class="field"><label for="${id}">${f.label}</label><input type="text" id="${id}" name="${f.name}" value="${value}"${f.required ? html` required` : ''}${described}> ${hint}</div>`;
}

function formHtml(session: Session, v: Values, error: string | null): Html {
  const [basic, rest] = [FIELDS.slice(0, 5), FIELDS.slice(5)];
  return html`<p><a href="/ui/campaigns">← Campaigns</a></p><h1>New campaign</h1>
${error ? notice('error', error) : ''}
<form class="stack" method="post" action="/ui/campaigns/new">
  <input type="hidden" name="_csrf" value="${session.csrf}">
  <input type="hidden" name="step" value="dry-run">
  <fieldset><legend>Devices and target</legend>${basic.map((f) => input(f, v))}</fieldset>
  <fieldset><legend>Waves, window and limits</legend>${rest.map((f) => input(f, v))}</fieldset>
  <button type="submit">Dry run</button>
  <p class="hint">Nothing is created yet: the dry run shows what each device would do, then you confirm.</p>
</form>`;
}

function hidden(v: Values): Html {
  return html`${FIELDS.filter((f) => v[f.name]).map((f) => html`<input type="hidden" name="${f.name}" value="${v[f.name]}">`)}`;
}

type DryRun = Extract<Awaited<ReturnType<CampaignEngine['create']>>, { dryRun: unknown }>['dryRun'];

function dryRunHtml(session: Session, v: Values, d: DryRun): Html {
  const rows = d.devices;
  const shown = rows.slice(0, 500);
  return html`<p><a href="/ui/campaigns">← Campaigns</a></p><h1>Dry run: ${d.name}</h1>
<p role="status" id="dry-run-summary">${count(rows.length)} device${rows.length === 1 ? '' : 's'} selected${d.unknown_ids.length ? html`; unknown IDs: ${d.unknown_ids.join(', ')}` : ''}.</p>
<table class="compact"><caption>Devices per state</caption><thead><tr><th scope="col">State</th><th scope="col" class="num">Devices</th></tr></thead>
<tbody>${Object.entries(d.counts).map(([state, n]) => html`<tr><th scope="row">${state}</th><td class="num">${count(n as number)}</td></tr>`)}</tbody></table>
<div class="actions">
  <form method="post" action="/ui/campaigns/new">
    <input type="hidden" name="_csrf" value="${session.csrf}"><input type="hidden" name="step" value="create">${hidden(v)}
    <button type="submit">Create campaign</button>
  </form>
  <form method="post" action="/ui/campaigns/new">
    <input type="hidden" name="_csrf" value="${session.csrf}"><input type="hidden" name="step" value="edit">${hidden(v)}
    <button type="submit" class="secondary">Change options</button>
  </form>
</div>
<h2>Each device</h2>
<div class="scroll"><table><caption class="sr-only">What each device would do</caption>
<thead><tr><th scope="col">Device</th><th scope="col">OS</th><th scope="col">Target</th><th scope="col">Path</th><th scope="col">Wave</th><th scope="col">State</th><th scope="col">Reason</th></tr></thead>
<tbody>${shown.map((r) => html`<tr><td><a href="/ui/devices/${encodeURIComponent(r.deviceId)}">${r.deviceId}</a></td>
<td>${r.platform} ${r.osVersion}</td><td>${r.target?.version ?? '—'}</td><td>${r.path ?? '—'}</td><td>${r.wave + 1}</td><td>${r.state}</td><td>${r.reason}</td></tr>`)}</tbody></table></div>
${rows.length > shown.length ? html`<p class="hint">The first ${shown.length} of ${count(rows.length)} devices.</p>` : ''}`;
}

export function registerCampaignForm(app: UiRoutes, ctx: UiContext, engine: CampaignEngine): void {
  app.get('/ui/campaigns/new', async (req, reply) => {
    const session = sessionOf(req);
    return sendPage(reply, page({ title: 'New campaign', section: 'campaigns', session, body: formHtml(session, { target: 'latest', waves: '100%' }, null) }));
  });

  app.post('/ui/campaigns/new', async (req, reply) => {
    const session = sessionOf(req);
    const v = Object.fromEntries(FIELDS.map((f) => [f.name, formOf(req)[f.name] ?? ''])) as Values;
    const step = formOf(req).step;
    const again = (error: string | null, status: number) =>
      sendPage(reply, page({ title: 'New campaign', section: 'campaigns', session, body: formHtml(session, v, error) }), status);
    if (step === 'edit') return again(null, 200);
    if (step !== 'dry-run' && step !== 'create') throw new UiError(400, 'step must be dry-run, edit or create');
    let out;
    try {
      out = await engine.create(bodyOf(v, step === 'dry-run'));
    } catch (err) {
      if (err instanceof CampaignInputError || err instanceof CliError) return again(err.message, 400);
      throw err;
    }
    if ('dryRun' in out) return sendPage(reply, page({ title: `Dry run: ${out.dryRun.name}`, section: 'campaigns', session, body: dryRunHtml(session, v, out.dryRun) }));
    return reply.redirect(`/ui/campaigns/${encodeURIComponent(out.created.campaign.id)}`, 303);
  });
}
