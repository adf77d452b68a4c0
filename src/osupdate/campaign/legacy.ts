// The legacy path as a pure state machine: scan → list → (prerequisite → scan) → schedule → poll
// OSUpdateStatus → verify with DeviceInformation. A step takes the row's state and memory plus one
// event (a result of the command it waits for, or the timer) and returns the next state, the reason
// an admin reads, and at most one command to send. The quirks of the seed post are rules here: a
// download that makes no progress (AC power), a downloaded update that idles until ScheduleOSUpdate
// is sent again, 12008 for an InstallAction a product does not take, 74 without ADE.
import { compareVersions, majorOf } from '../version.js';
import { matchesTarget, newestProduct, parseOffered, productVersion, type OfferedProduct } from './products.js';
import type { CampaignSpec } from './types.js';

export interface PendingCommand {
  uuid: string;
  type: string;
  sentAt: number;
}

/** What the engine remembers for a device between steps (stored as JSON). */
export interface LegacyMemory {
  pending?: PendingCommand;
  attempts?: number;
  scans?: number;
  productKey?: string;
  /** The product to install is a major upgrade (InstallActions are narrower). */
  major?: boolean;
  action?: string;
  refusedActions?: string[];
  prerequisites?: string[];
  progress?: number;
  progressAt?: number;
  resends?: number;
  escalated?: boolean;
  /** ScheduleOSUpdate of the product answered "Installing" (or OSUpdateStatus did). */
  installing?: boolean;
  /** Why the target looked unavailable, while its version is being confirmed. */
  notOffered?: string;
  [key: string]: unknown;
}

export type LegacyEvent =
  | { kind: 'tick' }
  | { kind: 'start' }
  | { kind: 'result'; requestType: string; status: 'Acknowledged' | 'Error' | 'CommandFormatError' | 'NotNow'; body: Record<string, unknown>; error: { code: number | null; domain: string | null; text: string } | null };

export interface StepContext {
  spec: CampaignSpec;
  macos: boolean;
  osVersion: string;
  target: { version: string; build: string | null } | null;
  now: number;
  pollMs: number;
  /** The campaign deadline as an instant, if any. */
  deadline: number | null;
  /** Whether the device runs macOS 11 or later (InstallForceRestart). */
  forceRestartOk: boolean;
}

export interface CommandToSend {
  requestType: string;
  payload: Record<string, unknown>;
}

export interface StepResult {
  state: string;
  reason: string;
  memory: LegacyMemory;
  command: CommandToSend | null;
  /** When to look again without an event; null: only when the pending command is answered. */
  nextAt: number | null;
  /** The device needs waking (a command is waiting for it). */
  push?: boolean;
}

const SCANS_PER_ATTEMPT = 3;
const RESENDS = 4;
/** No download progress for this many polls counts as stalled. */
const STALL_POLLS = 3;
export const INVENTORY_QUERIES = ['OSVersion', 'BuildVersion', 'SupplementalBuildVersion', 'SupplementalOSVersionExtra', 'ProductName', 'SoftwareUpdateDeviceID'];

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16) + ' UTC';
const pct = (p: number) => `${Math.round(p * 100)}%`;

/** The InstallAction for now: the campaign's choice, InstallASAP from a day before the deadline, InstallForceRestart after it. */
export function installAction(ctx: StepContext, mem: LegacyMemory): string {
  if (!ctx.macos) return 'Default'; // iOS/iPadOS: Default downloads, Default again installs
  const refused = new Set(mem.refusedActions ?? []);
  const order: string[] = [];
  if (ctx.deadline !== null && ctx.now >= ctx.deadline && ctx.forceRestartOk) order.push('InstallForceRestart');
  const deferred = ctx.spec.installAction === 'InstallLater' && !mem.major && !(ctx.deadline !== null && ctx.now >= ctx.deadline - 86400_000);
  if (deferred) order.push('InstallLater');
  else if (ctx.spec.installAction === 'InstallForceRestart' && ctx.forceRestartOk) order.push('InstallForceRestart');
  else if (ctx.spec.installAction === 'Default') order.push('Default');
  order.push('InstallASAP', 'Default');
  return order.find((a) => !refused.has(a)) ?? 'Default';
}

