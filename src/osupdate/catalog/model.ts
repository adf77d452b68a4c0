// What each catalog parser keeps of its document: plain JSON (dates as ISO strings), stored beside
// the raw document so a process rebuilds its view without parsing megabytes again. Bump
// PARSED_VERSION when a shape changes: rows kept under another version are parsed again from raw.
import type { CatalogKind } from '../types.js';

export const PARSED_VERSION = 1;

/** A catalog that cannot be used, and why (the HTTP API answers 422 with the message). */
export class CatalogError extends Error {
  override readonly name = 'CatalogError';
  constructor(
    readonly reason: string,
    readonly kind?: CatalogKind,
    readonly source?: string,
  ) {
    super(kind ? `${source ? `${source}: ` : ''}not a usable ${kind} catalog: ${reason}` : reason);
  }
}

/** One release entry of the Software Lookup Service (gdmf.apple.com/v2/pmv). */
export interface GdmfEntry {
  /** The top-level key it sits under: PublicAssetSets, AssetSets, PublicBackgroundSecurityImprovements, … */
  set: string;
  /** The platform key: macOS, iOS (also Apple TV, Watch, HomePod), visionOS. */
  platform: string;
  version: string;
  build: string;
  extra: string | null;
  prerequisiteBuild: string | null;
  postedAt: string | null;
  expiresAt: string | null;
  devices: string[];
}

export interface GdmfDoc {
  kind: 'gdmf';
  entries: GdmfEntry[];
}

/** One SOFA security release (an OS release, with the CVEs it fixes). */
export interface SofaRelease {
  /** The OSVersions group it belongs to, e.g. "Tahoe 26" or "18". */
  group: string;
  name: string | null;
  version: string;
  /** Build, then AllBuilds (SOFA lists the builds of every platform of the release). */
  builds: string[];
  releasedAt: string | null;
  expiresAt: string | null;
  devices: string[];
  cves: string[];
  exploited: string[];
  securityInfo: string | null;
}

/** A SOFA BackgroundSecurityImprovements entry. */
export interface SofaBsi {
  version: string;
  extra: string | null;
  build: string;
  prerequisiteBuild: string | null;
  postedAt: string | null;
  devices: string[];
  cves: string[];
  securityInfo: string | null;
}

export interface SofaGroup {
  name: string;
  /** "26", "15", "10.15"; null when the name carries no number. */
  major: string | null;
  /** What the group's releases run on when they do not say: Latest.SupportedDevices and SupportedModels identifiers. */
  devices: string[];
}

/** A full macOS installer SOFA knows (InstallationApps), keyed by its sucatalog product key. */
export interface SofaInstaller {
  productKey: string;
  title: string | null;
  version: string | null;
  build: string | null;
  postedAt: string | null;
}

export interface SofaDoc {
  kind: 'sofa';
  family: 'macOS' | 'iOS';
  /** When SOFA last checked Apple (LastCheck, or Metadata.GeneratedAt). */
  lastCheck: string | null;
  releases: SofaRelease[];
  bsi: SofaBsi[];
  groups: SofaGroup[];
  /** Board ID → model identifier (Devices). */
  boards: Record<string, string>;
  /** Model identifier → marketing name and the majors it supports (Models). */
  models: Record<string, { name: string | null; majors: number[] }>;
  installers: SofaInstaller[];
}

export interface SuProductDoc {
  productKey: string;
  title: string | null;
  version: string | null;
  build: string | null;
  postedAt: string | null;
  kind: 'installer' | 'config-data' | 'other';
  serverMetadataUrl: string | null;
  packages: number;
}

export interface SuDoc {
  kind: 'sucatalog';
  indexDate: string | null;
  catalogVersion: number | null;
  products: SuProductDoc[];
}

export type ParsedDoc = GdmfDoc | SofaDoc | SuDoc;

/** A parser's answer: what it keeps and what the catalog list shows about it. */
export interface Parsed {
  doc: ParsedDoc;
  entries: number;
  /** Newest release or posting date inside the document. */
  contentDate: Date | null;
  /** When the document says it was made (SOFA LastCheck, sucatalog IndexDate); null for gdmf. */
  documentDate: Date | null;
  /** The latest ExpirationDate of a release inside (gdmf, SOFA): past it, the document is surely out of date. */
  validUntil: Date | null;
}

// Small readers shared by the parsers: each throws CatalogError naming the path of the bad value.

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** An ISO date ("2026-08-17", "2026-08-17T00:00:00Z", nanosecond fractions) as a Date, else null. */
export function parseDate(v: unknown): Date | null {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v;
  if (typeof v !== 'string') return null;
  const m = DATE.exec(v.trim());
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const ms = frac.slice(0, 3).padEnd(3, '0');
  const tz = zone === 'Z' ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${tz}`);
  return Number.isNaN(date.getTime()) || date.getUTCMonth() + 1 !== Number(mo) ? null : date;
}

export function str(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new CatalogError(`${path} ${v === undefined ? 'is missing' : 'is not a non-empty string'}`);
  return v.trim();
}

export function optStr(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}

/** A date field that may be absent, but must be a date when present. */
export function optDate(v: unknown, path: string): string | null {
  if (v === undefined || v === null || v === '') return null;
  const d = parseDate(v);
  if (!d) throw new CatalogError(`${path} is not a date: ${JSON.stringify(v)}`);
  return d.toISOString();
}

export function strings(v: unknown, path: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new CatalogError(`${path} is not a list`);
  return v.map((x, i) => str(x, `${path}[${i}]`));
}

/** The newest of some ISO dates (null when none). */
export function newest(dates: Iterable<string | null>): Date | null {
  let max: string | null = null;
  for (const d of dates) if (d !== null && (max === null || d > max)) max = d;
  return max === null ? null : new Date(max);
}
