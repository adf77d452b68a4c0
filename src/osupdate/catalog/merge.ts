// Merging the catalogs' releases into one list per family. gdmf gives what Apple offers (version,
// build, devices, posting and expiration); SOFA adds the CVEs each release fixes (matched by build,
// else by version) and the releases gdmf no longer lists; BSI/RSR entries of both are releases with
// `extra`. The same (version, build) listed with different expirations (gdmf does that for device
// groups) stays two releases, each with its devices.
import type { CatalogKind, OsFamily, Release } from '../types.js';
import type { GdmfDoc, SofaDoc, SofaGroup } from './model.js';
import { compareBuilds, compareVersions } from '../version.js';

interface Draft {
  family: OsFamily;
  version: string;
  build: string;
  extra: string | null;
  prerequisiteBuild: string | null;
  postedAt: string | null;
  expiresAt: string | null;
  devices: Set<string>;
  cves: Set<string>;
  exploited: Set<string>;
  /** SOFA lists it (then it is a security release when it fixes at least one CVE). */
  inSofa: boolean;
  securityInfoUrl: string | null;
  sources: Set<CatalogKind>;
}

/** gdmf platform key → family (Apple TV, Watch and HomePod releases sit under iOS). */
const GDMF_FAMILIES: Record<string, OsFamily> = { macOS: 'macOS', iOS: 'iOS', visionOS: 'visionOS' };

const earliest = (a: string | null, b: string | null): string | null => (a === null ? b : b === null || a <= b ? a : b);

class Drafts {
  readonly all: Draft[] = [];
  private readonly byBuild = new Map<string, Draft[]>();
  private readonly byVersion = new Map<string, Draft[]>();

  private static versionKey(family: OsFamily, version: string, extra: string | null): string {
    return `${family}|${version.replace(/(\.0)+$/, '')}|${extra ?? ''}`;
  }

  add(d: Draft): Draft {
    this.all.push(d);
    if (d.build) push(this.byBuild, `${d.family}|${d.build}`, d);
    push(this.byVersion, Drafts.versionKey(d.family, d.version, d.extra), d);
    return d;
  }

  withBuild(family: OsFamily, build: string, bsi: boolean): Draft[] {
    return (this.byBuild.get(`${family}|${build}`) ?? []).filter((d) => (d.extra !== null) === bsi);
  }

