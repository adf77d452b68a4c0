// Software update catalogs for tests and the bench, built with the project's plist codec from the
// documented structure (no raw .sucatalog is shipped): the real full installers SOFA lists
// (data_resources_uma_catalog.json: product key, title, posting date, size, URL) as InstallAssistant
// products, the installer-notification product of the Mojave post (041-14451, as the seed shows it),
// and optional filler products shaped like the catalog's many ordinary updates.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildPlist, type BuildInput } from '../../src/plist/index.js';
import { sharedDir } from '../helpers/fixtures.js';

export const catalogsDir = join(sharedDir, 'catalogs');

interface UmaProduct {
  product_key: string;
  title: string;
  version: string;
  build: string;
  posting_date: string;
  size: number;
  download_url: string;
}

export const umaProducts = (): UmaProduct[] =>
  (JSON.parse(readFileSync(join(catalogsDir, 'sofa/data_resources_uma_catalog.json'), 'utf8')) as { products: UmaProduct[] }).products;

/** The product of the seed post, as it appeared in the catalog on 2018-10-16. */
export const INSTALLER_NOTIFICATION: Record<string, BuildInput> = {
  '041-14451': {
    ServerMetadataURL: 'http://swcdn.apple.com/content/downloads/44/24/041-14451/macOSInstallerNotification_GM.smd',
    Packages: [
      {
        Digest: 'f11446026976c362a451b89d354c2313af19a1a3',
        Size: 1821971,
        MetadataURL: 'https://swdist.apple.com/content/downloads/44/24/041-14451/macOSInstallerNotification_GM.pkm',
        URL: 'http://swcdn.apple.com/content/downloads/44/24/041-14451/macOSInstallerNotification_GM.pkg',
      },
    ],
    PostDate: new Date('2018-10-16T20:05:00Z'),
  },
};

function installer(p: UmaProduct): BuildInput {
  const base = p.download_url.slice(0, p.download_url.lastIndexOf('/') + 1);
  return {
    ServerMetadataURL: `${base}InstallAssistantAuto.smd`,
    Packages: [
      { Size: p.size, URL: p.download_url, IntegrityDataURL: `${p.download_url}.integrityDataV1`, IntegrityDataSize: 42088 },
      { Size: 2712, URL: `${base}InstallInfo.plist` },
      { Size: 1423, URL: `${base}BuildManifest.plist` },
    ],
    PostDate: new Date(p.posting_date),
    Distributions: { English: `${base}${p.product_key}.English.dist`, en: `${base}${p.product_key}.en.dist` },
    ExtendedMetaInfo: {
      InstallAssistantPackageIdentifiers: {
        SharedSupport: `com.apple.pkg.InstallAssistant.${p.title.replace(/\W/g, '')}`,
        InstallInfo: 'com.apple.plist.InstallInfo',
        OSInstall: 'com.apple.mpkg.OSInstall',
      },
    },
  };
}

/** A filler product like the catalog's thousands of ordinary updates (printer drivers, old OS updates). */
function filler(i: number): [string, BuildInput] {
  const key = `0${String(10 + (i % 90))}-${String(10000 + i).padStart(5, '0')}`;
  const base = `http://swcdn.apple.com/content/downloads/${String(i % 100).padStart(2, '0')}/${String((i * 7) % 100).padStart(2, '0')}/${key}/${(i * 2654435761).toString(36)}/`;
  const product = {
    ServerMetadataURL: `${base}Update${i}.smd`,
    Packages: [
      { Digest: (i * 40503).toString(16).padStart(40, '0'), Size: 1000000 + i, MetadataURL: `${base}Update${i}.pkm`, URL: `${base}Update${i}.pkg` },
      { Digest: (i * 9973).toString(16).padStart(40, '0'), Size: 52000 + i, MetadataURL: `${base}UpdateSupport${i}.pkm`, URL: `${base}UpdateSupport${i}.pkg` },
    ],
    PostDate: new Date(Date.UTC(2015, 0, 1) + i * 3_600_000),
    Distributions: Object.fromEntries(['English', 'French', 'German', 'Japanese', 'Spanish', 'en', 'fr', 'de', 'ja', 'es'].map((l) => [l, `${base}${key}.${l}.dist`])),
  };
  return [key, product];
}

export interface SucatalogOptions {
  /** Filler products to add (each about 1.6 KB of XML). */
  fillers?: number;
  indexDate?: Date;
  /** Only the installers posted on or before this date (an older catalog). */
  postedBy?: Date;
}

/** The catalog's XML. */
export function sucatalogXml(opts: SucatalogOptions = {}): Buffer {
  const products: Record<string, BuildInput> = { ...INSTALLER_NOTIFICATION };
  for (const p of umaProducts()) if (!opts.postedBy || new Date(p.posting_date) <= opts.postedBy) products[p.product_key] = installer(p);
  for (let i = 0; i < (opts.fillers ?? 0); i++) {
    const [key, product] = filler(i);
    products[key] = product;
  }
  return Buffer.from(
    buildPlist({
      CatalogVersion: 2,
      ApplePostURL: 'http://swpost.apple.com/stats',
      IndexDate: opts.indexDate ?? new Date('2026-08-22T18:00:00Z'),
      Products: products,
    }),
  );
}

/** The same, gzipped as Apple serves .sucatalog.gz. */
export const sucatalogGz = (opts: SucatalogOptions = {}): Buffer => gzipSync(sucatalogXml(opts));

/** A shipped snapshot's bytes: gdmf_pmv_2026-08.json, sofa/v2_macos_data_feed.json, … */
export const snapshot = (rel: string): Buffer => readFileSync(join(catalogsDir, rel));

export const SNAPSHOTS = {
  gdmf: 'gdmf_pmv_2026-08.json',
  'sofa-macos': 'sofa/v2_macos_data_feed.json',
  'sofa-ios': 'sofa/v2_ios_data_feed.json',
} as const;
