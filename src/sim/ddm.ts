// Declarative Device Management on the device side (macOS 14+, iOS 17+): the sync (tokens,
// declaration-items, each changed declaration), activations, the software update enforcement
// (download, prepare, install at TargetLocalDateTime in the device's own time zone, failures), the
// device's own automatic updates as softwareupdate.settings allows (susettings.ts), and status
// reports: incremental, nested by dotted name, full once a day.
import type { Client } from './client.js';
import type { SimContext } from './context.js';
import { deviceIds, model, type DeviceState } from './device.js';
import { compareVersions, major, supports } from './models.js';
import { offered } from './osupdate.js';
import { activeOfType, automatic, betaProgram, combine, isActive, settingsOf, SETTINGS, validity } from './susettings.js';

const ENFORCEMENT = 'com.apple.configuration.softwareupdate.enforcement.specific';
const SUBSCRIPTIONS = 'com.apple.configuration.management.status-subscriptions';
const KINDS: Record<string, string> = { Activations: 'activation', Configurations: 'configuration', Assets: 'asset', Management: 'management' };
/** Status items that came later than the rest (iOS 18 / macOS 15), by platform family. */
const ITEMS_SINCE: Record<string, { macos: number; ios: number }> = {
  'softwareupdate.device-id': { macos: 15, ios: 18 }, 'softwareupdate.beta-enrollment': { macos: 15, ios: 18 },
};

export const ddmCapable = (d: DeviceState): boolean => major(d.osVersion) >= (d.platform === 'macos' ? 14 : 17);

async function call(d: DeviceState, client: Client, endpoint: string, data?: unknown): Promise<Buffer> {
  const res = await client.checkin(d, {
    MessageType: 'DeclarativeManagement', Endpoint: endpoint, ...deviceIds(d),
    ...(data === undefined ? {} : { Data: Buffer.from(JSON.stringify(data)) }),
  });
  return res.body;
}

const json = (b: Buffer): Record<string, unknown> => (b.length ? (JSON.parse(b.toString('utf8')) as Record<string, unknown>) : {});

export function enforcing(d: DeviceState): boolean {
  return activeOfType(d, ENFORCEMENT).length > 0 && enforcementAllowed(d);
}

const enforcementAllowed = (d: DeviceState): boolean => ddmCapable(d) && (d.platform !== 'macos' || d.supervised);
/** A pending update the device found by itself (an enforcement's carries its TargetLocalDateTime). */
const automaticPending = (d: DeviceState): boolean => d.ddm.pending !== null && d.ddm.pending.targetLocalDateTime === undefined;

/** The sync a DeclarativeManagement command (or a change) starts. */
export async function sync(d: DeviceState, ctx: SimContext, client: Client): Promise<void> {
  if (!ddmCapable(d)) return;
  d.ddm.enabled = true;
  const tokens = json(await call(d, client, 'tokens')) as { SyncTokens?: { DeclarationsToken?: string } };
  const token = tokens.SyncTokens?.DeclarationsToken ?? null;
  if (token !== d.ddm.declarationsToken) {
    const items = json(await call(d, client, 'declaration-items')) as { Declarations?: Record<string, Array<{ Identifier: string; ServerToken: string }>> };
    const seen = new Set<string>();
    for (const [plural, list] of Object.entries(items.Declarations ?? {})) {
      const kind = KINDS[plural];
      if (!kind) continue;
      for (const { Identifier, ServerToken } of list) {
        seen.add(Identifier);
        if (d.ddm.declarations[Identifier]?.serverToken === ServerToken) continue;
        const decl = json(await call(d, client, `declaration/${kind}/${encodeURIComponent(Identifier)}`)) as { Type: string; Payload?: Record<string, unknown> };
        d.ddm.declarations[Identifier] = { type: decl.Type, kind, serverToken: ServerToken, payload: decl.Payload ?? {} };
      }
    }
    for (const id of Object.keys(d.ddm.declarations)) if (!seen.has(id)) delete d.ddm.declarations[id];
    d.ddm.declarationsToken = token;
  }
  apply(d, ctx);
  await report(d, ctx, client, d.ddm.lastFullReport === 0);
}

