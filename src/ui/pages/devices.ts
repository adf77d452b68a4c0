// The device list: searchable, filterable (platform, OS, posture, behind by, not seen for N days,
// enrollment type, supervision), sortable and paged in SQL (store.deviceList), so it stays fast over
// 100,000 devices. A plain GET form without JavaScript; with htmx the results follow the search box.
import type { UiRoutes } from '../routes.js';
import { html, href, type Html } from '../html.js';
import { page } from '../layout.js';
import { ago, count, postureBadge, yesNo } from '../format.js';
import { UiError, sendPage, sessionOf, type UiContext } from '../index.js';
import { DEVICE_SORTS, POSTURE_FILTERS, type DeviceListQuery, type DeviceSort, type PostureFilterName } from '../../storage/types-fleet.js';
import type { EnrollmentType, Platform } from '../../mdm/types.js';

export const PAGE_SIZE = 50;
const PLATFORMS: readonly Platform[] = ['macOS', 'iOS', 'iPadOS', 'tvOS', 'watchOS', 'visionOS'];
const TYPES: readonly EnrollmentType[] = ['Device', 'User', 'SharediPad', 'UserEnrollmentDevice', 'UserEnrollment'];
const POSTURE_LABELS: Record<PostureFilterName, string> = {
  latest: 'on the latest release', behind: 'behind in their major', major_behind: 'could take a newer major',
  exploited: 'exposed to actively exploited CVEs', unknown: 'posture unknown',
};

type Params = Record<string, string | undefined>;

function oneOf<T extends string>(v: string | undefined, allowed: readonly T[], field: string): T | undefined {
  if (v === undefined || v === '') return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new UiError(400, `${field} must be one of ${allowed.join(', ')}`);
  return v as T;
}

function int(v: string | undefined, field: string, min: number, max: number): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UiError(400, `${field} must be a whole number from ${min} to ${max}`);
  return n;
}

function text(v: string | undefined, field: string, max: number): string | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  if (v.length > max) throw new UiError(400, `${field} is longer than ${max} characters`);
  return v.trim();
}

/** The list's query from the URL's parameters (400 with a reason for a bad one). */
export function parseListParams(p: Params, now: Date): { query: DeviceListQuery; page: number; canonical: Params } {
  const seen = int(p.seen, 'seen', 1, 36500);
  const supervised = oneOf(p.supervised, ['yes', 'no'] as const, 'supervised');
  const pageNo = int(p.page, 'page', 1, 1_000_000) ?? 1;
  const query: DeviceListQuery = {
    search: text(p.q, 'q', 200),
    platform: oneOf(p.platform, PLATFORMS, 'platform'),
    osVersion: text(p.os, 'os', 40),
    model: text(p.model, 'model', 100),
    posture: oneOf(p.posture, POSTURE_FILTERS, 'posture'),
    behindMin: int(p.behind_min, 'behind_min', 0, 10000),
    behindMax: int(p.behind_max, 'behind_max', 0, 10000),
    seenBefore: seen === undefined ? undefined : new Date(now.getTime() - seen * 86_400_000),
    type: oneOf(p.type, TYPES, 'type'),
    supervised: supervised === undefined ? undefined : supervised === 'yes',
    sort: oneOf(p.sort, DEVICE_SORTS, 'sort') ?? 'name',
    desc: oneOf(p.dir, ['asc', 'desc'] as const, 'dir') === 'desc',
    limit: PAGE_SIZE,
    offset: (pageNo - 1) * PAGE_SIZE,
  };
  const canonical: Params = {
    q: query.search, platform: query.platform, os: query.osVersion, model: query.model, posture: query.posture,
    behind_min: p.behind_min || undefined, behind_max: p.behind_max || undefined, seen: p.seen || undefined, type: query.type, supervised,
  };
  return { query, page: pageNo, canonical };
}

const select = (name: string, label: string, value: string | undefined, options: Array<[string, string]>): Html => html`<div class="field">
  <label for="f-${name}">${label}</label>
  <select id="f-${name}" name="${name}"><option value="">any</option>${options.map(([v, l]) => html`<option value="${v}"${v === value ? html` selected` : ''}>${l}</option>`)}</select>
</div>`;

const COLUMNS: Array<[DeviceSort | null, string]> = [
  ['name', 'Name'], ['serial', 'Serial'], ['model', 'Model'], ['os', 'OS'], ['seen', 'Last seen'], ['type', 'Enrollment'], [null, 'Supervised'], ['behind', 'Posture'],
];

