// Legacy OS update behaviour (OS 26 and earlier): ScheduleOSUpdateScan, AvailableOSUpdates from the
// device's own catalog, ScheduleOSUpdate with the real refusals, downloads that progress only on AC
// power, the install that may wait for the command to be sent again, the restart onto the new OS,
// and failures with an ErrorChain. Progress is computed when asked (no timer per device).
import { Real, type BuildInput } from '../plist/index.js';
import type { DeviceState, LegacyUpdate } from './device.js';
import { model } from './device.js';
import { compareVersions, isMajorUpgrade, major, osFamily, RELEASES, supports } from './models.js';
import { ERRORS, fail, ok, type CommandResult } from './result.js';
import type { SimContext } from './context.js';
import type { CatalogItem } from './scenario.js';
import { byCadence, deferralDays, deferred, settingsOf } from './susettings.js';

const MAC_ACTIONS = ['Default', 'DownloadOnly', 'InstallASAP', 'NotifyOnly', 'InstallLater', 'InstallForceRestart'];
const IOS_ACTIONS = ['Default', 'DownloadOnly', 'InstallASAP'];
const GB = 1_000_000_000;

export interface Product {
  productKey: string;
  name: string;
  version: string;
  build: string;
  size: number;
  configData: boolean;
  major: boolean;
  requires?: string;
  /** Simulated ms of the release (undefined: long ago). */
  released?: number;
}

/** What to offer: the device's own discovery (deferrals and cadence apply) or everything there is
 * (an enforcement declaration or an MDM command naming a product: deferrals do not hold them back). */
export interface OfferOptions {
  own: boolean;
  /** As an MDM command lists them: while a DDM enforcement is active, only configuration data. */
  command: boolean;
}

/** Every later release the model supports that is out by the simulated clock and not held back:
 * the newest of each major (real Software Update lists no more). */
function autoCatalog(d: DeviceState, now: number, hidden: (r: CatalogItem) => boolean): CatalogItem[] {
  const newest = new Map<number, CatalogItem>();
  for (const r of RELEASES[osFamily(d.platform)]) {
    if (compareVersions(r.version, d.osVersion) <= 0 || !supports(model(d), r.version) || Date.parse(r.released) > now) continue;
    const item: CatalogItem = { ...r, configData: false };
    if (hidden(item)) continue;
    const m = major(r.version);
    const seen = newest.get(m);
    if (!seen || compareVersions(r.version, seen.version) > 0) newest.set(m, item);
  }
  return [...newest.values()];
}

/** A catalog item's release date: its own, else the real release's of that version. */
function releasedAt(d: DeviceState, item: CatalogItem): number | undefined {
  const date = item.released ?? (item.configData ? undefined : RELEASES[osFamily(d.platform)].find((r) => r.version === item.version)?.released);
  return date === undefined ? undefined : Date.parse(date);
}

function toProduct(d: DeviceState, item: CatalogItem): Product {
  const mac = d.platform === 'macos';
  const build = item.build ?? item.version;
  const majorUp = !item.configData && isMajorUpgrade(d.osVersion, item.version);
  return {
    productKey: item.productKey ?? (mac ? `MSU_UPDATE_${build}_patch_${item.version}_${majorUp ? 'major' : 'minor'}` : `iOSUpdate${build}`),
    name: item.name ?? `${mac ? 'macOS' : d.platform === 'ipados' ? 'iPadOS' : 'iOS'} ${item.version}`,
    version: item.version,
    build,
    size: item.size ?? (majorUp ? (mac ? 13 : 6) : (mac ? 4 : 2)) * GB,
    configData: item.configData,
    major: majorUp,
    requires: item.requires,
    released: releasedAt(d, item),
  };
}

/** The products the device's software update offers now: by default its own discovery, where
 * softwareupdate.settings deferrals hide recent releases and RecommendedCadence narrows the choice. */
export function offered(d: DeviceState, ctx: SimContext, opts: OfferOptions = { own: true, command: true }): Product[] {
  const now = ctx.now();
  const settings = opts.own ? settingsOf(d) : null;
  const hidden = (i: CatalogItem) => settings !== null &&
    deferred(releasedAt(d, i), deferralDays(d, settings, { major: !i.configData && isMajorUpgrade(d.osVersion, i.version), configData: i.configData }), now);
  const items = ctx.scenario.catalog[osFamily(d.platform)]?.filter((i) => !hidden(i)) ?? autoCatalog(d, now, hidden);
  const products = items
    .filter((i) => !i.models || i.models.includes(d.product))
    .filter((i) => (i.configData ? true : compareVersions(i.version, d.osVersion) > 0 && supports(model(d), i.version)))
    .filter((i) => !i.requires || (d.installedProducts[i.requires] !== undefined && d.lastScan > d.installedProducts[i.requires]))
    .map((i) => toProduct(d, i))
    .filter((p) => !(p.configData && d.installedProducts[p.productKey] !== undefined))
    .filter((p) => !opts.command || !ctx.ddmEnforcing(d) || p.configData);
  return settings ? byCadence(settings, products, compareVersions) : products;
}