/** Local device time (TargetLocalDateTime has no zone) → simulated ms. */
const localToSim = (d: DeviceState, local: string): number => Date.parse(local + 'Z') - d.utcOffsetHours * 3_600_000;

function apply(d: DeviceState, ctx: SimContext): void {
  const s = d.ddm;
  const enforcement = enforcementAllowed(d) ? activeOfType(d, ENFORCEMENT)[0]?.[1] : undefined;
  if (enforcement && enforce(d, ctx, enforcement)) return;
  if (s.pending && !automaticPending(d) && s.installState !== 'installing') { s.installState = 'none'; s.pending = null; }
  autoCheck(d, ctx);
}

const startDownload = (d: DeviceState, ctx: SimContext, pending: NonNullable<DeviceState['ddm']['pending']>): void => {
  const s = d.ddm;
  s.pending = pending;
  s.installState = 'downloading';
  s.dueAt = ctx.now() + ctx.scenario.timing.downloadSeconds * 1000;
  ctx.schedule(d, s.dueAt);
};

/** Applies an enforcement; false when it has nothing left to do (target reached or unsupported). */
function enforce(d: DeviceState, ctx: SimContext, target: Record<string, unknown>): boolean {
  const s = d.ddm;
  const version = String(target.TargetOSVersion ?? '');
  const local = String(target.TargetLocalDateTime ?? '');
  if (compareVersions(version, d.osVersion) <= 0 || !supports(model(d), version)) {
    if (!automaticPending(d) && s.installState !== 'installing') { s.installState = 'none'; s.pending = null; }
    return false;
  }
  // Deferrals hold back only the device's own discovery: an enforcement sees every release.
  const product = offered(d, ctx, { own: false, command: false }).find((p) => p.version === version);
  if (!product) return true; // not offered yet: the declaration waits for the update to appear
  if (s.installState === 'installing') return true;
  if (s.pending?.version === version && s.installState !== 'failed') {
    const wasAutomatic = automaticPending(d);
    s.pending = { ...s.pending, targetLocalDateTime: local };
    if (wasAutomatic && s.installState === 'prepared') { s.dueAt = ctx.now(); ctx.schedule(d, s.dueAt); } // an automatic download-only now has a deadline
    return true;
  }
  startDownload(d, ctx, { version, build: String(target.TargetBuildVersion ?? product.build), targetLocalDateTime: local });
  return true;
}

/** The device's own look for an update, as its automatic settings allow: security and system-data
 * products install at once (macOS), the newest minor OS update not deferred downloads, and installs
 * when automatic OS installs are on. Then once every timing.autoCheckSeconds. */
function autoCheck(d: DeviceState, ctx: SimContext): void {
  const s = d.ddm;
  const now = ctx.now();
  if (!ddmCapable(d) || (s.pending && !automaticPending(d))) return;
  const auto = automatic(d, settingsOf(d) ?? combine(d, []), ctx.scenario);
  if (s.pending) {
    if (!auto.download && s.installState !== 'installing') { s.installState = 'none'; s.pending = null; } // AlwaysOff stops it
    else if (s.installState === 'failed' && now >= s.dueAt) startDownload(d, ctx, s.pending);
    else if (s.installState === 'prepared' && auto.installOS) { s.dueAt = now; ctx.schedule(d, now); }
    if (s.pending) return;
  }
  if (!auto.download && !auto.installSecurity) return;
  const products = offered(d, ctx, { own: true, command: false });
  if (auto.installSecurity) for (const p of products) if (p.configData) d.installedProducts = { ...d.installedProducts, [p.productKey]: now };
  const pick = auto.download ? products.filter((p) => !p.configData && !p.major && d.freeBytes >= p.size * 2).sort((a, b) => compareVersions(a.version, b.version)).pop() : undefined;
  if (pick) { startDownload(d, ctx, { version: pick.version, build: pick.build }); return; }
  if ((auto.download || auto.installSecurity) && s.dueAt <= now) {
    s.dueAt = now + ctx.scenario.timing.autoCheckSeconds * 1000;
    ctx.schedule(d, s.dueAt);
  }
}

