// One device: its enrollment and inventory (and how it changed), OS update posture, campaign state
// and reason, queue (cancel a command), timeline, and the everyday commands. Reads go through the
// same services as /v1 (inventory view, posture service, store); actions are in device-actions.ts.
import type { UiRoutes } from '../routes.js';
import { html, type Html } from '../html.js';
import { page } from '../layout.js';
import { ago, postureBadge, when, yesNo } from '../format.js';
import { UiError, sendPage, sessionOf, type UiContext } from '../index.js';
import { canChange, type Session } from '../session.js';
import { createInventoryView } from '../../osupdate/inventory/view.js';
import type { DeviceInventory } from '../../osupdate/types.js';
import type { PostureDetail } from '../../osupdate/posture/compute.js';
import { adeMinimumOf, type AdeMinimum } from '../../dep/min-os-view.js';
import type { QueueEntry } from '../../storage/types.js';
import { deviceTimeline, timelineHtml } from './device-timeline.js';
import { DEVICE_ACTIONS, doneNotice, registerDeviceActions } from './device-actions.js';

const dev = (id: string): string => `/ui/devices/${encodeURIComponent(id)}`;

function facts(rows: Array<[string, Html | string | number | null | undefined]>): Html {
  return html`<dl class="facts">${rows.filter(([, v]) => v !== undefined).map(([k, v]) => html`<dt>${k}</dt><dd>${v ?? '—'}</dd>`)}</dl>`;
}

function inventoryFacts(inv: DeviceInventory | null): Html {
  if (!inv) return html`<p>No inventory yet: the device has not answered DeviceInformation.</p>`;
  return facts([
    ['OS', `${inv.platform ?? ''} ${inv.osVersion ?? '—'} (${inv.buildVersion ?? '—'})${inv.supplementalOsVersionExtra ? ` ${inv.supplementalOsVersionExtra}` : ''}`],
    ['Model', `${inv.modelName ?? inv.modelMarketingName ?? ''} ${inv.productName ?? inv.model ?? ''}`.trim() || null],
    ['Software update device ID', inv.softwareUpdateDeviceId],
    ['Supervised', yesNo(inv.isSupervised)],
    ['Enrolled through ADE', yesNo(inv.enrolledViaDep)],
    ['User Enrollment', yesNo(inv.isUserEnrollment)],
    ['Apple silicon', yesNo(inv.isAppleSilicon)],
    ['Bootstrap token escrowed', yesNo(inv.bootstrapTokenEscrowed)],
    ['Battery', inv.batteryLevel === null ? null : `${Math.round(inv.batteryLevel * 100)} %`],
    ['Last update attempt', inv.lastUpdateAttempt ? `${inv.lastUpdateAttempt.status} ${inv.lastUpdateAttempt.version ?? ''} (${when(inv.lastUpdateAttempt.at)})${inv.lastUpdateAttempt.error ? `: ${inv.lastUpdateAttempt.error}` : ''}` : null],
    ['Inventory answered', when(inv.informationAt ?? null)],
  ]);
}

/** The ADE enrollment minimum of the device's platform, when one is set. */
function adeMinimumRow(p: PostureDetail, m: AdeMinimum): [string, string | null] {
  if (!m.minimum) return ['ADE enrollment minimum', null];
  const below = m.below ? ': this device runs below it (erased, it must update in Setup Assistant before it enrolls again)' : '';
  return ['ADE enrollment minimum', `${p.platform ?? ''} ${m.minimum}${below}`];
}

function postureSection(p: PostureDetail | null, min: AdeMinimum | null): Html {
  if (!p) return html`<p>Unknown: no inventory, or hardware the catalogs do not list.</p>`;
  const exploited = p.activelyExploited;
  return html`<p>${postureBadge({ onLatest: p.onLatest, releasesBehind: p.releasesBehind, majorBehind: p.majorBehind, exploitedCount: p.activelyExploited.length, latestVersion: p.latest?.version ?? null })}</p>
${facts([
  ['Latest it can run', p.latest ? `${p.latest.version} (${p.latest.build ?? '—'})` : null],
  ['Latest in its major', p.latestInMajor ? p.latestInMajor.version : null],
  ['Releases behind', p.releasesBehind],
  ['Days behind', p.daysBehind],
  ['CVEs fixed in newer releases', p.cves.length],
  ['Actively exploited', exploited.length ? `${exploited.slice(0, 12).join(', ')}${exploited.length > 12 ? ` and ${exploited.length - 12} more` : ''}` : 'none'],
  ['MDM can update it', p.updateAllowed ? 'yes' : `no${p.reason ? `: ${p.reason}` : ''}`],
  ['Major upgrade allowed', yesNo(p.majorUpgradeAllowed)],
  ...(min?.minimum ? [adeMinimumRow(p, min)] : []),
])}`;
}

function queueSection(id: string, queue: QueueEntry[], session: Session): Html {
  if (queue.length === 0) return html`<p>No command waiting.</p>`;
  return html`<div class="scroll"><table id="queue"><caption class="sr-only">Commands waiting for the device</caption>
<thead><tr><th scope="col">Command</th><th scope="col">Queued</th><th scope="col">Sent</th><th scope="col">NotNow</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
<tbody>${queue.map((q) => html`<tr>
  <td><a href="${dev(id)}/commands/${encodeURIComponent(q.uuid)}">${q.requestType}</a> <span class="muted">${q.uuid}</span></td>
  <td>${when(q.createdAt)}</td><td>${when(q.sentAt)}</td><td>${q.notNowTally}</td>
  <td>${canChange(session) ? html`<form method="post" action="${dev(id)}/queue/${encodeURIComponent(q.uuid)}/cancel">
    <input type="hidden" name="_csrf" value="${session.csrf}">
    <button type="submit" class="secondary" aria-label="Cancel ${q.requestType} ${q.uuid}">Cancel</button></form>` : ''}</td>
</tr>`)}</tbody></table></div>`;
}

