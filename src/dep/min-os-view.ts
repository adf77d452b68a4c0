// The ADE enrollment minimum OS as the posture and campaign dry runs show it per device: the minimum
// for the device's platform in the settings of its DEP name (its ADE enrollment's, else the one ABM
// lists its serial under, else the global settings), and whether the device runs below it (erased, it
// would have to update in Setup Assistant before it enrolls again).
import type { Platform } from '../mdm/types.js';
import { compareVersions } from '../osupdate/version.js';
import type { AdeStore, SettingStore } from '../storage/types.js';
import type { DepStore } from '../storage/types-dep.js';
import { effectiveAdeSettings, type AdeSettings } from './ade-settings.js';

export interface AdeMinimum {
  /** The minimum for the device's platform (null: none set). */
  minimum: string | null;
  /** True when the device runs an older OS than the minimum (null: no minimum, or its OS is unknown). */
  below: boolean | null;
  /** The DEP name whose settings apply (null: the global ones). */
  depName: string | null;
}

export interface MinimumFacts {
  deviceId: string;
  platform: Platform | null;
  osVersion: string | null;
  depName: string | null;
}

/** Computes each device's minimum, reading each DEP name's settings once. */
export async function adeMinimums(store: SettingStore, devices: readonly MinimumFacts[]): Promise<Map<string, AdeMinimum>> {
  const settings = new Map<string | null, Promise<AdeSettings>>();
  const of = (name: string | null) => {
    if (!settings.has(name)) settings.set(name, effectiveAdeSettings(store, name));
    return settings.get(name)!;
  };
  const out = new Map<string, AdeMinimum>();
  for (const d of devices) {
    const minimum = d.platform ? ((await of(d.depName)).minimum_os[d.platform] ?? null) : null;
    const below = minimum && d.osVersion ? compareVersions(d.osVersion, minimum) < 0 : null;
    out.set(d.deviceId, { minimum, below, depName: d.depName });
  }
  return out;
}

/** One device's minimum; its DEP name from its ADE enrollment, else from ABM's list by serial. */
export async function adeMinimumOf(
  store: SettingStore & Pick<AdeStore, 'getAdeEnrollment'> & Pick<DepStore, 'getDepDevice'>,
  d: { deviceId: string; serial: string | null; platform: Platform | null; osVersion: string | null },
): Promise<AdeMinimum> {
  const ade = await store.getAdeEnrollment(d.deviceId);
  const listed = !ade?.depName && d.serial ? await store.getDepDevice(d.serial) : null;
  const depName = ade?.depName ?? (listed && listed.opType !== 'deleted' ? listed.depName : null);
  return (await adeMinimums(store, [{ ...d, depName }])).get(d.deviceId)!;
}

/** The JSON fields for the API (posture, dry-run entries). */
export const adeMinimumJson = (m: AdeMinimum) => ({ ade_minimum_os: m.minimum, below_ade_minimum_os: m.below });
