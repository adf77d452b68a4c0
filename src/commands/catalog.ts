// Lookups over the generated catalog, and whether a command can go to a given device.
import type { PlistDict, PlistValue } from '../plist/index.js';
import type { Platform } from '../mdm/types.js';
import { CATALOG } from './catalog.generated.js';
import type { CommandSpec, KeySpec, OsName, OsSupport } from './types.js';
import { isRecord } from './validate.js';

const BY_TYPE = new Map(CATALOG.map((c) => [c.requestType, c]));

export function commandSpec(requestType: string): CommandSpec | undefined {
  return BY_TYPE.get(requestType);
}

export function listCommands(): CommandSpec[] {
  return [...CATALOG];
}

/** Apple's schema names iPadOS iOS. */
export function schemaOs(platform: Platform): OsName {
  return platform === 'iPadOS' ? 'iOS' : platform;
}

export function osSupport(spec: CommandSpec, platform: Platform): OsSupport | undefined {
  return spec.os[schemaOs(platform)];
}

/** -1, 0 or 1 comparing dotted versions numerically ("10.11.5" < "10.12"; missing parts count as 0). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** What is known about the device or channel a command would go to; unknown facts are not held against it. */
export interface CommandTarget {
  platform: Platform;
  osVersion?: string;
  channel?: 'device' | 'user';
  supervised?: boolean;
  userEnrollment?: boolean;
  sharedIPad?: boolean;
}

/** Why the schema says this command cannot run on the target, or null when it can. */
export function unsupportedReason(spec: CommandSpec, target: CommandTarget): string | null {
  const name = spec.requestType;
  const s = osSupport(spec, target.platform);
  if (!s) return `${name} is not supported on ${target.platform}`;
  const v = target.osVersion;
  if (v && compareVersions(v, s.introduced) < 0) return `${name} needs ${target.platform} ${s.introduced} or later`;
  if (v && s.removed && compareVersions(v, s.removed) >= 0) return `${name} was removed in ${target.platform} ${s.removed}`;
  if (target.supervised === false && s.supervised) return `${name} needs a supervised device`;
  if (target.userEnrollment !== undefined) {
    const ue = s.userEnrollment;
    if (target.userEnrollment && ue === 'forbidden') return `${name} is not allowed on User Enrollment`;
    if (!target.userEnrollment && ue === 'required') return `${name} needs User Enrollment`;
  }
  if (target.sharedIPad && s.sharedIPad?.mode === 'forbidden') return `${name} is not allowed on Shared iPad`;
  if (target.channel) {
    const onShared = target.sharedIPad && s.sharedIPad;
    const allowed = target.channel === 'device'
      ? (onShared ? s.sharedIPad!.deviceChannel : s.deviceChannel)
      : (onShared ? s.sharedIPad!.userChannel : s.userChannel);
    if (!allowed) return `${name} is not supported on the ${target.channel} channel`;
  }
  return null;
}

const isDict = (v: PlistValue | undefined): v is PlistDict => isRecord(v);

/** For arrays whose items are one of several dictionaries (Settings), the one an item's tag names. */
export function variantOf(items: readonly KeySpec[], item: PlistValue): KeySpec | undefined {
  if (items.length <= 1 || !isDict(item)) return items[0];
  return items.find((alt) => (alt.keys ?? []).some((k) => k.required && k.values?.length === 1 && item[k.key] === k.values[0]));
}

/** Paths of payload keys (and Settings items) that the schema says the target's OS lacks: not available
 * there, introduced in a later version, or removed. A device ignores or refuses them. */
export function unsupportedKeys(spec: CommandSpec, payload: PlistDict, target: { platform: Platform; osVersion?: string }): string[] {
  const os = schemaOs(target.platform);
  const v = target.osVersion;
  const lacks = (k: KeySpec): boolean => {
    const a = k.os?.[os];
    if (a === false) return true;
    return !!(a && v && ((a.introduced && compareVersions(v, a.introduced) < 0) || (a.removed && compareVersions(v, a.removed) >= 0)));
  };
  const out: string[] = [];
  const walk = (keys: readonly KeySpec[], dict: PlistDict, path: string): void => {
    for (const [name, value] of Object.entries(dict)) {
      const k = keys.find((x) => x.key === name);
      if (!k) continue;
      const at = path ? `${path}.${name}` : name;
      if (lacks(k)) out.push(at);
      else if (k.keys && isDict(value)) walk(k.keys, value, at);
      else if (k.items && Array.isArray(value)) {
        value.forEach((item, i) => {
          const alt = variantOf(k.items!, item);
          if (alt && lacks(alt)) out.push(`${at}[${i}]`);
          else if (alt?.keys && isDict(item)) walk(alt.keys, item, `${at}[${i}]`);
        });
      }
    }
  };
  walk(spec.payload, payload, '');
  return out;
}
