// The assigner: devices new to a DEP name (fetched, or synced as "added") without an ADE profile get
// one: the first matching rule's (by model, OS, serial list), else the DEP name's default profile
// (NanoDEP's /v1/assigner). Rules are kept as JSON in the settings table under "dep-assigner:NAME".
import type { Logger } from 'pino';
import type { DepDeviceRecord, DepStore } from '../storage/types-dep.js';
import type { SettingStore } from '../storage/types.js';
import type { DepClient } from './types.js';

export interface AssignRule {
  profile_uuid: string;
  /** Apple's model or device_family ("Mac", "iPad", "MacBook Pro 14-inch"…), case-insensitive, any of. */
  models?: string[];
  /** Apple's os ("OSX", "iOS", "tvOS", "visionOS"), any of. */
  os?: string[];
  serials?: string[];
}

export class AssignRuleError extends Error {
  override name = 'AssignRuleError';
}

const KEYS = new Set(['profile_uuid', 'models', 'os', 'serials']);

export function validateRules(input: unknown): AssignRule[] {
  const list = (input as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(list)) throw new AssignRuleError('body must be {"rules": [{"profile_uuid", "models"?, "os"?, "serials"?}, …]}');
  return list.map((r, i) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new AssignRuleError(`rules[${i}] must be an object`);
    for (const k of Object.keys(r)) if (!KEYS.has(k)) throw new AssignRuleError(`rules[${i}]: unknown key ${JSON.stringify(k)}`);
    const rule = r as Record<string, unknown>;
    if (typeof rule.profile_uuid !== 'string' || rule.profile_uuid === '') throw new AssignRuleError(`rules[${i}].profile_uuid is required`);
    for (const k of ['models', 'os', 'serials'] as const) {
      const v = rule[k];
      if (v !== undefined && (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x !== ''))) throw new AssignRuleError(`rules[${i}].${k} must be a list of strings`);
    }
    return rule as unknown as AssignRule;
  });
}

const rulesKey = (name: string) => `dep-assigner:${name}`;

export async function loadRules(store: SettingStore, name: string): Promise<AssignRule[]> {
  const raw = await store.getSetting(rulesKey(name));
  if (!raw) return [];
  try {
    return validateRules(JSON.parse(raw));
  } catch {
    return [];
  }
}

export async function saveRules(store: SettingStore, name: string, input: unknown): Promise<AssignRule[]> {
  const rules = validateRules(input);
  await store.setSetting(rulesKey(name), JSON.stringify({ rules }));
  return rules;
}

const lower = (s: string | null) => (s ?? '').toLowerCase();

/** The profile a device gets: the first rule it matches, else the default (null: none). */
export function profileFor(d: DepDeviceRecord, rules: readonly AssignRule[], fallback: string | null): string | null {
  for (const r of rules) {
    if (r.serials && !r.serials.includes(d.serialNumber)) continue;
    if (r.os && !r.os.some((o) => lower(o) === lower(d.os))) continue;
    if (r.models && !r.models.some((m) => [lower(d.model), lower(d.deviceFamily)].some((x) => x === lower(m) || (x !== '' && x.startsWith(lower(m)))))) continue;
    return r.profile_uuid;
  }
  return fallback;
}

/** Whether the assigner should give the device a profile (new, not released, none assigned yet). */
export const needsProfile = (d: DepDeviceRecord): boolean =>
  d.opType !== 'deleted' && !d.profileUuid && (d.profileStatus === null || d.profileStatus === 'empty' || d.profileStatus === 'removed');

/** Assigns profiles to `devices`; returns the serials assigned per profile. */
export async function assignNew(opts: {
  name: string; devices: DepDeviceRecord[]; client: DepClient; store: DepStore & SettingStore; fallback: string | null; at: Date; logger?: Logger;
}): Promise<Record<string, string[]>> {
  const rules = await loadRules(opts.store, opts.name);
  const groups = new Map<string, string[]>();
  for (const d of opts.devices.filter(needsProfile)) {
    const p = profileFor(d, rules, opts.fallback);
    if (p) groups.set(p, [...(groups.get(p) ?? []), d.serialNumber]);
  }
  const out: Record<string, string[]> = {};
  for (const [profileUuid, serials] of groups) {
    serials.sort(); // a stable order for the log, the API answer and Apple's batches
    for (let i = 0; i < serials.length; i += 1000) {
      const res = await opts.client.assignProfile(profileUuid, serials.slice(i, i + 1000));
      const ok = Object.entries(res.devices).filter(([, s]) => s === 'SUCCESS').map(([serial]) => serial);
      const failed = Object.entries(res.devices).filter(([, s]) => s !== 'SUCCESS');
      if (ok.length) await opts.store.setDepDeviceProfile(opts.name, ok, { profileUuid, profileStatus: 'assigned', at: opts.at });
      if (failed.length) opts.logger?.warn({ dep: opts.name, profileUuid, failed: Object.fromEntries(failed) }, 'DEP assigner: some devices were not assigned');
      out[profileUuid] = [...(out[profileUuid] ?? []), ...ok];
    }
  }
  if (Object.keys(out).length) opts.logger?.info({ dep: opts.name, assigned: out }, 'DEP assigner: profiles assigned');
  return out;
}
