// Lookups over the generated catalog, and whether a command can go to a given device.
import type { Platform } from '../storage/types.js';
import { CATALOG } from './catalog.generated.js';
import type { CommandSpec, OsName, OsSupport } from './types.js';

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
