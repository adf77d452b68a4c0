// The stored catalogs merged into one read-only CatalogView: releases per family (merge.ts), the
// hardware index (gdmf SupportedDevices by board ID or model identifier, Mac model identifier ↔
// board ID from SOFA's Devices), SOFA's model list, and the sucatalog's products.
import type { CatalogInfo, CatalogKind, CatalogView, DeviceKeys, OsFamily, Release, SuProduct } from '../types.js';
import type { Platform } from '../../mdm/types.js';
import type { GdmfDoc, ParsedDoc, SofaDoc, SuDoc } from './model.js';
import { mergeReleases, type SofaInput } from './merge.js';
import { majorNumber } from '../version.js';

/** The family whose catalogs list a platform's releases (gdmf lists iPadOS, tvOS and watchOS under iOS). */
export function familyOf(platform: Platform): OsFamily {
  return platform === 'macOS' ? 'macOS' : platform === 'visionOS' ? 'visionOS' : 'iOS';
}

const lower = (s: string): string => s.toLowerCase();
const versionKey = (v: string): string => v.replace(/(\.0)+$/, '');

/** Everything the view answers from, built once per set of stored catalogs. */
export class CatalogIndex {
  private readonly releasesByFamily: Map<OsFamily, Release[]>;
  private readonly rank = new Map<Release, number>();
  private readonly byDevice = new Map<string, Release[]>();
  private readonly byBuild = new Map<string, Release>();
  private readonly byVersion = new Map<string, Release>();
  private readonly modelBoards = new Map<string, string[]>();
  private readonly boardModel = new Map<string, string>();
  private readonly modelMajors = new Map<string, number[]>();
  readonly products: readonly SuProduct[];

  constructor(docs: Partial<Record<CatalogKind, ParsedDoc>>) {
    const sofa: SofaInput[] = [];
    for (const kind of ['sofa-macos', 'sofa-ios'] as const) {
      const doc = docs[kind];
      if (doc?.kind === 'sofa') sofa.push({ kind, doc });
    }
    for (const { doc } of sofa) this.addHardware(doc);
    const gdmf = docs.gdmf?.kind === 'gdmf' ? docs.gdmf : null;
    this.releasesByFamily = mergeReleases(gdmf as GdmfDoc | null, sofa, this.modelBoards);
    for (const list of this.releasesByFamily.values()) this.indexReleases(list);
    const su = docs.sucatalog?.kind === 'sucatalog' ? docs.sucatalog : null;
    this.products = Object.freeze(su ? suProducts(su, sofa) : []);
  }

  private addHardware(doc: SofaDoc): void {
    for (const [board, model] of Object.entries(doc.boards)) {
      this.boardModel.set(lower(board), model);
      const boards = this.modelBoards.get(model) ?? [];
      if (!boards.includes(board)) boards.push(board);
      this.modelBoards.set(model, boards);
    }
    for (const [model, m] of Object.entries(doc.models)) if (m.majors.length > 0) this.modelMajors.set(lower(model), m.majors);
  }

  private indexReleases(list: Release[]): void {
    list.forEach((r, i) => {
      this.rank.set(r, i);
      for (const d of r.supportedDevices) {
        const key = `${r.family}|${lower(d)}`;
        const found = this.byDevice.get(key);
        if (found) found.push(r);
        else this.byDevice.set(key, [r]);
      }
      if (r.build && !this.byBuild.has(`${r.family}|${lower(r.build)}`)) this.byBuild.set(`${r.family}|${lower(r.build)}`, r);
      const vkey = `${r.family}|${versionKey(r.version)}${r.extra ? ` ${r.extra}` : ''}`;
      if (!this.byVersion.has(vkey)) this.byVersion.set(vkey, r);
    });
  }

  releases(family: OsFamily): readonly Release[] {
    return this.releasesByFamily.get(family) ?? [];
  }