function actionsSection(id: string, platform: string | null, session: Session): Html {
  if (!canChange(session)) return html``;
  return html`<section aria-labelledby="actions-h"><h2 id="actions-h">Commands</h2><div class="actions">
${DEVICE_ACTIONS.map((a) => html`<form method="post" action="${dev(id)}/actions/${a.name}">
  <input type="hidden" name="_csrf" value="${session.csrf}">
  ${a.name === 'lock' && platform === 'macOS' ? html`<label class="sr-only" for="lock-pin">Lock PIN (6 digits)</label><input id="lock-pin" name="pin" inputmode="numeric" pattern="[0-9]{6}" size="7" placeholder="PIN" required> ` : ''}
  <button type="submit"${a.danger ? html` class="danger"` : ''}>${a.label}</button>
</form>`)}
</div></section>`;
}

export function registerDevice(app: UiRoutes, ctx: UiContext): void {
  const view = createInventoryView(ctx.deps.store);
  const { store } = ctx.deps;
  app.get<{ Params: { id: string }; Querystring: { done?: string } }>('/ui/devices/:id', async (req, reply) => {
    const session = sessionOf(req);
    const id = req.params.id;
    const e = await store.getEnrollment(id);
    if (!e) throw new UiError(404, `unknown device: ${id}`);
    const now = ctx.now();
    const [inv, history, posture, queue, campaignRow, timeline, tags] = await Promise.all([
      store.getInventory(e.deviceId),
      view.history(id, { limit: 15 }),
      ctx.deps.posture.forDevice(e.deviceId),
      store.listQueue(id),
      store.campaignDeviceActive(e.deviceId),
      deviceTimeline(store, id),
      store.getTags(e.deviceId),
    ]);
    const campaign = campaignRow ? await store.campaignGet(campaignRow.campaignId) : null;
    const adeMin = posture ? await adeMinimumOf(store, { deviceId: e.deviceId, serial: e.serialNumber, platform: posture.platform, osVersion: posture.osVersion }) : null;
    const body = html`<p><a href="/ui/devices">← Devices</a></p>
<h1>${e.deviceName ?? e.id}</h1>
${doneNotice(req.query.done)}
${facts([
  ['Enrollment ID', html`<code>${e.id}</code>`], ['Type', e.type], ['Serial', e.serialNumber], ['Model', e.modelName ?? e.model],
  ['OS', `${e.platform ?? ''} ${e.osVersion ?? '—'} (${e.buildVersion ?? '—'})`], ['Last seen', ago(e.lastSeenAt, now)],
  ['Enrolled', when(e.createdAt)], ['Enabled', e.enabled ? 'yes' : 'no (checked out)'], ['Push', e.pushToken ? (e.pushInvalidAt ? `token invalid since ${when(e.pushInvalidAt)}` : 'token set') : 'no token'],
  ['Tags', tags.length ? tags.join(', ') : null],
])}
${actionsSection(id, e.platform, session)}
<div class="columns">
<section aria-labelledby="posture-h"><h2 id="posture-h">OS update posture</h2>${postureSection(posture, adeMin)}</section>
<section aria-labelledby="campaign-h"><h2 id="campaign-h">Campaign</h2>${campaign && campaignRow
  ? html`<p><a href="/ui/campaigns/${encodeURIComponent(campaign.id)}">${campaign.name}</a> (${campaign.state}): <strong>${campaignRow.state}</strong>${campaignRow.reason ? html` — ${campaignRow.reason}` : ''}</p>
    ${facts([['Target', campaignRow.targetVersion], ['Path', campaignRow.path], ['Wave', campaignRow.wave + 1], ['Updated', when(campaignRow.updatedAt)]])}`
  : html`<p>In no active campaign.</p>`}</section>
</div>
<section aria-labelledby="queue-h"><h2 id="queue-h">Queue</h2>${queueSection(id, queue, session)}</section>
<section aria-labelledby="timeline-h"><h2 id="timeline-h">Timeline</h2>${timelineHtml(id, timeline)}</section>
<section aria-labelledby="inventory-h"><h2 id="inventory-h">Inventory</h2>${inventoryFacts(inv)}
${history.changes.length ? html`<h3>How it changed</h3><div class="scroll"><table><caption class="sr-only">Inventory changes, newest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">Field</th><th scope="col">From</th><th scope="col">To</th></tr></thead>
<tbody>${history.changes.map((c) => html`<tr><td class="nowrap">${when(c.at)}</td><td>${c.field}</td><td>${fmt(c.oldValue)}</td><td>${fmt(c.newValue)}</td></tr>`)}</tbody></table></div>` : ''}
</section>`;
    return sendPage(reply, page({ title: e.deviceName ?? e.id, section: 'devices', session, body }));
  });
  registerDeviceActions(app, ctx);
}

function fmt(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (v instanceof Date) return when(v);
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return s.length > 120 ? `${s.slice(0, 117)}…` : s;
}
