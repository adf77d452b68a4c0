// How the dashboard shows times, counts and posture: small pure helpers shared by the pages.
import { html, type Html } from './html.js';

const DAY = 86_400_000;

/** "3 min ago", "2 h ago", "5 d ago" (or "never"), with the exact time in a <time> element. */
export function ago(d: Date | null, now: Date): Html {
  if (!d) return html`<span class="muted">never</span>`;
  const ms = now.getTime() - d.getTime();
  const text = ms < 0 ? 'in the future' : ms < 60_000 ? 'just now' : ms < 3600_000 ? `${Math.floor(ms / 60_000)} min ago`
    : ms < DAY ? `${Math.floor(ms / 3600_000)} h ago` : `${Math.floor(ms / DAY)} d ago`;
  return html`<time datetime="${d.toISOString()}" title="${when(d)}">${text}</time>`;
}

/** A time as "2026-08-22 12:00:05 UTC". */
export function when(d: Date | null): string {
  return d ? `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC` : '—';
}

export const count = (n: number): string => n.toLocaleString('en-US');

export const percent = (part: number, whole: number): string => (whole ? `${((part / whole) * 100).toFixed(1)} %` : '—');

export interface PostureBrief {
  onLatest: boolean;
  releasesBehind: number;
  majorBehind: boolean;
  exploitedCount: number;
  latestVersion: string | null;
}

/** A posture in a few words, with a class for its colour. */
export function postureBadge(p: PostureBrief | null): Html {
  if (!p) return html`<span class="badge unknown">unknown</span>`;
  const parts: Html[] = [];
  if (p.exploitedCount > 0) parts.push(html`<span class="badge bad">${p.exploitedCount} exploited CVE${p.exploitedCount === 1 ? '' : 's'}</span>`);
  if (p.onLatest) parts.push(html`<span class="badge good">latest</span>`);
  else if (p.releasesBehind > 0) parts.push(html`<span class="badge warn">${p.releasesBehind} behind</span>`);
  if (p.majorBehind) parts.push(html`<span class="badge info">major available</span>`);
  if (parts.length === 0) parts.push(html`<span class="badge">${p.latestVersion ? `latest ${p.latestVersion}` : 'current'}</span>`);
  return html`${parts}`;
}

export function yesNo(v: boolean | null | undefined): string {
  return v === null || v === undefined ? '—' : v ? 'yes' : 'no';
}
