// Apple version strings as numbers: comparing "26.6.2" with "26.10", the major of a version
// ("26.6.2" → "26", "10.14.6" → "10.14": before macOS 11 the second number was the major) and a
// sortable text key for SQL range filters ("26.6.2" → "026.006.002").

/** The numeric parts of a version ("26.6.2 (a)" → [26, 6, 2]); non-numeric parts count as 0. */
export function versionParts(version: string): number[] {
  return version
    .trim()
    .split(/\s/, 1)[0]!
    .split('.')
    .map((p) => (/^\d+$/.test(p) ? Number(p) : 0));
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b` ("26.6" = "26.6.0"). */
export function compareVersions(a: string, b: string): number {
  const x = versionParts(a);
  const y = versionParts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The major a version belongs to: "26.6.2" → "26"; macOS/OS X 10.x → "10.14". */
export function majorOf(version: string): string {
  const [a = 0, b = 0] = versionParts(version);
  return a === 10 ? `10.${b}` : String(a);
}

const PARTS = 3;
const pad = (n: number) => String(Math.min(n, 999)).padStart(3, '0');

/** A text key that sorts like the version: three zero-padded parts ("15.7" → "015.007.000"). */
export function versionKey(version: string): string {
  const parts = versionParts(version);
  return Array.from({ length: PARTS }, (_, i) => pad(parts[i] ?? 0)).join('.');
}

/**
 * The key of a range bound given with fewer parts: a lower bound pads with 000, an upper bound with
 * 999, so os_max=15 takes in every 15.x and os_min=15.7 starts at 15.7.0.
 */
export function versionBoundKey(version: string, bound: 'min' | 'max'): string {
  const parts = versionParts(version);
  return Array.from({ length: PARTS }, (_, i) => (i < parts.length ? pad(parts[i]!) : bound === 'min' ? '000' : '999')).join('.');
}

/** Whether a string is a dotted version (1 to 4 numeric parts). */
export const isVersion = (s: string): boolean => /^\d{1,4}(\.\d{1,4}){0,3}$/.test(s);