function scheduleCommand(ctx: StepContext, mem: LegacyMemory, productKey: string, action: string): CommandToSend {
  const item: Record<string, unknown> = { ProductKey: productKey, InstallAction: action };
  if (action === 'InstallLater' && ctx.spec.maxUserDeferrals !== null) item.MaxUserDeferrals = ctx.spec.maxUserDeferrals;
  return { requestType: 'ScheduleOSUpdate', payload: { Updates: [item] } };
}

const cmd = (requestType: string, payload: Record<string, unknown> = {}): CommandToSend => ({ requestType, payload });

export function legacyStep(state: string, memory: LegacyMemory, event: LegacyEvent, ctx: StepContext): StepResult {
  const mem: LegacyMemory = { ...memory };
  const next = (s: string, reason: string, command: CommandToSend | null, nextAt: number | null = ctx.now + ctx.pollMs): StepResult => {
    if (command) mem.pending = undefined; // the engine fills in the new pending command
    return { state: s, reason, memory: mem, command, nextAt };
  };
  const retry = (why: string): StepResult => {
    mem.attempts = (mem.attempts ?? 0) + 1;
    mem.pending = undefined;
    if (mem.attempts > ctx.spec.retries) return next('failed', `${why} (after ${mem.attempts} attempts)`, null, null);
    mem.scans = 0;
    mem.installing = false;
    const backoff = ctx.pollMs * 2 ** Math.min(mem.attempts, 6);
    return next('scanning', `retrying after: ${why} (attempt ${mem.attempts + 1} of ${ctx.spec.retries + 1})`, null, ctx.now + backoff);
  };
  const scan = (reason: string): StepResult =>
    ctx.macos ? next('scanning', reason, cmd('ScheduleOSUpdateScan', { Force: true })) : next('listing', reason, cmd('AvailableOSUpdates'));
  const verify = (reason: string): StepResult => next('verifying', reason, cmd('DeviceInformation', { Queries: INVENTORY_QUERIES }));

  if (event.kind === 'start') {
    mem.scans = 0;
    return scan('scanning for updates');
  }

  if (event.kind === 'tick') {
    if (mem.pending) {
      const waited = ctx.now - mem.pending.sentAt;
      const r = next(state, `waiting for the device to answer ${mem.pending.type} (sent ${hhmm(mem.pending.sentAt)})`, null);
      return waited >= ctx.pollMs ? { ...r, push: true } : r;
    }
    switch (state) {
      case 'scanning':
      case 'listing':
      case 'pending':
        return scan('scanning for updates');
      case 'downloading':
      case 'installing':
      case 'scheduling':
        if (mem.productKey && ctx.deadline !== null && ctx.now >= ctx.deadline && ctx.macos && !mem.escalated && ctx.forceRestartOk) {
          mem.escalated = true;
          return next(state, 'deadline passed: installing now with a forced restart', scheduleCommand(ctx, mem, mem.productKey, 'InstallForceRestart'));
        }
        return next(state, stateReason(state, mem), cmd('OSUpdateStatus'));
      case 'verifying':
        return verify('confirming the installed version');
      default:
        return next(state, 'scanning for updates', null);
    }
  }

  // A result of the command the device was waiting on.
  mem.pending = undefined;
  if (event.status === 'NotNow') {
    return { ...next(state, `device answered NotNow to ${event.requestType} (locked or busy); it asks again by itself`, null), push: false };
  }
  if (event.status !== 'Acknowledged') return onError(state, mem, event, ctx, next, retry);

  switch (event.requestType) {
    case 'ScheduleOSUpdateScan':
      return next('listing', 'listing available updates', cmd('AvailableOSUpdates'));
    case 'AvailableOSUpdates':
      return onList(mem, parseOffered(event.body), ctx, next);
    case 'ScheduleOSUpdate':
      return onScheduled(state, mem, event.body, ctx, next, retry, scan);
    case 'OSUpdateStatus':
      return onStatus(state, mem, event.body, ctx, next, retry, verify);
    case 'DeviceInformation':
      // Not reached (the engine checks the version first).
      if (typeof mem.notOffered === 'string') return next('blocked', mem.notOffered, null, null);
      return retry(`still on ${ctx.osVersion} after the install`);
    default:
      return next(state, stateReason(state, mem), null);
  }
}