export function registerDevices(app: UiRoutes, ctx: UiContext): void {
  app.get<{ Querystring: Params }>('/ui/devices', async (req, reply) => {
    const session = sessionOf(req);
    const now = ctx.now();
    const { query, page: pageNo, canonical } = parseListParams(req.query, now);
    const { rows, total, capped, more } = await ctx.deps.store.deviceList(query);
    // Past the count's cap the number of pages is unknown: "page N", and Next while another follows.
    const pages = capped ? null : Math.max(1, Math.ceil(total / PAGE_SIZE));
    const sort = query.sort!;
    const dir = query.desc ? 'desc' : 'asc';
    const link = (extra: Params): string => href('/ui/devices', { ...canonical, sort: sort === 'name' ? undefined : sort, dir: query.desc ? 'desc' : undefined, ...extra });
    const described = [
      query.posture && POSTURE_LABELS[query.posture],
      query.behindMin !== undefined && (query.behindMax === query.behindMin ? `${query.behindMin} releases behind` : `at least ${query.behindMin} releases behind`),
      query.behindMax !== undefined && query.behindMax !== query.behindMin && `at most ${query.behindMax} releases behind`,
      canonical.seen && `not seen for ${canonical.seen} days`,
    ].filter(Boolean).join(', ');

    const results = html`<div id="results">
<p class="count" role="status">${capped ? `More than ${count(total)} devices` : `${count(total)} device${total === 1 ? '' : 's'}`}${described ? ` ${described}` : ''}${pages === null || pages > 1 ? `, page ${pageNo}${pages ? ` of ${count(pages)}` : ''}` : ''}</p>
<div class="scroll"><table class="devices">
<caption class="sr-only">Devices, sorted by ${sort} ${dir === 'asc' ? 'ascending' : 'descending'}</caption>
<thead><tr>${COLUMNS.map(([key, label]) => {
  if (!key) return html`<th scope="col">${label}</th>`;
  const active = key === sort;
  const nextDir = active && dir === 'asc' ? 'desc' : 'asc';
  return html`<th scope="col"${active ? html` aria-sort="${dir === 'asc' ? 'ascending' : 'descending'}"` : ''}><a href="${link({ sort: key, dir: nextDir === 'desc' ? 'desc' : undefined })}">${label}${active ? (dir === 'asc' ? ' ▲' : ' ▼') : ''}</a></th>`;
})}</tr></thead>
<tbody>${rows.map((r) => html`<tr>
  <td><a href="/ui/devices/${encodeURIComponent(r.id)}">${r.deviceName ?? r.id}</a></td>
  <td>${r.serialNumber ?? '—'}</td>
  <td>${r.modelName ?? r.model ?? '—'}${r.modelName && r.model ? html` <span class="muted">${r.model}</span>` : ''}</td>
  <td>${r.platform ?? ''} ${r.osVersion ?? '—'}</td>
  <td>${ago(r.lastSeenAt, now)}</td>
  <td>${r.type}${r.enabled ? '' : html` <span class="badge">checked out</span>`}</td>
  <td>${yesNo(r.supervised)}</td>
  <td>${postureBadge(r.posture)}</td>
</tr>`)}</tbody>
</table></div>
${pageNo > 1 || more ? html`<nav class="pager" aria-label="Pages">
  ${pageNo > 1 ? html`<a href="${link({ page: String(pageNo - 1) })}" rel="prev">← Previous</a>` : ''}
  <span>Page ${pageNo}${pages ? ` of ${count(pages)}` : ''}</span>
  ${more ? html`<a href="${link({ page: String(pageNo + 1) })}" rel="next">Next →</a>` : ''}
</nav>` : ''}
</div>`;

    const body = html`<h1>Devices</h1>
<form class="filters" method="get" action="/ui/devices" role="search" hx-get="/ui/devices" hx-target="#results" hx-select="#results" hx-swap="outerHTML" hx-push-url="true" hx-trigger="input changed delay:300ms from:#f-q, change, submit">
  <div class="field grow"><label for="f-q">Search</label>
    <input id="f-q" name="q" type="search" value="${canonical.q ?? ''}" placeholder="start of name, serial, model or id" maxlength="200"></div>
  ${select('platform', 'Platform', canonical.platform, PLATFORMS.map((p) => [p, p]))}
  ${select('posture', 'Posture', canonical.posture, POSTURE_FILTERS.map((p) => [p, POSTURE_LABELS[p]]))}
  ${select('type', 'Enrollment', canonical.type, TYPES.map((t) => [t, t]))}
  ${select('supervised', 'Supervised', canonical.supervised, [['yes', 'yes'], ['no', 'no']])}
  <div class="field"><label for="f-seen">Not seen for (days)</label><input id="f-seen" name="seen" type="number" min="1" max="36500" value="${canonical.seen ?? ''}"></div>
  ${canonical.os ? html`<input type="hidden" name="os" value="${canonical.os}">` : ''}
  ${canonical.model ? html`<input type="hidden" name="model" value="${canonical.model}">` : ''}
  ${canonical.behind_min ? html`<input type="hidden" name="behind_min" value="${canonical.behind_min}">` : ''}
  ${canonical.behind_max ? html`<input type="hidden" name="behind_max" value="${canonical.behind_max}">` : ''}
  ${sort !== 'name' ? html`<input type="hidden" name="sort" value="${sort}">` : ''}
  ${query.desc ? html`<input type="hidden" name="dir" value="desc">` : ''}
  <div class="field"><button type="submit">Filter</button> <a href="/ui/devices">Clear</a></div>
</form>
${canonical.os || canonical.model ? html`<p class="hint">Only ${canonical.os ? html`OS ${canonical.os}` : ''}${canonical.os && canonical.model ? ', ' : ''}${canonical.model ? html`model ${canonical.model}` : ''}.</p>` : ''}
${results}`;
    return sendPage(reply, page({ title: 'Devices', section: 'devices', session, body }));
  });
}
