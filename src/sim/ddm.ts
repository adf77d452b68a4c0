// Declarative Device Management on the device side (macOS 14+, iOS 17+): the sync (tokens,
// declaration-items, each changed declaration), activations, the software update enforcement
// (download, prepare, install at TargetLocalDateTime in the device's own time zone, failures),
// softwareupdate.settings, and status reports: incremental, nested by dotted name, full once a day.
import type { Client } from './client.js';
import type { SimContext } from './context.js';
import { deviceIds, model, type DeviceState } from './device.js';
import { compareVersions, major, supports } from './models.js';
import { offered } from './osupdate.js';

const ENFORCEMENT = 'com.apple.configuration.softwareupdate.enforcement.specific';
const SUBSCRIPTIONS = 'com.apple.configuration.management.status-subscriptions';
const KINDS: Record<string, string> = { Activations: 'activation', Configurations: 'configuration', Assets: 'asset', Management: 'management' };

export const ddmCapable = (d: DeviceState): boolean => major(d.osVersion) >= (d.platform === 'macos' ? 14 : 17);

async function call(d: DeviceState, client: Client, endpoint: string, data?: unknown): Promise<Buffer> {
  const res = await client.checkin(d, {
    MessageType: 'DeclarativeManagement', Endpoint: endpoint, ...deviceIds(d),
    ...(data === undefined ? {} : { Data: Buffer.from(JSON.stringify(data)) }),
  });
  return res.body;
}

const json = (b: Buffer): Record<string, unknown> => (b.length ? (JSON.parse(b.toString('utf8')) as Record<string, unknown>) : {});

/** Identifiers of configurations referenced by an activation. */
function activeConfigs(d: DeviceState): Set<string> {
  const out = new Set<string>();
  for (const decl of Object.values(d.ddm.declarations)) {
    if (decl.kind !== 'activation') continue;
    for (const id of (decl.payload.StandardConfigurations as string[] | undefined) ?? []) out.add(id);
  }
  return out;
}

function activeOfType(d: DeviceState, type: string): Array<Record<string, unknown>> {
  const active = activeConfigs(d);
  return Object.entries(d.ddm.declarations).filter(([id, x]) => x.type === type && active.has(id)).map(([, x]) => x.payload);
}

export function enforcing(d: DeviceState): boolean {
  return activeOfType(d, ENFORCEMENT).length > 0 && enforcementAllowed(d);
}

const enforcementAllowed = (d: DeviceState): boolean => ddmCapable(d) && (d.platform !== 'macos' || d.supervised);

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
  const target = enforcementAllowed(d) ? activeOfType(d, ENFORCEMENT)[0] : undefined;
  const s = d.ddm;
  if (!target) {
    if (s.installState !== 'installing') { s.installState = 'none'; s.pending = null; }
    return;
  }
  const version = String(target.TargetOSVersion ?? '');
  const local = String(target.TargetLocalDateTime ?? '');
  if (compareVersions(version, d.osVersion) <= 0 || !supports(model(d), version)) {
    s.installState = 'none';
    s.pending = null;
    return;
  }
  const product = offered(d, { ...ctx, ddmEnforcing: () => false }).find((p) => p.version === version);
  if (!product) return; // not offered yet: the declaration waits for the update to appear
  if (s.pending?.version === version && s.installState !== 'failed') {
    s.pending.targetLocalDateTime = local;
    return;
  }
  s.pending = { version, build: String(target.TargetBuildVersion ?? product.build), targetLocalDateTime: local };
  s.installState = 'downloading';
  s.dueAt = ctx.now() + ctx.scenario.timing.downloadSeconds * 1000;
  ctx.schedule(d, s.dueAt);
}

/** The enforcement's next step when its time has come. */
export function advance(d: DeviceState, ctx: SimContext, client: Client): void {
  const s = d.ddm;
  const now = ctx.now();
  if (s.enabled && now - s.lastFullReport >= ctx.scenario.timing.fullReportSeconds * 1000) void report(d, ctx, client, true).catch(() => undefined);
  if (!s.pending || now < s.dueAt) return;
  const rng = ctx.rngFor(d);
  const failed = (reason: string) => {
    s.installState = 'failed';
    s.failure = { count: s.failure.count + 1, reason, timestamp: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z') };
  };
  if (s.installState === 'downloading') {
    if (!d.acPower) { s.dueAt = now; return; } // resumes when plugged in (setPower calls advance)
    if (rng.chance(ctx.scenario.quirks.downloadFailure)) failed('DownloadFailed');
    else { s.installState = 'prepared'; s.dueAt = now + ctx.scenario.timing.prepareSeconds * 1000; }
  } else if (s.installState === 'prepared') {
    s.installState = 'waiting';
    const at = localToSim(d, s.pending.targetLocalDateTime ?? '');
    s.dueAt = Number.isFinite(at) ? Math.max(now, at) : now;
  } else if (s.installState === 'waiting') {
    s.installState = 'installing';
    s.dueAt = now + ctx.scenario.timing.installSeconds * 1000;
    ctx.offline(d);
  } else if (s.installState === 'installing') {
    if (rng.chance(ctx.scenario.quirks.installFailure)) failed('InstallFailed');
    else {
      d.osVersion = s.pending.version;
      d.build = s.pending.build;
      s.installState = 'none';
      s.pending = null;
      ctx.restart(d); // the report with the new version goes out after the boot
      return;
    }
  }
  if (s.installState !== 'failed') ctx.schedule(d, s.dueAt);
  void report(d, ctx, client, false).catch(() => undefined);
}

function statusItems(d: DeviceState): Record<string, unknown> {
  const s = d.ddm;
  const active = activeConfigs(d);
  const decls = (kind: string) => Object.entries(s.declarations).filter(([, x]) => x.kind === kind).map(([id, x]) => ({
    identifier: id, 'server-token': x.serverToken, active: kind !== 'configuration' || active.has(id), valid: 'valid',
  }));
  return {
    'softwareupdate.install-state': s.installState,
    'softwareupdate.pending-version': s.pending
      ? { 'os-version': s.pending.version, 'build-version': s.pending.build, ...(s.pending.targetLocalDateTime ? { 'target-local-date-time': s.pending.targetLocalDateTime } : {}) }
      : { 'os-version': '', 'build-version': '' },
    'softwareupdate.failure-reason': s.failure,
    'softwareupdate.install-reason': { reason: s.pending ? ['declaration'] : [] },
    'softwareupdate.device-id': model(d).deviceId,
    'softwareupdate.beta-enrollment': '',
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
  const subscribed = new Set(activeOfType(d, SUBSCRIPTIONS).flatMap((p) => ((p.StatusItems as Array<{ Name: string }> | undefined) ?? []).map((i) => i.Name)));
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