type Next = (s: string, reason: string, command: CommandToSend | null, nextAt?: number | null) => StepResult;

function stateReason(state: string, mem: LegacyMemory): string {
  if (state === 'installing') return 'installing';
  if (state === 'downloading') return mem.progress !== undefined ? `downloading ${pct(mem.progress)}` : 'downloading';
  return state;
}

function onError(state: string, mem: LegacyMemory, event: Extract<LegacyEvent, { kind: 'result' }>, ctx: StepContext, next: Next, retry: (why: string) => StepResult): StepResult {
  const e = event.error;
  const text = e ? `${e.text}${e.code !== null ? ` (${e.domain ?? 'error'} ${e.code})` : ''}` : event.status;
  if (e?.code === 74) return next('blocked', 'needs ADE enrollment for this update (error 74)', null, null);
  if (e?.code === 12008 && event.requestType === 'ScheduleOSUpdate' && mem.productKey) {
    mem.refusedActions = [...(mem.refusedActions ?? []), mem.action ?? 'InstallASAP'];
    const action = installAction(ctx, mem);
    if (mem.refusedActions.includes(action)) return next('failed', `the device takes no InstallAction for ${mem.productKey} (error 12008)`, null, null);
    mem.action = action;
    return next('scheduling', `${mem.refusedActions.at(-1)} refused for this product (12008): scheduling with ${action}`, scheduleCommand(ctx, mem, mem.productKey, action));
  }
  return retry(`${event.requestType} failed: ${text}`);
}

function onList(mem: LegacyMemory, offered: OfferedProduct[], ctx: StepContext, next: Next): StepResult {
  const target = ctx.target;
  const policy = ctx.spec.target.policy;
  const product = target
    ? offered.find((p) => matchesTarget(p, target, ctx.macos)) ?? null
    : policy === 'minimum'
      ? [newestProduct(offered, ctx.osVersion, ctx.macos, true), newestProduct(offered, ctx.osVersion, ctx.macos, false)]
        .find((p) => p !== null && compareVersions(productVersion(p, ctx.macos) ?? '0', ctx.spec.target.version!) >= 0) ?? null
      : newestProduct(offered, ctx.osVersion, ctx.macos, policy === 'latest-minor');
  if (product) {
    const v = productVersion(product, ctx.macos);
    mem.productKey = product.productKey;
    mem.productVersion = v ?? undefined;
    mem.productBuild = product.build ?? undefined;
    mem.major = product.major || (v !== null && majorOf(v) !== majorOf(ctx.osVersion) && compareVersions(v, ctx.osVersion) > 0);
    mem.action = installAction(ctx, mem);
    mem.progress = undefined;
    mem.progressAt = ctx.now;
    mem.resends = 0;
    return next('scheduling', `scheduling ${product.name ?? product.productKey} (${mem.action})`, scheduleCommand(ctx, mem, product.productKey, mem.action));
  }
  // A major upgrade may appear only after a configuration-data product (the installer notification) is installed.
  const done = new Set(mem.prerequisites ?? []);
  const prerequisite = offered.find((p) => p.configData && !done.has(p.productKey));
  if (prerequisite) {
    mem.prerequisites = [...done, prerequisite.productKey];
    return next('prerequisite', `installing ${prerequisite.name ?? prerequisite.productKey} first, then scanning again`, {
      requestType: 'ScheduleOSUpdate', payload: { Updates: [{ ProductKey: prerequisite.productKey, InstallAction: 'InstallASAP' }] },
    });
  }
  mem.scans = (mem.scans ?? 0) + 1;
  const what = target ? target.version : `a ${policy} update`;
  const list = offered.filter((p) => !p.configData).map((p) => p.version ?? p.productKey).join(', ') || 'nothing';
  if (mem.scans >= SCANS_PER_ATTEMPT) {
    // It may already run the target (updated while nobody watched): confirm its version before blocking.
    mem.notOffered = `the device does not offer ${what} (it offers: ${list})`;
    return next('verifying', `${mem.notOffered}; confirming its version`, cmd('DeviceInformation', { Queries: INVENTORY_QUERIES }));
  }
  return next('scanning', `the device does not offer ${what} yet (offers: ${list}); scanning again shortly`, null);
}

