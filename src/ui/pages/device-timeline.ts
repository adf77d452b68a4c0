// A device's timeline: its check-ins, commands queued and their results, pushes and DDM status
// changes, newest first, from the event log, the queue and the DDM status history (the same store
// reads as the /v1 API).
import type { Store } from '../../storage/types.js';
import { html, type Html } from '../html.js';
import { when } from '../format.js';

export type TimelineKind = 'checkin' | 'command' | 'push' | 'ddm';

export interface TimelineItem {
  at: Date;
  kind: TimelineKind;
  title: string;
  detail: Html | string;
  /** A command's UUID: the entry links to its raw plists. */
  uuid?: string;
  /** A check-in's plist as kept in its event (secrets redacted), shown folded. */
  raw?: string;
}

const short = (v: unknown): string => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s === undefined ? '' : s.length > 160 ? `${s.slice(0, 157)}…` : s;
};

export async function deviceTimeline(store: Store, id: string, limit = 80): Promise<TimelineItem[]> {
  const [events, queue, ddm] = await Promise.all([
    store.listEvents({ enrollmentId: id, limit }),
    store.listQueue(id, { includeDone: true, limit }),
    store.ddmStatusHistory(id, { limit: 40 }),
  ]);
  const items: TimelineItem[] = [];
  for (const e of events) {
    const d = (e.detail ?? {}) as Record<string, unknown>;
    const [family, what] = [e.kind.slice(0, e.kind.indexOf('.')), e.kind.slice(e.kind.indexOf('.') + 1)];
    if (family === 'checkin') {
      items.push({ at: e.at, kind: 'checkin', title: `Check-in: ${what}`, detail: '', raw: typeof d.raw_plist === 'string' ? d.raw_plist : undefined });
    }
    else if (family === 'command') {
      const uuid = typeof d.uuid === 'string' ? d.uuid : undefined;
      items.push({ at: e.at, kind: 'command', title: `Result ${what}${typeof d.requestType === 'string' ? ` (${d.requestType})` : ''}`, detail: uuid ? `command ${uuid}` : '', uuid });
    } else if (family === 'push') {
      items.push({ at: e.at, kind: 'push', title: what === 'sent' ? 'Push sent' : 'Push failed', detail: [d.outcome, d.error].filter((x) => typeof x === 'string' && x).join(': ') });
    } else items.push({ at: e.at, kind: 'command', title: e.kind, detail: short(e.detail) });
  }
  for (const q of queue) {
    items.push({ at: q.createdAt, kind: 'command', title: `Queued ${q.requestType}`, detail: `now ${q.status}${q.notNowTally ? `, NotNow ×${q.notNowTally}` : ''}`, uuid: q.uuid });
  }
  for (const s of ddm) items.push({ at: s.at, kind: 'ddm', title: `DDM status ${s.name}`, detail: s.value === null ? 'removed' : short(s.value) });
  return items.sort((a, b) => b.at.getTime() - a.at.getTime()).slice(0, limit);
}

export function timelineHtml(id: string, items: TimelineItem[]): Html {
  if (items.length === 0) return html`<p>Nothing yet.</p>`;
  return html`<ol class="timeline" id="timeline">${items.map((i) => html`<li class="${i.kind}">
  <time datetime="${i.at.toISOString()}">${when(i.at)}</time> · <span class="kind">${i.title}</span>
  ${i.detail ? html` — ${i.detail}` : ''}
  ${i.raw ? html`<details><summary>raw plist</summary><pre class="checkin-plist">${i.raw}</pre></details>` : ''}
  ${i.uuid ? html` <a href="/ui/devices/${encodeURIComponent(id)}/commands/${encodeURIComponent(i.uuid)}">raw plist</a>` : ''}
</li>`)}</ol>`;
}
