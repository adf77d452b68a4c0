// SOFA feeds (macadmins), macOS and iOS, v1 or v2: OSVersions[] of {OSVersion, Latest,
// SecurityReleases[], SupportedModels?}, each release with its CVEs ({id: bool} in v1, {id: {…}} in
// v2) and ActivelyExploitedCVEs; the macOS feed adds Models, Devices (board ID → model identifier)
// and InstallationApps; v2 adds AllBuilds and BackgroundSecurityImprovements.
import {
  CatalogError,
  isObject,
  newest,
  optDate,
  optStr,
  parseDate,
  str,
  strings,
  type Json,
  type Parsed,
  type SofaBsi,
  type SofaDoc,
  type SofaGroup,
  type SofaInstaller,
  type SofaRelease,
} from './model.js';

type Family = SofaDoc['family'];

function cveLists(raw: Json, path: string): { cves: string[]; exploited: string[] } {
  const cves: string[] = [];
  const exploited = new Set<string>();
  const map = raw.CVEs;
  if (Array.isArray(map)) cves.push(...strings(map, `${path}.CVEs`));
  else if (isObject(map)) {
    for (const [id, v] of Object.entries(map)) {
      cves.push(id);
      if (v === true || (isObject(v) && v.ActivelyExploited === true)) exploited.add(id);
    }
  } else if (map !== undefined && map !== null) throw new CatalogError(`${path}.CVEs is neither a list nor an object`);
  for (const id of strings(raw.ActivelyExploitedCVEs, `${path}.ActivelyExploitedCVEs`)) exploited.add(id);
  return { cves, exploited: [...exploited] };
}

function release(group: string, raw: unknown, path: string): SofaRelease {
  if (!isObject(raw)) throw new CatalogError(`${path} is not an object`);
  const builds = [optStr(raw.Build), ...strings(raw.AllBuilds, `${path}.AllBuilds`)].filter((b): b is string => b !== null);
  return {
    group,
    name: optStr(raw.UpdateName),
    version: str(raw.ProductVersion, `${path}.ProductVersion`),
    builds: [...new Set(builds)],
    releasedAt: optDate(raw.ReleaseDate, `${path}.ReleaseDate`),
    expiresAt: optDate(raw.ExpirationDate, `${path}.ExpirationDate`),
    devices: strings(raw.SupportedDevices, `${path}.SupportedDevices`),
    ...cveLists(raw, path),
    securityInfo: optStr(raw.SecurityInfo),
  };
}

function group(raw: Json, path: string, releases: SofaRelease[]): SofaGroup {
  const name = str(raw.OSVersion, `${path}.OSVersion`);
  const list = raw.SecurityReleases;
  if (!Array.isArray(list)) throw new CatalogError(`${path}.SecurityReleases ${list === undefined ? 'is missing' : 'is not a list'}`);
  list.forEach((r, i) => releases.push(release(name, r, `${path}.SecurityReleases[${i}]`)));
  const devices = new Set<string>();
  if (isObject(raw.Latest)) for (const d of strings(raw.Latest.SupportedDevices, `${path}.Latest.SupportedDevices`)) devices.add(d);
  if (Array.isArray(raw.SupportedModels))
    for (const m of raw.SupportedModels) if (isObject(m) && isObject(m.Identifiers)) for (const id of Object.keys(m.Identifiers)) devices.add(id);
  const major = /(\d+(?:\.\d+)?)\s*$/.exec(name)?.[1] ?? null;
  return { name, major, devices: [...devices] };
}

function bsiEntries(raw: unknown): SofaBsi[] {
  if (!isObject(raw)) return [];
  const out: SofaBsi[] = [];
  for (const [major, list] of Object.entries(raw)) {
    if (!Array.isArray(list)) throw new CatalogError(`BackgroundSecurityImprovements.${major} is not a list`);
    list.forEach((b, i) => {
      const path = `BackgroundSecurityImprovements.${major}[${i}]`;
      if (!isObject(b)) throw new CatalogError(`${path} is not an object`);
      out.push({
        version: str(b.Version ?? b.ProductVersion, `${path}.Version`),
        extra: optStr(b.VersionExtra ?? b.ProductVersionExtra),
        build: str(b.Build, `${path}.Build`),
        prerequisiteBuild: optStr(b.PrerequisiteBuild),
        postedAt: optDate(b.PostingDate ?? b.ReleaseDate, `${path}.PostingDate`),
        devices: strings(b.SupportedDevices, `${path}.SupportedDevices`),
        cves: cveLists(b, path).cves,
        securityInfo: optStr(b.SecurityInfo),
      });
    });
  }
  return out;
}