export const legacyRemoved = (d: DeviceState): boolean => major(d.osVersion) >= 27;

export function scan(d: DeviceState, ctx: SimContext): CommandResult {
  d.lastScan = ctx.now();
  return ok({ ScanInitiated: true }); // required in Apple's response schema
}

function item(d: DeviceState, p: Product): Record<string, BuildInput> {
  const base: Record<string, BuildInput> = {
    HumanReadableName: p.name, HumanReadableNameLocale: 'en', ProductKey: p.productKey,
    IsCritical: false, IsConfigDataUpdate: p.configData, RestartRequired: !p.configData,
  };
  if (p.configData) return { ...base, AllowsInstallLater: true, AppIdentifiersToClose: [], IsFirmwareUpdate: false, MetadataURL: `http://swcdn.apple.com/content/downloads/${p.productKey}.smd`, Version: p.version };
  const sizes = { DownloadSize: new Real(p.size), InstallSize: new Real(p.size * 2) };
  if (d.platform !== 'macos') return { ...base, ...sizes, Version: p.version, Build: p.build, ProductName: p.name };
  // macOS names a major upgrade's version by its build, as the seed shows (_OSX_18A391 → "18A391").
  return { ...base, ...sizes, IsFirmwareUpdate: false, IsMajorOSUpdate: p.major, Version: p.major ? p.build : p.version, Build: p.build };
}

export function available(d: DeviceState, ctx: SimContext): CommandResult {
  return ok({ AvailableOSUpdates: offered(d, ctx).map((p) => item(d, p)) });
}

/** Brings download progress up to `now`: it advances only on AC power. */
export function settle(d: DeviceState, ctx: SimContext): void {
  const u = d.update;
  const now = ctx.now();
  if (!u) return;
  if (u.phase === 'downloading' && d.acPower) {
    u.percent = Math.min(1, u.percent + (now - u.settledAt) / (ctx.scenario.timing.downloadSeconds * 1000));
    if (u.percent >= 1) {
      if (ctx.rngFor(d).chance(ctx.scenario.quirks.downloadFailure)) {
        u.phase = 'failed';
        u.failure = 'DownloadFailed';
      } else {
        u.phase = 'downloaded';
        d.freeBytes -= u.size;
        if (!u.needsResend && u.action !== 'DownloadOnly' && u.action !== 'NotifyOnly') startInstall(d, ctx);
      }
    }
  }
  u.settledAt = now;
  planNext(d, ctx);
}

/** Schedules the device's next update event (download done, install done) on the shared wheel. */
function planNext(d: DeviceState, ctx: SimContext): void {
  const u = d.update;
  if (!u) return;
  if (u.phase === 'downloading' && d.acPower) ctx.schedule(d, u.settledAt + (1 - u.percent) * ctx.scenario.timing.downloadSeconds * 1000);
}

function startInstall(d: DeviceState, ctx: SimContext): void {
  const u = d.update!;
  u.phase = 'installing';
  u.dueAt = ctx.now() + ctx.scenario.timing.installSeconds * 1000;
  ctx.schedule(d, u.dueAt);
  ctx.offline(d);
}

/** Called by the scheduler when an update event is due. */
export function advance(d: DeviceState, ctx: SimContext): void {
  const u = d.update;
  if (!u) return;
  if (u.phase === 'installing') {
    if (ctx.now() < u.dueAt) return;
    if (ctx.rngFor(d).chance(ctx.scenario.quirks.installFailure)) {
      u.phase = 'failed';
      u.failure = 'InstallFailed';
      ctx.restart(d); // it went offline to install: it boots back into the old OS
      return;
    }
    finishInstall(d, u, ctx);
    return;
  }
  settle(d, ctx);
}

function finishInstall(d: DeviceState, u: LegacyUpdate, ctx: SimContext): void {
  d.osVersion = u.version;
  d.build = u.build;
  d.freeBytes += u.size;
  d.update = null;
  d.installedProducts = {};
  ctx.restart(d);
}

/** The UpdateResults InstallAction a device reports for what it scheduled ("Default" is never echoed). */
const reportedAction = (d: DeviceState, action: string, downloaded: boolean): string =>
  action !== 'Default' ? action : d.platform === 'macos' || downloaded ? 'InstallASAP' : 'DownloadOnly';

