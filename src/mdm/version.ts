// Apple version strings as sortable text, for SQL range filters ("26.6.2" → "026.006.002": the OS
// range of the posture summary). Comparing versions and finding their major is osupdate/catalog/versions.ts.

/** The numeric parts of a version ("26.6.2 (a)" → [26, 6, 2]); non-numeric parts count as 0. */
export function versionParts(version: string): number[] {
  return version
    .trim()
    .split(/\s/, 1)[0]!
    .split('.')
    .map((p) => (/^\d+$/.test(p) ? Number(p) : 0));
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
