// Choosing the product to schedule from a device's AvailableOSUpdates. A product matches the target
// by version, by build, or by a Version/ProductKey that carries the build (macOS named its 2018
// major installers by build: Version "18A391", key "_OSX_18A391"); where only a build is known, its
// Darwin major tells the macOS version (18 → 10.14, 20 → 11, 25 → 26); a modern key names it
// (MSU_UPDATE_25G83_patch_26.6.2_major).
import { compareBuilds, compareVersions, majorOf } from '../version.js';

export interface OfferedProduct {
  productKey: string;
  version: string | null;
  build: string | null;
  name: string | null;
  configData: boolean;
  major: boolean;
}

/** Darwin major → macOS version (a fact of Apple's numbering: 15 → 10.11 … 19 → 10.15, 20 → 11 … 24 → 15, 25 → 26). */
const DARWIN_TO_MACOS: Record<number, string> = {
  15: '10.11', 16: '10.12', 17: '10.13', 18: '10.14', 19: '10.15', 20: '11', 21: '12', 22: '13', 23: '14', 24: '15', 25: '26',
};
const BUILD = /^(\d{2})[A-Z]\d+[a-z]?$/;

export function macosVersionOfBuild(build: string): string | null {
  const m = BUILD.exec(build);
  if (!m) return null;
  const darwin = Number(m[1]);
  return DARWIN_TO_MACOS[darwin] ?? (darwin > 25 ? String(darwin + 1) : null);
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const bool = (v: unknown): boolean => v === true || v === 'true' || v === 1;

export function parseOffered(result: Record<string, unknown>): OfferedProduct[] {
  const list = Array.isArray(result.AvailableOSUpdates) ? result.AvailableOSUpdates : [];
  return list.flatMap((raw): OfferedProduct[] => {
    if (typeof raw !== 'object' || raw === null) return [];
    const i = raw as Record<string, unknown>;
    const key = str(i.ProductKey);
    if (!key) return [];
    return [{
      productKey: key, version: str(i.Version), build: str(i.Build), name: str(i.HumanReadableName),
      configData: bool(i.IsConfigDataUpdate), major: bool(i.IsMajorOSUpdate),
    }];
  });
}

/** The version a product installs, as well as it can be told (a build-named version mapped on macOS). */
export function productVersion(p: OfferedProduct, macos: boolean): string | null {
  const v = p.version;
  if (v && /^\d+(\.\d+)*$/.test(v)) return v;
  // Modern macOS keys carry the version: MSU_UPDATE_23G93_patch_14.6.1_major.
  const patch = /_patch_(\d+(?:\.\d+)*)/.exec(p.productKey);
  if (patch) return patch[1]!;
  const build = p.build ?? (v && BUILD.test(v) ? v : null) ?? /(\d{2}[A-Z]\d+[a-z]?)/.exec(p.productKey)?.[1] ?? null;
  return macos && build ? macosVersionOfBuild(build) : null;
}

function productBuild(p: OfferedProduct): string | null {
  if (p.build) return p.build;
  if (p.version && BUILD.test(p.version)) return p.version;
  return /(\d{2}[A-Z]\d+[a-z]?)/.exec(p.productKey)?.[1] ?? null;
}

export function matchesTarget(p: OfferedProduct, target: { version: string; build: string | null }, macos: boolean): boolean {
  if (p.configData) return false;
  const build = productBuild(p);
  if (target.build && build === target.build) return true;
  if (!/^\d+(\.\d+)*$/.test(target.version)) return build === target.version || p.productKey.includes(target.version);
  if (p.version === target.version) return !target.build || !build || build === target.build;
  // Only a build is known for the product: its Darwin major names the macOS version ("10.14" for 18A391).
  const v = productVersion(p, macos);
  return v !== null && !(p.version && /^\d+(\.\d+)*$/.test(p.version)) && (v === target.version || v === majorOf(target.version) && target.version === majorOf(target.version));
}

/** The newest OS product (not configuration data), within the current major for latest-minor. */
export function newestProduct(products: OfferedProduct[], current: string, macos: boolean, sameMajor: boolean): OfferedProduct | null {
  let best: { p: OfferedProduct; v: string; b: string | null } | null = null;
  for (const p of products) {
    if (p.configData) continue;
    const v = productVersion(p, macos);
    if (!v || compareVersions(v, current) <= 0) continue;
    if (sameMajor && majorOf(v) !== majorOf(current)) continue;
    const b = productBuild(p);
    const better = !best || compareVersions(v, best.v) > 0 || (compareVersions(v, best.v) === 0 && b !== null && best.b !== null && compareBuilds(b, best.b) > 0);
    if (better) best = { p, v, b };
  }
  return best?.p ?? null;
}