function onScheduled(state: string, mem: LegacyMemory, body: Record<string, unknown>, ctx: StepContext, next: Next, retry: (why: string) => StepResult, scan: (r: string) => StepResult): StepResult {
  const results = Array.isArray(body.UpdateResults) ? (body.UpdateResults as Array<Record<string, unknown>>) : [];
  if (state === 'prerequisite') return scan('prerequisite installed; scanning again');
  const item = results.find((r) => r.ProductKey === mem.productKey) ?? results[0];
  const status = typeof item?.Status === 'string' ? item.Status : 'Idle';
  // Out of space is no failure to retry (the device answers InstallAction Error with it): blocked until space is freed.
  if (status === 'DownloadInsufficientSpace' || status === 'InstallInsufficientSpace') return next('blocked', 'not enough free space for the update', null, null);
  if (!item || item.InstallAction === 'Error') return retry(`the device could not schedule ${mem.productKey} (status ${status})`);
  switch (status) {
    case 'Installing':
      mem.installing = true;
      return next('installing', 'install scheduled; the device installs and restarts', null);
    case 'Downloading':
    case 'Idle':
      return next('downloading', 'downloading', null);
    case 'DownloadInsufficientSpace':
    case 'InstallInsufficientSpace':
      return next('blocked', 'not enough free space for the update', null, null);
    case 'DownloadInsufficientPower':
    case 'InstallInsufficientPower':
      return next('downloading', `waiting for power since ${hhmm(ctx.now)} (connect the device to power)`, null);
    case 'DownloadInsufficientNetwork':
      return next('downloading', `waiting for a network that allows the download since ${hhmm(ctx.now)}`, null);
    case 'DownloadRequiresComputer':
      return next('blocked', 'the update must be installed from a computer (DownloadRequiresComputer)', null, null);
    case 'InstallPhoneCallInProgress':
      return next('installing', 'waiting for a phone call to end', null);
    default:
      return retry(`ScheduleOSUpdate answered ${status}`);
  }
}

function onStatus(state: string, mem: LegacyMemory, body: Record<string, unknown>, ctx: StepContext, next: Next, retry: (why: string) => StepResult, verify: (r: string) => StepResult): StepResult {
  const items = Array.isArray(body.OSUpdateStatus) ? (body.OSUpdateStatus as Array<Record<string, unknown>>) : [];
  const item = items.find((i) => i.ProductKey === mem.productKey);
  if (!item) return verify(state === 'installing' || mem.installing ? 'the install finished: confirming the version' : 'the update is no longer pending: confirming the version');
  if (Array.isArray(item.ErrorChain) && item.ErrorChain.length > 0) return retry('the device reported a failed download or install');
  const percent = typeof item.DownloadPercentComplete === 'number' ? item.DownloadPercentComplete
    : typeof (item.DownloadPercentComplete as { value?: unknown } | undefined)?.value === 'number' ? (item.DownloadPercentComplete as { value: number }).value : 0;
  const downloaded = item.IsDownloaded === true || item.IsDownloaded === 'true';
  const status = String(item.Status ?? 'Idle');
  if (status === 'Installing') {
    mem.installing = true;
    return next('installing', 'installing', null);
  }
  if (downloaded) {
    // Downloaded and idle: the install waits for ScheduleOSUpdate again (the seed; iOS's second Default).
    mem.resends = (mem.resends ?? 0) + 1;
    if (mem.resends > RESENDS) return retry('downloaded but the install never started');
    const action = installAction(ctx, mem);
    mem.action = action;
    return next('scheduling', `downloaded; sending ScheduleOSUpdate (${action}) again to start the install`, scheduleCommand(ctx, mem, mem.productKey!, action));
  }
  if (mem.progress === undefined || percent > mem.progress) {
    mem.progress = percent;
    mem.progressAt = ctx.now;
    return next('downloading', `downloading ${pct(percent)}`, null);
  }
  const since = mem.progressAt ?? ctx.now;
  if (ctx.now - since >= STALL_POLLS * ctx.pollMs) {
    const power = ctx.macos ? ' (a Mac downloads only on AC power: waiting for AC power)' : ' (waiting for power or Wi-Fi)';
    return next('downloading', `no download progress since ${hhmm(since)} at ${pct(percent)}${power}`, null);
  }
  return next('downloading', `downloading ${pct(percent)}`, null);
}
