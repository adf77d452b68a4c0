// A check-in's plist as kept in its event for the dashboard: XML (a binary plist converted with the
// project's codec), its credentials replaced by a placeholder, and capped in size.
import { buildPlist, type PlistDict, type PlistValue } from '../plist/index.js';

/** Keys whose values are credentials: never kept, whatever dict they sit in. */
export const SECRET_CHECKIN_KEYS: ReadonlySet<string> = new Set(['UnlockToken', 'BootstrapToken', 'Token', 'PushMagic']);

/** Check-ins larger than this (bytes received) keep a note instead of their plist. */
export const RAW_PLIST_MAX = 64 * 1024;

function byteLength(v: PlistValue): number {
  if (Buffer.isBuffer(v)) return v.length;
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  return Buffer.byteLength(JSON.stringify(v) ?? '', 'utf8');
}

function redact(v: PlistValue): PlistValue {
  if (Array.isArray(v)) return v.map(redact);
  if (v === null || typeof v !== 'object' || Buffer.isBuffer(v) || v instanceof Date || !(Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) return v;
  const out: PlistDict = {};
  for (const [k, x] of Object.entries(v as PlistDict)) out[k] = SECRET_CHECKIN_KEYS.has(k) ? `(redacted, ${byteLength(x)} bytes)` : redact(x);
  return out;
}

/** The text kept as `raw_plist`: the check-in as XML with its secrets redacted, or a note when too large. */
export function rawCheckinText(dict: PlistDict, size: number): string {
  if (size > RAW_PLIST_MAX) return `raw plist not kept: ${size} bytes`;
  return buildPlist(redact(dict));
}
