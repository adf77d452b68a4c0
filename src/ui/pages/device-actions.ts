// What the device page changes: the everyday commands (refresh inventory, restart, lock, OS update
// scan) queued and pushed through the same enqueue path as the API, cancelling a queued command,
// and the raw plists of one command exchange (read-only).
import type { UiRoutes } from '../routes.js';
import { html, type Html } from '../html.js';
import { notice, page } from '../layout.js';
import { when } from '../format.js';
import { UiError, formOf, sendPage, sessionOf, type UiContext } from '../index.js';
import { buildCommand, CommandValidationError, typedResultOf } from '../../commands/index.js';
import { enqueueCommand } from '../../service/enqueue.js';
import { queueInventoryQueries } from '../../osupdate/inventory/query.js';
import { parseAnyPlist, buildPlist } from '../../plist/index.js';
import type { EnrollmentRecord } from '../../storage/types.js';

export interface DeviceAction {
  name: 'inventory' | 'restart' | 'lock' | 'scan';
  label: string;
  danger?: boolean;
}

export const DEVICE_ACTIONS: readonly DeviceAction[] = [
  { name: 'inventory', label: 'Refresh inventory' },
  { name: 'scan', label: 'OS update scan' },
  { name: 'restart', label: 'Restart', danger: true },
  { name: 'lock', label: 'Lock', danger: true },
];

const DONE: Record<string, string> = {
  inventory: 'Inventory queries queued and the device pushed.',
  'inventory-waiting': 'An inventory query is already waiting for the device.',
  scan: 'ScheduleOSUpdateScan queued and the device pushed.',
  restart: 'RestartDevice queued and the device pushed.',
  lock: 'DeviceLock queued and the device pushed.',
  cancelled: 'Command cancelled.',
  'not-queued': 'That command was no longer waiting (already sent, answered or cancelled).',
};

/** The notice of a finished action (fixed texts only: the URL cannot inject a message). */
export function doneNotice(done: string | undefined): Html | '' {
  return done && DONE[done] ? notice('info', DONE[done]) : '';
}

const dev = (id: string): string => `/ui/devices/${encodeURIComponent(id)}`;

/** A command plist as text: XML as sent, a binary plist shown as XML. */
function plistText(raw: Buffer | null): string {
  if (!raw) return '';
  if (raw.subarray(0, 8).toString('latin1') !== 'bplist00') return raw.toString('utf8');
  try {
    return buildPlist(parseAnyPlist(raw));
  } catch {
    return raw.toString('base64');
  }
}

export function registerDeviceActions(app: UiRoutes, ctx: UiContext): void {
  const { store, pusher, logger } = ctx.deps;

  async function known(id: string): Promise<EnrollmentRecord> {
    const e = await store.getEnrollment(id);
    if (!e) throw new UiError(404, `unknown device: ${id}`);
    return e;
  }

  app.post<{ Params: { id: string; action: string } }>('/ui/devices/:id/actions/:action', async (req, reply) => {
    const e = await known(req.params.id);
    const action = DEVICE_ACTIONS.find((a) => a.name === req.params.action);
    if (!action) throw new UiError(404, `unknown action: ${req.params.action}`);
    const at = new Date();
    if (action.name === 'inventory') {
      const queued = await queueInventoryQueries({ store, pusher, logger }, [{
        deviceId: e.deviceId,
        target: { platform: e.platform, osVersion: e.osVersion, userEnrollment: e.type === 'UserEnrollmentDevice' || e.type === 'UserEnrollment' },
        security: true,
      }], at);
      return reply.redirect(`${dev(e.id)}?done=${queued.length ? 'inventory' : 'inventory-waiting'}`, 303);
    }
    const pin = formOf(req).pin?.trim();
    const [requestType, payload] = action.name === 'scan' ? ['ScheduleOSUpdateScan', {}]
      : action.name === 'restart' ? ['RestartDevice', {}]
      : ['DeviceLock', pin ? { PIN: pin } : {}];
    let command;
    try {
      command = buildCommand(requestType, payload);
    } catch (err) {
      if (err instanceof CommandValidationError) throw new UiError(400, `${requestType}: ${err.message}`);
      throw err;
    }
    const out = await enqueueCommand({ store, pusher }, { uuid: command.uuid, requestType, xml: command.xml, ids: [e.id], at });
    const failed = out.results.find((r) => r.enqueueError);
    if (failed) throw new UiError(409, `${requestType} not queued: ${failed.enqueueError}`);
    return reply.redirect(`${dev(e.id)}?done=${action.name}`, 303);
  });

  app.post<{ Params: { id: string; uuid: string } }>('/ui/devices/:id/queue/:uuid/cancel', async (req, reply) => {
    const e = await known(req.params.id);
    const ok = await store.cancelCommand(e.id, req.params.uuid, new Date());
    if (req.headers['hx-request']) return reply.header('hx-redirect', `${dev(e.id)}?done=${ok ? 'cancelled' : 'not-queued'}`).send('');
    return reply.redirect(`${dev(e.id)}?done=${ok ? 'cancelled' : 'not-queued'}#queue-h`, 303);
  });

  app.get<{ Params: { id: string; uuid: string } }>('/ui/devices/:id/commands/:uuid', async (req, reply) => {
    const session = sessionOf(req);
    const e = await known(req.params.id);
    const [d] = await store.getCommand(req.params.uuid, e.id);
    if (!d) throw new UiError(404, `no command ${req.params.uuid} for ${e.id}`);
    const typed = d.resultRaw ? typedResultOf(d.requestType, d.resultRaw) : null;
    const body = html`<p><a href="${dev(e.id)}">← ${e.deviceName ?? e.id}</a></p>
<h1>${d.requestType} <span class="muted">${d.uuid}</span></h1>
<dl class="facts"><dt>Status</dt><dd>${d.status}</dd><dt>Queued</dt><dd>${when(d.createdAt)}</dd><dt>Sent</dt><dd>${when(d.sentAt)}</dd>
<dt>Answered</dt><dd>${when(d.resultAt)}</dd><dt>NotNow</dt><dd>${d.notNowTally}</dd></dl>
${typed?.error_chain?.length ? html`<h2>Error</h2><ul>${typed.error_chain.map((x) => html`<li>${x.domain ?? ''} ${x.code ?? ''}: ${x.us_english_description ?? x.description ?? ''}${x.explanation ? html` — ${x.explanation}` : ''}</li>`)}</ul>` : ''}
<h2>Command sent</h2>
<pre id="command-plist">${plistText(d.raw)}</pre>
<h2>Result</h2>
${d.resultRaw ? html`<pre id="result-plist">${plistText(d.resultRaw)}</pre>` : html`<p>No result yet.</p>`}`;
    return sendPage(reply, page({ title: `${d.requestType} ${d.uuid}`, section: 'devices', session, body }));
  });
}
