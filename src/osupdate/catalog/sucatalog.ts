// A macOS software update catalog (.sucatalog, an XML plist): {CatalogVersion, IndexDate, Products:
// {productKey: {ServerMetadataURL, Packages[{URL, Size, Digest, MetadataURL}], PostDate,
// Distributions, ExtendedMetaInfo}}}. Since macOS 11 what matters in it is the full installers
// (ExtendedMetaInfo.InstallAssistantPackageIdentifiers) and configuration-data products such as the
// installer notification of the Mojave post (product 041-14451, macOSInstallerNotification_GM.smd).
import { parseAnyPlist, PlistError, Real, type PlistDict, type PlistValue } from '../../plist/index.js';
import { CatalogError, type Parsed, type SuProductDoc } from './model.js';

const isDict = (v: PlistValue | undefined): v is PlistDict =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !Buffer.isBuffer(v) && !(v instanceof Real);

const text = (v: PlistValue | undefined): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

/** Configuration-data products say so in ExtendedMetaInfo.ProductType or name it in their files (…ConfigData…, …InstallerNotification…). */
const CONFIG_DATA_FILE = /ConfigData|InstallerNotification/i;

function urls(p: PlistDict, packages: PlistValue[]): string[] {
  const out = [text(p.ServerMetadataURL)];
  for (const pkg of packages) if (isDict(pkg)) out.push(text(pkg.URL), text(pkg.MetadataURL));
  return out.filter((u): u is string => u !== null);
}

function product(productKey: string, p: PlistValue): SuProductDoc {
  const where = `Products.${productKey}`;
  if (!isDict(p)) throw new CatalogError(`${where} is not a dictionary`);
  const packages = p.Packages ?? [];
  if (!Array.isArray(packages)) throw new CatalogError(`${where}.Packages is not an array`);
  if (p.PostDate !== undefined && !(p.PostDate instanceof Date)) throw new CatalogError(`${where}.PostDate is not a <date>`);
  const meta = isDict(p.ExtendedMetaInfo) ? p.ExtendedMetaInfo : {};
  const installer = isDict(meta.InstallAssistantPackageIdentifiers);
  const configData =
    !installer && (/config/i.test(text(meta.ProductType) ?? '') || urls(p, packages).some((u) => CONFIG_DATA_FILE.test(u.slice(u.lastIndexOf('/') + 1))));
  return {
    productKey,
    title: text(p.Title) ?? text(meta.Title),
    version: text(meta.ProductVersion) ?? text(p.DisplayVersion),
    build: text(meta.BuildVersion) ?? text(meta.ProductBuildVersion) ?? text(p.BuildVersion),
    postedAt: p.PostDate instanceof Date ? p.PostDate.toISOString() : null,
    kind: installer ? 'installer' : configData ? 'config-data' : 'other',
    serverMetadataUrl: text(p.ServerMetadataURL),
    packages: packages.length,
  };
}

/** Parses the (inflated) catalog bytes; throws CatalogError for a malformed plist or a catalog without products. */
export function parseSucatalog(bytes: Buffer): Parsed {
  let root: PlistValue;
  try {
    root = parseAnyPlist(bytes);
  } catch (err) {
    if (err instanceof PlistError) throw new CatalogError(`not a property list: ${err.message}`);
    throw err;
  }
  if (!isDict(root)) throw new CatalogError('the property list is not a dictionary');
  const products = root.Products;
  if (!isDict(products)) throw new CatalogError(`Products ${products === undefined ? 'is missing (is this a .sucatalog?)' : 'is not a dictionary'}`);
  const list = Object.entries(products).map(([key, p]) => product(key, p));
  if (list.length === 0) throw new CatalogError('Products is empty: a software update catalog always lists products');
  const indexDate = root.IndexDate instanceof Date ? root.IndexDate : null;
  const catalogVersion = typeof root.CatalogVersion === 'number' ? root.CatalogVersion : null;
  let newestPost: string | null = null;
  for (const p of list) if (p.postedAt !== null && (newestPost === null || p.postedAt > newestPost)) newestPost = p.postedAt;
  return {
    doc: { kind: 'sucatalog', indexDate: indexDate?.toISOString() ?? null, catalogVersion, products: list },
    entries: list.length,
    contentDate: newestPost === null ? null : new Date(newestPost),
    documentDate: indexDate,
    validUntil: null,
  };
}
