// XML plist writer in Apple's layout: tab indentation, <data> base64 wrapped on indented lines,
// <date> in UTC with a Z and no fractional seconds, reals that read back as the same double.
import { INT_MAX, INT_MIN, Real, type BuildInput, type PlistValue } from './types.js';

const HEADER =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n' +
  '<plist version="1.0">\n';
const MAX_DEPTH = 512;

/** A value that cannot be written as a plist; `path` says where it sits (e.g. `Payload[2].Name`). */
export class PlistBuildError extends TypeError {
  override readonly name = 'PlistBuildError';
  constructor(
    readonly reason: string,
    readonly path = '',
  ) {
    super(path ? `cannot build plist at ${path}: ${reason}` : `cannot build plist: ${reason}`);
  }

  /** The same error, seen from the container holding it under `key` (a dict key or array index). */
  under(key: string | number): PlistBuildError {
    const head = typeof key === 'number' ? `[${key}]` : key;
    const sep = this.path === '' || this.path.startsWith('[') ? '' : '.';
    return new PlistBuildError(this.reason, head + sep + this.path);
  }
}

/** Builds a full XML plist document. Dict values that are `undefined` or `null` are left out. */
export function buildPlist(value: PlistValue | BuildInput): string {
  return HEADER + writeValue(value, 0) + '</plist>\n';
}

const TABS: string[] = [''];
function indent(depth: number): string {
  while (TABS.length <= depth) TABS.push(TABS[TABS.length - 1] + '\t');
  return TABS[depth];
}

/** Characters that need escaping, plus those XML 1.0 cannot carry at all. */
const SPECIAL = /[&<>\r\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
const INVALID = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };

function escape(s: string): string {
  if (!SPECIAL.test(s)) return s;
  const bad = INVALID.exec(s);
  if (bad) {
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    throw new PlistBuildError(`string holds U+${code}, which XML cannot carry (send bytes as <data>)`);
  }
  return s.replace(/[&<>\r]/g, (c) => ESCAPES[c]);
}

function writeValue(v: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new PlistBuildError(`nesting deeper than ${MAX_DEPTH} levels (a cycle?)`);
  const ind = indent(depth);
  switch (typeof v) {
    case 'string':
      return `${ind}<string>${escape(v)}</string>\n`;
    case 'number':
      return Number.isInteger(v) ? `${ind}<integer>${formatInteger(v)}</integer>\n` : `${ind}<real>${formatReal(v)}</real>\n`;
    case 'bigint':
      return `${ind}<integer>${formatInteger(v)}</integer>\n`;
    case 'boolean':
      return v ? `${ind}<true/>\n` : `${ind}<false/>\n`;
    case 'object':
      if (v === null) break;
      if (Array.isArray(v)) return writeArray(v, depth, ind);
      if (v instanceof Real) return `${ind}<real>${formatReal(v.value)}</real>\n`;
      if (v instanceof Uint8Array) return writeData(v, depth, ind);
      if (v instanceof Date) return `${ind}<date>${formatDate(v)}</date>\n`;
      if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
        throw new PlistBuildError(`${v.constructor.name} is not plist data (pass a Buffer or Uint8Array)`);
      }
      return writeDict(v as Record<string, unknown>, depth, ind);
  }
  throw new PlistBuildError(`${v === null ? 'null' : typeof v} has no plist form`);
}

function writeArray(a: readonly unknown[], depth: number, ind: string): string {
  if (a.length === 0) return `${ind}<array/>\n`;
  let out = `${ind}<array>\n`;
  for (let i = 0; i < a.length; i++) {
    try {
      out += writeValue(a[i], depth + 1);
    } catch (e) {
      throw e instanceof PlistBuildError ? e.under(i) : e;
    }
  }
  return out + `${ind}</array>\n`;
}

function writeDict(d: Record<string, unknown>, depth: number, ind: string): string {
  const inner = indent(depth + 1);
  let body = '';
  for (const key of Object.keys(d)) {
    const v = d[key];
    if (v === undefined || v === null) continue;
    try {
      body += `${inner}<key>${escape(key)}</key>\n` + writeValue(v, depth + 1);
    } catch (e) {
      throw e instanceof PlistBuildError ? e.under(key) : e;
    }
  }
  return body === '' ? `${ind}<dict/>\n` : `${ind}<dict>\n${body}${ind}</dict>\n`;
}

/** Base64 on lines as wide as Apple and plistlib make them: 76 columns less the indentation (tab = 8). */
function writeData(bytes: Uint8Array, depth: number, ind: string): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const b64 = buf.toString('base64');
  const width = Math.floor(Math.max(16, 76 - 8 * depth) / 4) * 4;
  let out = `${ind}<data>\n`;
  for (let i = 0; i < b64.length; i += width) out += `${ind}${b64.slice(i, i + width)}\n`;
  return out + `${ind}</data>\n`;
}

function formatInteger(v: number | bigint): string {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  const big = BigInt(v);
  if (big < INT_MIN || big > INT_MAX) throw new PlistBuildError(`integer ${big} is outside the 64-bit range`);
  return big.toString();
}

/** Shortest text that reads back as the same double; specials as CoreFoundation writes them. */
function formatReal(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return '+infinity';
  if (x === -Infinity) return '-infinity';
  return Object.is(x, -0) ? '-0' : String(x);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `YYYY-MM-DDTHH:MM:SSZ`: UTC, no fractional seconds (they are dropped). */
export function formatDate(d: Date): string {
  const year = d.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) throw new PlistBuildError(`date ${Number.isNaN(year) ? 'is invalid' : `year ${year} is outside 0000-9999`}`);
  return `${pad(year, 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}Z`;
}