/** The update's next step when its time has come (or the device's own check for one). */
export function advance(d: DeviceState, ctx: SimContext, client: Client): void {
  const s = d.ddm;
  const now = ctx.now();
  if (s.enabled && now - s.lastFullReport >= ctx.scenario.timing.fullReportSeconds * 1000) void report(d, ctx, client, true).catch(() => undefined);
  if (now < s.dueAt) return;
  const auto = automaticPending(d);
  if (!s.pending || (auto && s.installState === 'failed')) {
    const before = s.pending?.version;
    autoCheck(d, ctx);
    if (s.pending && (s.pending.version !== before || s.installState === 'downloading')) void report(d, ctx, client, false).catch(() => undefined);
    return;
  }
  const rng = ctx.rngFor(d);
  const failed = (reason: string) => {
    s.installState = 'failed';
    s.failure = { count: s.failure.count + 1, reason, timestamp: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z') };
    if (auto) { s.dueAt = now + ctx.scenario.timing.autoCheckSeconds * 1000; ctx.schedule(d, s.dueAt); } // tries again at its next check
  };
  const install = () => {
    s.installState = 'installing';
    s.dueAt = now + ctx.scenario.timing.installSeconds * 1000;
    ctx.offline(d);
  };
  if (s.installState === 'downloading') {
    if (!d.acPower) { s.dueAt = now; return; } // resumes when plugged in (setPower calls advance)
    if (rng.chance(ctx.scenario.quirks.downloadFailure)) failed('DownloadFailed');
    else { s.installState = 'prepared'; s.dueAt = now + ctx.scenario.timing.prepareSeconds * 1000; }
  } else if (s.installState === 'prepared' && auto) {
    if (!automatic(d, settingsOf(d) ?? combine(d, []), ctx.scenario).installOS) { void report(d, ctx, client, false).catch(() => undefined); return; } // downloaded, kept for the user
    install();
  } else if (s.installState === 'prepared') {
    s.installState = 'waiting';
    const at = localToSim(d, s.pending.targetLocalDateTime ?? '');
    s.dueAt = Number.isFinite(at) ? Math.max(now, at) : now;
  } else if (s.installState === 'waiting') {
    install();
  } else if (s.installState === 'installing') {
    if (rng.chance(ctx.scenario.quirks.installFailure)) {
      failed('InstallFailed');
      ctx.restart(d); // it went offline to install: it boots back into the old OS
    }
    else {
      d.osVersion = s.pending.version;
      d.build = s.pending.build;
      s.installState = 'none';
      s.pending = null;
      s.failure = { count: 0 };
      ctx.restart(d); // the report with the new version goes out after the boot
      autoCheck(d, ctx); // schedules the next look for an update, if the device looks by itself
      return;
    }
  }
  if (s.installState !== 'failed') ctx.schedule(d, s.dueAt);
  void report(d, ctx, client, false).catch(() => undefined);
}

const LEGACY_STATE: Record<string, string> = { downloading: 'downloading', downloaded: 'prepared', installing: 'installing', failed: 'failed' };

function statusItems(d: DeviceState): Record<string, unknown> {
  const s = d.ddm;
  const decls = (kind: string) => Object.entries(s.declarations).filter(([, x]) => x.kind === kind).map(([id, x]) => {
    const reasons = x.type === SETTINGS ? validity(d, x.type, x.payload) : [];
    return { identifier: id, 'server-token': x.serverToken, active: isActive(d, id), valid: reasons.length ? 'invalid' : 'valid', ...(reasons.length ? { reasons } : {}) };
  });
  // An update an MDM command started (legacy ScheduleOSUpdate) shows in the same items.
  const legacy = !s.pending && d.update ? d.update : null;
  const pending = s.pending ?? (legacy ? { version: legacy.version, build: legacy.build } : null);
  const enforcementId = activeOfType(d, ENFORCEMENT)[0]?.[0];
  const settings = settingsOf(d);
  const items: Record<string, unknown> = {
    'softwareupdate.install-state': legacy ? LEGACY_STATE[legacy.phase] : s.installState,
    'softwareupdate.pending-version': pending
      ? { 'os-version': pending.version, 'build-version': pending.build, ...(s.pending?.targetLocalDateTime ? { 'target-local-date-time': s.pending.targetLocalDateTime } : {}) }
      : { 'os-version': '', 'build-version': '' },
    'softwareupdate.failure-reason': s.failure,
    'softwareupdate.install-reason': legacy ? { reason: ['mdm'] }
      : !s.pending ? { reason: [] }
      : automaticPending(d) ? { reason: ['auto-update'] }
      : { reason: ['declaration'], ...(enforcementId ? { 'declaration-id': enforcementId } : {}) },
    'softwareupdate.device-id': model(d).deviceId,
    'softwareupdate.beta-enrollment': settings ? betaProgram(settings) : '',
    'device.operating-system.version': d.osVersion,
    'device.operating-system.build-version': d.build,
    'device.operating-system.family': d.platform === 'macos' ? 'macOS' : d.platform === 'ios' ? 'iOS' : 'iPadOS',
    'device.operating-system.marketing-name': d.platform === 'macos' ? 'macOS' : d.platform === 'ios' ? 'iOS' : 'iPadOS',
    'device.identifier.udid': d.udid,
    'device.identifier.serial-number': d.serial,
    'device.model.identifier': d.product,
    'device.model.family': d.platform === 'macos' ? 'Mac' : d.platform === 'ios' ? 'iPhone' : 'iPad',
    'management.declarations': { activations: decls('activation'), configurations: decls('configuration'), assets: decls('asset'), management: decls('management') },
  };
  const fam = d.platform === 'macos' ? 'macos' : 'ios';
  for (const [name, since] of Object.entries(ITEMS_SINCE)) if (major(d.osVersion) < since[fam]) delete items[name];
  return items;
}

/** Nests dotted names: {"a.b.c": v} → {a: {b: {c: v}}}. */
function nest(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(flat)) {
    const parts = name.split('.');
    let at = out;
    for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
    at[parts[parts.length - 1]] = value;
  }
  return out;
}

/** Sends the changed subscribed items (or all of them, FullReport) to the status endpoint. */
export async function report(d: DeviceState, ctx: SimContext, client: Client, full: boolean): Promise<void> {
  if (!d.ddm.enabled || !ddmCapable(d)) return;
  const subscribed = new Set(activeOfType(d, SUBSCRIPTIONS).flatMap(([, p]) => ((p.StatusItems as Array<{ Name: string }> | undefined) ?? []).map((i) => i.Name)));
  subscribed.add('management.declarations');
  const items = statusItems(d);
  const changed: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(items)) {
    if (!subscribed.has(name)) continue;
    if (full || JSON.stringify(d.ddm.reported[name]) !== JSON.stringify(value)) changed[name] = value;
  }
  if (!Object.keys(changed).length) return;
  Object.assign(d.ddm.reported, changed);
  if (full) d.ddm.lastFullReport = ctx.now();
  await call(d, client, 'status', { StatusItems: nest(changed), Errors: [], ...(full ? { FullReport: true } : {}) });
  if (full) ctx.schedule(d, ctx.now() + ctx.scenario.timing.fullReportSeconds * 1000);
}
