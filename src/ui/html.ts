// HTML templating for the dashboard: one tagged template, `html`, that escapes every interpolated
// value unless it is already Html (another template's output, or raw() for trusted fragments).
// Arrays are joined, null/undefined/false render nothing.

const HTML_SAFE = Symbol('html-safe');

export interface Html {
  readonly [HTML_SAFE]: true;
  readonly text: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Text made safe for element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

const safe = (text: string): Html => ({ [HTML_SAFE]: true, text });

/** Trusted markup, inserted as it is: only for fragments built by the dashboard itself. */
export const raw = (text: string): Html => safe(text);

export const isHtml = (v: unknown): v is Html => typeof v === 'object' && v !== null && (v as Html)[HTML_SAFE] === true;

export type Value = Html | string | number | bigint | boolean | null | undefined | Date | readonly Value[];

function render(v: Value): string {
  if (v === null || v === undefined || v === false) return '';
  if (isHtml(v)) return v.text;
  if (Array.isArray(v)) return (v as readonly Value[]).map(render).join('');
  if (v instanceof Date) return escapeHtml(v.toISOString());
  return escapeHtml(String(v));
}

/** `html\`<p>${name}</p>\`` escapes `name`; nested html`` fragments pass through. */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return safe(out);
}

/** JSON for a <script type="application/json"> block: `<` escaped so the text cannot close the element. */
export function jsonScript(id: string, data: unknown): Html {
  const text = JSON.stringify(data).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
  return html`<script type="application/json" id="${id}">${raw(text)}</script>`;
}

/** A URL path with query parameters (empty ones left out), for links that keep a list's filters. */
export function href(path: string, params: Record<string, string | number | boolean | null | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
