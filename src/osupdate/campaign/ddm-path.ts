// The DDM path: a softwareupdate.enforcement.specific declaration per target (TargetOSVersion and
// TargetBuildVersion from the catalog, TargetLocalDateTime from the deadline), delivered in a DDM set
// per (campaign, target); progress and failures from the softwareupdate.* status items; done when the
// reported OS reaches the target. Pure: the engine applies the sets and reads the reports.
import type { CampaignSpec } from './types.js';
import { deadlineInstant, localClock, nextOpening, targetLocalDateTime } from './window.js';

export const ENFORCEMENT_TYPE = 'com.apple.configuration.softwareupdate.enforcement.specific';
export const SETTINGS_TYPE = 'com.apple.configuration.softwareupdate.settings';
export const ACTIVATION_TYPE = 'com.apple.activation.simple';

export interface DdmMemory {
  set?: string;
  assignedAt?: number;
  lastReportAt?: number;
  installState?: string;
  failures?: number;
  /** When the device was first seen failed and not retrying (the engine asks it to sync four polls later). */
  failedAt?: number;
  /** How often the engine asked a failed device to try again. */
  retried?: number;
  /** TargetLocalDateTime of the device's enforcement. */
  enforceAt?: string;
  [key: string]: unknown;
}

/** A set name and declaration identifiers for a campaign target and wave (identifiers stay ≤ 64 octets). */
export function ddmNames(campaignId: string, target: { version: string; build: string | null }, wave: number) {
  const tag = `${target.version}${target.build ? `-${target.build}` : ''}`.replace(/[^A-Za-z0-9.-]/g, '');
  const base = `campaign.${campaignId}.${tag}.w${wave + 1}`;
  return { set: base, enforcement: `${base}.enforce`, settings: `${base}.settings`, activation: `${base}.activation` };
}

/**
 * The declarations of one target and wave: the enforcement, optional settings, and the activation
 * that applies them. The device installs by TargetLocalDateTime: `installWithinHours` after the wave
 * started (as soon as a maintenance window opens, when there is one), never after the deadline.
 */
export function ddmDeclarations(campaignId: string, spec: CampaignSpec, target: { version: string; build: string | null }, wave: number, startedAt: Date): unknown[] {
  const names = ddmNames(campaignId, target, wave);
  const zone = spec.timeZone === 'device' ? 'UTC' : spec.timeZone;
  let at = new Date(startedAt.getTime() + spec.installWithinHours * 3600_000);
  if (spec.window) at = nextOpening(spec.window, startedAt, 0) ?? at;
  if (spec.deadline) {
    const end = deadlineInstant(spec.deadline, zone);
    if (end.getTime() < at.getTime()) at = end;
  }
  const local = spec.deadline && at.getTime() === deadlineInstant(spec.deadline, zone).getTime() ? targetLocalDateTime(spec.deadline, zone) : localClock(at, zone).date;
  const enforcement: Record<string, unknown> = {
    TargetOSVersion: target.version,
    TargetLocalDateTime: local,
  };
  if (target.build) enforcement.TargetBuildVersion = target.build;
  if (spec.detailsUrl) enforcement.DetailsURL = spec.detailsUrl;
  const configs = [names.enforcement];
  const out: unknown[] = [{ Type: ENFORCEMENT_TYPE, Identifier: names.enforcement, Payload: enforcement }];
  if (spec.ddmSettings) {
    out.push({ Type: SETTINGS_TYPE, Identifier: names.settings, Payload: spec.ddmSettings });
    configs.push(names.settings);
  }
  out.push({ Type: ACTIVATION_TYPE, Identifier: names.activation, Payload: { StandardConfigurations: configs } });
  return out;
}

/** What a status report says about the update, in the engine's terms. */
export interface DdmObservation {
  state: 'enforcing' | 'downloading' | 'installing' | 'failed' | null;
  reason: string | null;
  /** The declaration was refused by the device (reasons as it gave them). */
  refused: string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export function observeStatus(items: Array<{ name: string; value: unknown }>, enforcementId: string, mem: DdmMemory, retries: number): DdmObservation {
  const byName = new Map(items.map((i) => [i.name, i.value]));
  let refused: string | null = null;
  const decls = byName.get('management.declarations') as Record<string, unknown> | undefined;
  if (decls && typeof decls === 'object') {
    for (const group of Object.values(decls)) {
      if (!Array.isArray(group)) continue;
      for (const d of group as Array<Record<string, unknown>>) {
        if (d.identifier === enforcementId && d.valid === 'invalid') {
          refused = JSON.stringify(d.reasons ?? []);
        }
      }
    }
  }
  const failure = byName.get('softwareupdate.failure-reason') as { count?: unknown; reason?: unknown } | undefined;
  const count = typeof failure?.count === 'number' ? failure.count : 0;
  const pending = byName.get('softwareupdate.pending-version') as Record<string, unknown> | undefined;
  const pendingText = pending && str(pending['os-version']) ? ` ${pending['os-version']}${str(pending['build-version']) ? ` (${pending['build-version']})` : ''}` : '';
  const state = str(byName.get('softwareupdate.install-state'));
  if (state) mem.installState = state;
  if (count > 0 && failure) {
    mem.failures = count;
    const why = str(failure.reason) ?? 'unknown reason';
    if (count > retries) return { state: 'failed', reason: `the device failed to install${pendingText} ${count} times: ${why}`, refused };
    return { state: 'enforcing', reason: `the device reported a failure (${why}, ${count} so far)${state === 'failed' ? '; asking it to try again shortly' : '; trying again'}`, refused };
  }
  switch (state) {
    case 'downloading': return { state: 'downloading', reason: `downloading${pendingText}`, refused };
    case 'prepared':
    case 'waiting': return { state: 'downloading', reason: `downloaded${pendingText}; installs at the enforcement time${mem.enforceAt ? ` (${mem.enforceAt}, device time)` : ''} or earlier when the user chooses`, refused };
    case 'installing': return { state: 'installing', reason: `installing${pendingText}`, refused };
    case 'failed': return { state: 'enforcing', reason: 'the last install failed; asking the device to try again shortly', refused };
    case 'none': return { state: 'enforcing', reason: 'declaration applied; waiting for the device to start the update', refused };
    case null: return { state: null, reason: null, refused };
    default: return { state: 'enforcing', reason: `install state ${state}`, refused };
  }
}

/** The OS a status report says the device runs, when it says. */
export function reportedOs(items: Array<{ name: string; value: unknown }>): { version: string | null; build: string | null } | null {
  let version: string | null = null;
  let build: string | null = null;
  for (const i of items) {
    if (i.name === 'device.operating-system.version') version = str(i.value);
    if (i.name === 'device.operating-system.build-version') build = str(i.value);
  }
  return version || build ? { version, build } : null;
}
