// Apple version and build arithmetic shared by catalogs, posture and campaigns.

/** -1, 0 or 1 comparing dotted versions numerically (missing parts count as 0). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** The major of a version: "26.6.2" → "26"; before macOS 11 the major is two parts ("10.14.6" → "10.14"). */
export function majorOf(version: string): string {
  const parts = version.split('.');
  return parts[0] === '10' && parts.length > 1 ? `10.${parts[1]}` : parts[0]!;
}

/**
 * Compare builds such as 25C56 < 25D125 < 25D771280a: the number before the letter, the letter,
 * the number after it, then any suffix.
 */
export function compareBuilds(a: string, b: string): number {
  const pa = /^(\d+)([A-Z])(\d+)([a-z]?)$/.exec(a);
  const pb = /^(\d+)([A-Z])(\d+)([a-z]?)$/.exec(b);
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  const keys: Array<[number | string, number | string]> = [[Number(pa[1]), Number(pb[1])], [pa[2]!, pb[2]!], [Number(pa[3]), Number(pb[3])], [pa[4]!, pb[4]!]];
  for (const [x, y] of keys) if (x !== y) return x < y ? -1 : 1;
  return 0;
}

/** Whether `target` is ahead of `current` (by version; by build when the versions are equal and both builds are known). */
export function newer(target: { version: string; build: string | null }, current: { version: string; build: string | null }): boolean {
  if (/^\d/.test(target.version) && target.version.includes('.') || /^\d+$/.test(target.version)) {
    const v = compareVersions(target.version, current.version);
    if (v !== 0) return v > 0;
    return target.build !== null && current.build !== null && compareBuilds(target.build, current.build) > 0;
  }
  // A build-only target (a 2018 major named by its build, e.g. 18A391).
  return current.build === null || compareBuilds(target.version, current.build) > 0;
}

/** Whether a device on (version, build) has reached (or passed) the target. */
export function reached(target: { version: string; build: string | null }, current: { version: string | null; build: string | null }): boolean {
  if (!current.version && !current.build) return false;
  return !newer(target, { version: current.version ?? '0', build: current.build });
}