export function schedule(d: DeviceState, command: Record<string, unknown>, ctx: SimContext): CommandResult {
  const rt = 'ScheduleOSUpdate';
  if (ctx.ddmEnforcing(d)) return fail(ERRORS.ddmActive(rt));
  const mac = d.platform === 'macos';
  if (!mac && !d.supervised) return fail(ERRORS.needsSupervision(rt));
  const requests = Array.isArray(command.Updates) ? (command.Updates as Array<Record<string, unknown>>) : [];
  const results: Array<Record<string, BuildInput>> = [];
  const products = offered(d, ctx, { own: false, command: true }); // a product the command names is installed even if deferred
  const targets = requests.length ? requests : offered(d, ctx).filter((p) => !p.configData).slice(-1).map((p) => ({ ProductKey: p.productKey, InstallAction: 'Default' }));
  for (const req of targets) {
    const key = String(req.ProductKey ?? '');
    const action = String(req.InstallAction ?? 'Default');
    const p = products.find((x) => x.productKey === key);
    if (!(mac ? MAC_ACTIONS : IOS_ACTIONS).includes(action)) return fail(ERRORS.unsupportedAction());
    if (!p) {
      results.push({ ProductKey: key, InstallAction: 'Error', Status: 'Idle' });
      continue;
    }
    if (p.configData) {
      d.installedProducts[p.productKey] = ctx.now();
      results.push({ ProductKey: key, InstallAction: action === 'Default' ? 'InstallASAP' : action, Status: 'Installing' });
      continue;
    }
    if (mac && !d.ade && p.major) return fail(ERRORS.needsDep(rt));
    if (mac && !d.supervised) return fail(ERRORS.needsDep(rt));
    if (mac && p.major && ['NotifyOnly', 'DownloadOnly', 'InstallLater'].includes(action)) return fail(ERRORS.unsupportedAction());
    results.push(scheduleOne(d, p, action, ctx));
  }
  return ok({ UpdateResults: results });
}

function scheduleOne(d: DeviceState, p: Product, action: string, ctx: SimContext): Record<string, BuildInput> {
  settle(d, ctx);
  const now = ctx.now();
  let u = d.update?.productKey === p.productKey && d.update.phase !== 'failed' ? d.update : null;
  if (!u) {
    if (d.freeBytes < p.size * 2) return { ProductKey: p.productKey, InstallAction: 'Error', Status: 'DownloadInsufficientSpace', ErrorChain: [ERRORS.notEnoughSpace()] };
    u = {
      productKey: p.productKey, version: p.version, build: p.build, major: p.major, size: p.size, action,
      phase: 'downloading', percent: 0, settledAt: now, dueAt: 0, failure: null,
      needsResend: ctx.rngFor(d).chance(ctx.scenario.quirks.installNeedsResend),
    };
    d.update = u;
  }
  u.action = action;
  const installing = action === 'InstallASAP' || action === 'InstallForceRestart' || action === 'Default';
  if (u.phase === 'downloaded' && installing) startInstall(d, ctx); // a send after the download: the install starts
  planNext(d, ctx);
  const downloaded = u.phase === 'downloaded' || u.phase === 'installing';
  const status = d.platform === 'macos'
    ? (installing ? 'Installing' : 'Downloading') // macOS answers "Installing" at once, even on battery (the seed)
    : (u.phase === 'installing' ? 'Installing' : downloaded ? 'Idle' : 'Downloading');
  return { ProductKey: p.productKey, InstallAction: reportedAction(d, action, downloaded), Status: status };
}

export function status(d: DeviceState, ctx: SimContext): CommandResult {
  if (!d.supervised) return fail(d.platform === 'macos' ? ERRORS.needsDep('OSUpdateStatus') : ERRORS.needsSupervision('OSUpdateStatus'));
  settle(d, ctx);
  const u = d.update;
  if (!u || ctx.ddmEnforcing(d)) return ok({ OSUpdateStatus: [] });
  const entry: Record<string, BuildInput> = {
    ProductKey: u.productKey,
    IsDownloaded: u.phase === 'downloaded' || u.phase === 'installing',
    DownloadPercentComplete: new Real(u.percent),
    Status: u.phase === 'installing' ? 'Installing' : u.phase === 'downloading' && d.acPower ? 'Downloading' : 'Idle',
  };
  if (u.failure) entry.ErrorChain = [u.failure === 'DownloadFailed' ? ERRORS.downloadFailed() : ERRORS.installFailed()];
  return ok({ OSUpdateStatus: [entry] });
}

/** AC power changes: progress so far is kept, and resumes when plugged in again. */
export function setPower(d: DeviceState, on: boolean, ctx: SimContext): void {
  settle(d, ctx);
  d.acPower = on;
  if (d.update) d.update.settledAt = ctx.now();
  planNext(d, ctx);
}
