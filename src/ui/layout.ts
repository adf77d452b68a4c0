// The page shell every dashboard page shares: head (our CSS, htmx, uPlot, the page script, all
// served by the server itself), a skip link, the navigation, the signed-in key and the sign-out
// form, then the page's main content.
import { html, type Html, type Value } from './html.js';
import type { Session } from './session.js';

export type Section = 'fleet' | 'devices' | 'campaigns' | 'server';

const NAV: Array<[Section, string, string]> = [
  ['fleet', 'Fleet', '/ui'],
  ['devices', 'Devices', '/ui/devices'],
  ['campaigns', 'Campaigns', '/ui/campaigns'],
  ['server', 'Server', '/ui/server'],
];

function head(title: string, charts: boolean): Html {
  return html`<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content='{"includeIndicatorStyles":false}'>
<title>${title} · Updraft</title>
<link rel="stylesheet" href="/ui/assets/ui.css">
${charts ? html`<link rel="stylesheet" href="/ui/assets/uPlot.min.css">` : ''}
<script src="/ui/assets/htmx.min.js" defer></script>
${charts ? html`<script src="/ui/assets/uPlot.iife.min.js" defer></script>` : ''}
<script src="/ui/assets/ui.js" defer></script>
</head>`;
}

export interface PageInput {
  title: string;
  section?: Section;
  session?: Session | null;
  /** Load uPlot (pages with charts). */
  charts?: boolean;
  body: Value;
}

export function page(p: PageInput): Html {
  const s = p.session;
  return html`<!doctype html>
<html lang="en">
${head(p.title, p.charts ?? false)}
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/ui">Updraft</a>
  ${s ? html`<nav aria-label="Sections"><ul>${NAV.map(([id, label, path]) =>
    html`<li><a href="${path}"${p.section === id ? html` aria-current="page"` : ''}>${label}</a></li>`)}</ul></nav>
  <form class="signout" method="post" action="/ui/signout">
    <input type="hidden" name="_csrf" value="${s.csrf}">
    <span class="who">${s.keyName} (${s.role})</span>
    <button type="submit">Sign out</button>
  </form>` : ''}
</header>
<main id="main" tabindex="-1">
${p.body}
</main>
</body>
</html>`;
}

/** A small notice box (role="status" for information, "alert" for problems). */
export function notice(kind: 'info' | 'warn' | 'error', text: Value): Html {
  return html`<p class="notice ${kind}" role="${kind === 'info' ? 'status' : 'alert'}">${text}</p>`;
}