function installers(raw: unknown): SofaInstaller[] {
  if (!isObject(raw)) return [];
  const list = [raw.LatestUMA, ...(Array.isArray(raw.AllPreviousUMA) ? raw.AllPreviousUMA : [])];
  const out: SofaInstaller[] = [];
  for (const u of list) {
    if (!isObject(u)) continue;
    const productKey = optStr(u.AppleSlug ?? u.apple_slug);
    if (!productKey) continue;
    const posted = parseDate(u.PostingDate ?? u.posting_date);
    out.push({
      productKey,
      title: optStr(u.Title ?? u.title),
      version: optStr(u.Version ?? u.version),
      build: optStr(u.Build ?? u.build),
      postedAt: posted ? posted.toISOString() : null,
    });
  }
  return out;
}

function boardsAndModels(doc: Json): Pick<SofaDoc, 'boards' | 'models'> {
  const boards: Record<string, string> = {};
  const models: SofaDoc['models'] = {};
  if (isObject(doc.Devices))
    for (const [board, d] of Object.entries(doc.Devices)) if (isObject(d) && typeof d.DeviceID === 'string') boards[board] = d.DeviceID;
  if (isObject(doc.Models))
    for (const [model, m] of Object.entries(doc.Models)) {
      if (!isObject(m)) continue;
      const majors = Array.isArray(m.OSVersions) ? m.OSVersions.filter((n): n is number => typeof n === 'number') : [];
      models[model] = { name: optStr(m.MarketingName), majors };
    }
  return { boards, models };
}

/** Which family a feed's releases name ("macOS …" or "iOS …"/"iPadOS …"); null when they do not say. */
function familyNamed(releases: SofaRelease[], groups: Json[]): Family | null {
  const names = [
    ...groups.flatMap((g) => (isObject(g.Latest) ? [String(g.Latest.ProductName ?? ''), String(g.Latest.UpdateName ?? '')] : [])),
    ...releases.map((r) => r.name ?? ''),
  ].join(' ');
  if (/\bmacOS\b/.test(names)) return 'macOS';
  if (/\biP(hone|ad)?OS\b/.test(names)) return 'iOS';
  return null;
}

/** Parses a SOFA feed of the given family; throws CatalogError naming the first bad value. */
export function parseSofa(doc: unknown, family: Family): Parsed {
  if (!isObject(doc)) throw new CatalogError('the document is not a JSON object');
  const list = doc.OSVersions;
  if (!Array.isArray(list)) throw new CatalogError(`OSVersions ${list === undefined ? 'is missing (is this a SOFA data feed?)' : 'is not a list'}`);
  if (list.length === 0) throw new CatalogError('OSVersions is empty: a SOFA feed always lists the current OS versions');
  const releases: SofaRelease[] = [];
  const groups = list.map((g, i) => {
    if (!isObject(g)) throw new CatalogError(`OSVersions[${i}] is not an object`);
    return group(g, `OSVersions[${i}]`, releases);
  });
  if (releases.length === 0) throw new CatalogError('no OSVersions entry lists a security release');
  const named = familyNamed(releases, list as Json[]);
  if (named !== null && named !== family)
    throw new CatalogError(`this is SOFA's ${named} feed, not the ${family} one (import it as sofa-${named === 'macOS' ? 'macos' : 'ios'})`);
  const bsi = bsiEntries(doc.BackgroundSecurityImprovements);
  const lastCheck = parseDate(doc.LastCheck ?? (isObject(doc.Metadata) ? doc.Metadata.GeneratedAt : undefined));
  const parsed: SofaDoc = {
    kind: 'sofa',
    family,
    lastCheck: lastCheck ? lastCheck.toISOString() : null,
    releases,
    bsi,
    groups,
    ...boardsAndModels(doc),
    installers: installers(doc.InstallationApps),
  };
  return {
    doc: parsed,
    entries: releases.length + bsi.length,
    contentDate: newest([...releases.map((r) => r.releasedAt), ...bsi.map((b) => b.postedAt)]),
    documentDate: lastCheck,
    validUntil: newest(releases.map((r) => r.expiresAt)),
  };
}