  /** Releases of the family listing any of these hardware ids, in the family's order. */
  listing(family: OsFamily, ids: readonly string[]): Release[] {
    const found = new Set<Release>();
    for (const id of ids) for (const r of this.byDevice.get(`${family}|${lower(id)}`) ?? []) found.add(r);
    return [...found].sort((a, b) => this.rank.get(a)! - this.rank.get(b)!);
  }

  findRelease(family: OsFamily, versionOrBuild: string): Release | null {
    const q = versionOrBuild.trim();
    const byBuild = this.byBuild.get(`${family}|${lower(q)}`);
    if (byBuild) return byBuild;
    const m = /^(\S+?)\s*(\([a-z]\))?$/i.exec(q);
    if (!m) return null;
    return this.byVersion.get(`${family}|${versionKey(m[1]!)}${m[2] ? ` ${m[2].toLowerCase()}` : ''}`) ?? null;
  }

  boardIdsOf(modelOrBoard: string): readonly string[] {
    const boards = this.modelBoards.get(modelOrBoard) ?? [...this.modelBoards].find(([m]) => lower(m) === lower(modelOrBoard))?.[1];
    if (boards) return boards;
    const model = this.boardModel.get(lower(modelOrBoard));
    return model ? [model] : [];
  }

  modelOf(board: string): string | null {
    return this.boardModel.get(lower(board)) ?? null;
  }

  sofaMajors(modelOrBoard: string): number[] | null {
    const model = this.boardModel.get(lower(modelOrBoard)) ?? modelOrBoard;
    return this.modelMajors.get(lower(model)) ?? null;
  }
}

function suProducts(su: SuDoc, sofa: readonly SofaInput[]): SuProduct[] {
  const known = new Map(sofa.flatMap(({ doc }) => doc.installers.map((i) => [i.productKey, i] as const)));
  return su.products.map((p) => {
    const uma = known.get(p.productKey);
    return Object.freeze({
      productKey: p.productKey,
      title: p.title ?? uma?.title ?? null,
      version: p.version ?? uma?.version ?? null,
      build: p.build ?? uma?.build ?? null,
      postedAt: p.postedAt === null ? null : new Date(p.postedAt),
      kind: uma && p.kind === 'other' ? 'installer' : p.kind,
      serverMetadataUrl: p.serverMetadataUrl,
      packages: p.packages,
    });
  });
}

/** The hardware ids a device is known by in the catalogs, most precise first. */
function directIds(device: DeviceKeys, family: OsFamily): string[] {
  const ids = [device.softwareUpdateDeviceId, device.boardId, family === 'macOS' ? null : device.model];
  return [...new Set(ids.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim()))];
}

/** A CatalogView over an index, with the catalog list as it stood when the view was made. */
export function catalogView(index: CatalogIndex, info: readonly CatalogInfo[]): CatalogView & { modelOf(board: string): string | null } {
  const releasesFor = (device: DeviceKeys): readonly Release[] | null => {
    const family = familyOf(device.platform);
    let found = index.listing(family, directIds(device, family));
    if (found.length === 0 && device.model) found = index.listing(family, [...index.boardIdsOf(device.model), device.model]);
    return found.length > 0 ? found : null;
  };
  return {
    info: Object.freeze([...info]),
    releases: (family) => index.releases(family),
    releasesFor,
    findRelease: (family, versionOrBuild) => index.findRelease(family, versionOrBuild),
    boardIdsOf: (model) => index.boardIdsOf(model),
    modelOf: (board) => index.modelOf(board),
    newestMajorOf(model) {
      const majors = index.sofaMajors(model);
      if (majors) return Math.max(...majors);
      // Not in SOFA's model list (iPhones, iPads, …): the newest major of the releases listing it.
      const family: OsFamily = /^(iPhone|iPad|iPod|AppleTV|Watch|AudioAccessory)/i.test(model) ? 'iOS' : /^RealityDevice/i.test(model) ? 'visionOS' : 'macOS';
      const ids = family === 'macOS' ? [model, ...index.boardIdsOf(model)] : [model];
      const newest = index.listing(family, ids).filter((r) => r.extra === null)[0];
      return newest ? majorNumber(newest.version) : null;
    },
    suProducts: () => index.products,
  };
}
