// Lenient readers for values whose plist type devices do not always honour, and a JSON view.
import { Real, type PlistValue } from './types.js';

/** JSON-ready copy: Buffer → base64, Date → ISO string, bigint → number when safe else decimal string, Real → number. */
export function toJSONSafe(v: PlistValue): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v !== 'object') return v;
  if (v instanceof Real) return v.value;
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(toJSONSafe);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v)) {
    Object.defineProperty(out, key, { value: toJSONSafe(v[key]), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A number from `<integer>`, `<real>`, a bigint (possibly losing precision) or a numeric string. */
export function asNumber(v: PlistValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Real) return v.value;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    if (Number.isFinite(n)) return n;
  }
  return undefined;
}

/** A string, or the decimal text of a number (some devices send numbers where strings are documented). */
export function asString(v: PlistValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof Real) return String(v.value);
  return undefined;
}

/** A boolean from `<true/>`/`<false/>`, the strings "true"/"false" (any case), or 1/0. */
export function asBool(v: PlistValue | undefined): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    return t === 'true' ? true : t === 'false' ? false : undefined;
  }
  const n = typeof v === 'number' || typeof v === 'bigint' || v instanceof Real ? Number(v) : NaN;
  return n === 1 ? true : n === 0 ? false : undefined;
}