  withVersion(family: OsFamily, version: string, extra: string | null): Draft[] {
    return this.byVersion.get(Drafts.versionKey(family, version, extra)) ?? [];
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function draft(family: OsFamily, fields: Partial<Draft> & Pick<Draft, 'version' | 'build'>): Draft {
  return {
    family,
    extra: null,
    prerequisiteBuild: null,
    postedAt: null,
    expiresAt: null,
    devices: new Set(),
    cves: new Set(),
    exploited: new Set(),
    inSofa: false,
    securityInfoUrl: null,
    sources: new Set(),
    ...fields,
  };
}

function addGdmf(drafts: Drafts, doc: GdmfDoc): void {
  const byKey = new Map<string, Draft>();
  for (const e of doc.entries) {
    const family = GDMF_FAMILIES[e.platform];
    if (!family) continue;
    const key = `${family}|${e.version}|${e.build}|${e.extra ?? ''}|${e.expiresAt ?? ''}`;
    let d = byKey.get(key);
    if (!d) {
      d = drafts.add(draft(family, { version: e.version, build: e.build, extra: e.extra, prerequisiteBuild: e.prerequisiteBuild, expiresAt: e.expiresAt }));
      byKey.set(key, d);
    }
    d.postedAt = earliest(d.postedAt, e.postedAt);
    d.prerequisiteBuild ??= e.prerequisiteBuild;
    for (const dev of e.devices) d.devices.add(dev);
    d.sources.add('gdmf');
  }
}

/** Devices of a SOFA group as release devices: board IDs on Macs (model identifiers mapped through Devices). */
function groupDevices(doc: SofaDoc, group: SofaGroup | undefined, modelBoards: Map<string, string[]>): string[] {
  if (!group) return [];
  if (doc.family !== 'macOS') return group.devices;
  return group.devices.flatMap((d) => modelBoards.get(d) ?? [d]);
}

function addSofa(drafts: Drafts, kind: CatalogKind, doc: SofaDoc, modelBoards: Map<string, string[]>): void {
  const family: OsFamily = doc.family;
  const groups = new Map(doc.groups.map((g) => [g.name, g]));
  for (const r of doc.releases) {
    let matched = [...new Set(r.builds.flatMap((b) => drafts.withBuild(family, b, false)))];
    if (matched.length === 0) matched = drafts.withVersion(family, r.version, null);
    if (matched.length === 0) {
      const devices = r.devices.length > 0 ? r.devices : groupDevices(doc, groups.get(r.group), modelBoards);
      matched = [drafts.add(draft(family, { version: r.version, build: r.builds[0] ?? '', expiresAt: r.expiresAt, devices: new Set(devices) }))];
    }
    for (const d of matched) {
      for (const c of r.cves) d.cves.add(c);
      for (const c of r.exploited) d.exploited.add(c);
      d.inSofa = true;
      d.securityInfoUrl ??= r.securityInfo;
      d.postedAt ??= r.releasedAt;
      d.sources.add(kind);
    }
  }
  for (const b of doc.bsi) {
    let matched = drafts.withBuild(family, b.build, true);
    if (matched.length === 0) matched = drafts.withVersion(family, b.version, b.extra ?? '(a)');
    if (matched.length === 0) {
      const fields = { version: b.version, build: b.build, extra: b.extra ?? '(a)', prerequisiteBuild: b.prerequisiteBuild, postedAt: b.postedAt };
      matched = [drafts.add(draft(family, { ...fields, devices: new Set(b.devices) }))];
    }
    for (const d of matched) {
      for (const c of b.cves) d.cves.add(c);
      d.inSofa = true;
      d.securityInfoUrl ??= b.securityInfo;
      d.prerequisiteBuild ??= b.prerequisiteBuild;
      d.sources.add(kind);
    }
  }
}

/**
 * Newest version first; a BSI/RSR right after its base release; among builds of one version the
 * larger device group, then the main build before its forks (23G83 before 23G6083).
 */
export function compareReleases(a: Release, b: Release): number {
  return (
    compareVersions(b.version, a.version) ||
    (a.extra === null ? 0 : 1) - (b.extra === null ? 0 : 1) ||
    (b.extra ?? '').localeCompare(a.extra ?? '') ||
    b.supportedDevices.length - a.supportedDevices.length ||
    compareBuilds(a.build, b.build)
  );
}

function release(d: Draft): Release {
  return Object.freeze({
    family: d.family,
    version: d.version,
    build: d.build,
    extra: d.extra,
    prerequisiteBuild: d.prerequisiteBuild,
    postedAt: d.postedAt === null ? null : new Date(d.postedAt),
    expiresAt: d.expiresAt === null ? null : new Date(d.expiresAt),
    supportedDevices: Object.freeze([...d.devices].sort()),
    cves: Object.freeze([...d.cves].sort()),
    activelyExploited: Object.freeze([...d.exploited].sort()),
    security: d.inSofa && d.cves.size > 0,
    securityInfoUrl: d.securityInfoUrl,
    sources: Object.freeze([...d.sources].sort()),
  });
}

export interface SofaInput {
  kind: CatalogKind;
  doc: SofaDoc;
}

/** Every release of every family, merged and sorted (newest first). */
export function mergeReleases(gdmf: GdmfDoc | null, sofa: readonly SofaInput[], modelBoards: Map<string, string[]>): Map<OsFamily, Release[]> {
  const drafts = new Drafts();
  if (gdmf) addGdmf(drafts, gdmf);
  for (const s of sofa) addSofa(drafts, s.kind, s.doc, modelBoards);
  const out = new Map<OsFamily, Release[]>();
  for (const d of drafts.all) push(out, d.family, release(d));
  for (const list of out.values()) list.sort(compareReleases);
  return out;
}
