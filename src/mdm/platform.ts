// Platform from the model identifier a device reports (ProductName on iOS, Model on macOS) or its ModelName.
import type { Platform } from './types.js';

/** Model identifier prefixes, checked in order against names with spaces removed. */
const MODEL_PREFIXES: ReadonlyArray<[string, Platform]> = [
  ['iPhone', 'iOS'],
  ['iPod', 'iOS'],
  ['iPad', 'iPadOS'],
  ['AppleTV', 'tvOS'],
  ['AppleWatch', 'watchOS'],
  ['Watch', 'watchOS'],
  ['RealityDevice', 'visionOS'],
  ['AppleVision', 'visionOS'],
  ['Mac', 'macOS'],
  ['iMac', 'macOS'],
  ['VirtualMac', 'macOS'],
  ['Xserve', 'macOS'],
];

/** The first name (in order given) that identifies a platform, else null. */
export function platformOf(...names: Array<string | null | undefined>): Platform | null {
  for (const name of names) {
    if (!name) continue;
    const compact = name.replace(/\s+/g, '');
    for (const [prefix, platform] of MODEL_PREFIXES) {
      if (compact.startsWith(prefix)) return platform;
    }
  }
  return null;
}
