// Apple's Software Lookup Service answer (gdmf.apple.com/v2/pmv): a top-level open map of sets
// (PublicAssetSets, AssetSets, PublicBackgroundSecurityImprovements, PublicRapidSecurityResponses, …),
// each {platform: [release]}; a release has ProductVersion, Build, PostingDate, ExpirationDate,
// SupportedDevices and, for BSI/RSR, ProductVersionExtra and PrerequisiteBuild.
import { CatalogError, isObject, newest, optDate, optStr, str, strings, type GdmfEntry, type Parsed } from './model.js';

/** The set every live answer fills: an empty one means a broken or truncated download. */
const REQUIRED_SET = 'PublicAssetSets';

function entry(set: string, platform: string, raw: unknown, path: string): GdmfEntry {
  if (!isObject(raw)) throw new CatalogError(`${path} is not an object`);
  const supported = raw.SupportedDevices;
  if (!Array.isArray(supported)) throw new CatalogError(`${path}.SupportedDevices ${supported === undefined ? 'is missing' : 'is not a list'}`);
  return {
    set,
    platform,
    version: str(raw.ProductVersion, `${path}.ProductVersion`),
    build: str(raw.Build, `${path}.Build`),
    extra: optStr(raw.ProductVersionExtra),
    prerequisiteBuild: optStr(raw.PrerequisiteBuild),
    postedAt: optDate(raw.PostingDate, `${path}.PostingDate`),
    expiresAt: optDate(raw.ExpirationDate, `${path}.ExpirationDate`),
    devices: strings(supported, `${path}.SupportedDevices`),
  };
}

/** Parses the JSON document; throws CatalogError with the path of the first bad value. */
export function parseGdmf(doc: unknown): Parsed {
  if (!isObject(doc)) throw new CatalogError('the document is not a JSON object');
  // SOFA keeps its cached copy as {etag, data: {…pmv…}}: accept that wrapping too.
  const root = isObject(doc.data) && !(REQUIRED_SET in doc) ? doc.data : doc;
  const pub = root[REQUIRED_SET];
  if (pub === undefined) throw new CatalogError(`${REQUIRED_SET} is missing (is this a gdmf.apple.com/v2/pmv answer?)`);
  const entries: GdmfEntry[] = [];
  for (const [set, platforms] of Object.entries(root)) {
    // An open map: sets we do not know are read when they have the shape of one, else skipped.
    const known = /AssetSets$|SecurityImprovements$|SecurityResponses$/.test(set);
    if (!isObject(platforms)) {
      if (known) throw new CatalogError(`${set} is not an object of platforms`);
      continue;
    }
    for (const [platform, list] of Object.entries(platforms)) {
      if (!Array.isArray(list)) {
        if (known) throw new CatalogError(`${set}.${platform} is not a list of releases`);
        continue;
      }
      list.forEach((raw, i) => entries.push(entry(set, platform, raw, `${set}.${platform}[${i}]`)));
    }
  }
  if (!entries.some((e) => e.set === REQUIRED_SET)) throw new CatalogError(`${REQUIRED_SET} is empty: a Software Lookup Service answer always lists the current releases`);
  return {
    doc: { kind: 'gdmf', entries },
    entries: entries.length,
    contentDate: newest(entries.map((e) => e.postedAt)),
    documentDate: null,
    validUntil: newest(entries.map((e) => e.expiresAt)),
  };
}
