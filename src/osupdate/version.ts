// Apple's version and build numbering, as the catalogs and devices write them (catalogs, posture and
// campaigns share it).

/** The numeric parts of "26.6.2" ([26, 6, 2]); a missing or non-numeric part counts as 0. */
function parts(version: string): number[] {
  return version.split('.').map((p) => {
    const n = Number.parseInt(p, 10);
    return Number.isFinite(n) ? n : 0;
  });
}

/** <0 when a is older than b, 0 when equal ("26.6" equals "26.6.0"), >0 when newer. */
export function compareVersions(a: string, b: string): number {
  const x = parts(a);
  const y = parts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

const BUILD = /^(\d+)([A-Za-z])(\d+)([A-Za-z]*)$/;

/** Orders builds by train (25), letter (G), number (25G76 < 25G83 < 25G6083), then suffix; others as text. */
export function compareBuilds(a: string, b: string): number {
  const x = BUILD.exec(a);
  const y = BUILD.exec(b);
  if (!x || !y) return a < b ? -1 : a > b ? 1 : 0;
  return (
    Number(x[1]) - Number(y[1]) ||
    x[2]!.toUpperCase().localeCompare(y[2]!.toUpperCase()) ||
    Number(x[3]) - Number(y[3]) ||
    x[4]!.localeCompare(y[4]!)
  );
}

/** The major release of a version: "26" for 26.6.2, "10.14" for 10.14.6 (macOS before 11). */
export function majorOf(version: string): string {
  const [first, second] = version.split('.');
  return first === '10' && second !== undefined ? `10.${second}` : (first ?? version);
}

/** The major as a number (10.14 → 10.14, 26 → 26), for comparisons. */
export function majorNumber(version: string): number {
  return Number(majorOf(version));
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
