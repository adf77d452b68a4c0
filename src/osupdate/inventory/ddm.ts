// DDM status items (flattened dotted names, as ddm/status.ts gives them) → inventory fields and the
// state of the device's software update. Reports are incremental: only the items present change.
import { platformOf } from '../../mdm/platform.js';
import type { Platform } from '../../mdm/types.js';
import type { InventoryPatch, UpdateAttempt } from '../types.js';
import { isDict, modelIdentifier, text } from './parse.js';

const PLATFORMS: readonly Platform[] = ['macOS', 'iOS', 'iPadOS', 'tvOS', 'watchOS', 'visionOS'];

/** Status item → inventory text field, where the value is a plain string. */
const TEXT_ITEMS = {
  'device.operating-system.version': 'osVersion',
  'device.operating-system.build-version': 'buildVersion',
  'device.operating-system.supplemental.build-version': 'supplementalBuildVersion',
  'device.model.number': 'modelNumber',
  'device.model.marketing-name': 'modelMarketingName',
  'device.operating-system.marketing-name': 'osMarketingName',
  'softwareupdate.device-id': 'softwareUpdateDeviceId',
} as const satisfies Record<string, keyof InventoryPatch>;

/** What the softwareupdate.* items of one report say (each present only when reported). */
export interface DdmUpdateState {
  installState?: string;
  pending?: { version: string | null; build: string | null; targetLocalDateTime: string | null };
  failure?: { count: number; reason: string | null; timestamp: string | null };
  installReasons?: string[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? text(v) : undefined);

/** "a" (DDM) and "(a)" (DeviceInformation) both mean the BSI/RSR "(a)"; empty means none. */
export function extraVersion(v: unknown): string | null | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  if (t === '') return null;
  return /^\(.*\)$/.test(t) ? t : `(${t})`;
}

export function fromStatusItems(
  items: ReadonlyArray<{ name: string; value: unknown }>,
  known: Platform | null = null,
): { patch: InventoryPatch; update: DdmUpdateState | null } {
  const patch: InventoryPatch = {};
  const update: DdmUpdateState = {};
  const byName = new Map(items.map((i) => [i.name, i.value]));
  for (const [name, field] of Object.entries(TEXT_ITEMS)) {
    const v = str(byName.get(name));
    if (v !== undefined) patch[field] = v;
  }
  const extra = extraVersion(byName.get('device.operating-system.supplemental.extra-version'));
  if (extra !== undefined) patch.supplementalOsVersionExtra = extra;
  const identifier = modelIdentifier(str(byName.get('device.model.identifier')));
  if (identifier) patch.model = identifier;
  const family = str(byName.get('device.operating-system.family'));
  const platform = PLATFORMS.find((p) => p === family) ?? platformOf(identifier, str(byName.get('device.model.family'))) ?? undefined;
  if (platform && platform !== known) patch.platform = platform;
  if ((platform ?? known) === 'macOS' && patch.softwareUpdateDeviceId) patch.boardId = patch.softwareUpdateDeviceId;

  const state = str(byName.get('softwareupdate.install-state'));
  if (state) update.installState = state;
  const pending = byName.get('softwareupdate.pending-version');
  if (isDict(pending)) {
    update.pending = {
      version: str(pending['os-version']) ?? null,
      build: str(pending['build-version']) ?? null,
      targetLocalDateTime: str(pending['target-local-date-time']) ?? null,
    };
    patch.pendingUpdate = update.pending.version || update.pending.build ? update.pending : null;
  }
  const failure = byName.get('softwareupdate.failure-reason');
  if (isDict(failure)) {
    const count = typeof failure.count === 'number' && Number.isFinite(failure.count) ? failure.count : 0;
    update.failure = { count, reason: str(failure.reason) ?? null, timestamp: str(failure.timestamp) ?? null };
  }
  const reason = byName.get('softwareupdate.install-reason');
  if (isDict(reason) && Array.isArray(reason.reason)) {
    update.installReasons = reason.reason.filter((r): r is string => typeof r === 'string');
  }
  return { patch, update: Object.keys(update).length > 0 ? update : null };
}

/** The device's update attempt after a report: what it reported now over what its earlier DDM reports said. */
export function ddmAttempt(prev: UpdateAttempt | null, update: DdmUpdateState, at: Date): UpdateAttempt {
  const base = prev?.source === 'ddm' ? prev : null;
  const f = update.failure;
  const error = f ? (f.count > 0 ? { code: null, domain: null, message: f.reason ?? 'the software update failed' } : null) : (base?.error ?? null);
  const attempt: UpdateAttempt = {
    at,
    source: 'ddm',
    status: update.installState ?? base?.status ?? 'none',
    productKey: null,
    version: update.pending ? update.pending.version : (base?.version ?? null),
    error,
  };
  const reasons = update.installReasons ?? base?.installReasons;
  if (reasons) attempt.installReasons = reasons;
  return attempt;
}
