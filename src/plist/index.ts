// The plist codec: XML with type fidelity, binary through bplist00, lenient readers.
import { isBinaryPlist, parseBinaryPlist } from './binary-read.js';
import { parsePlist } from './xml-parse.js';
import type { PlistValue } from './types.js';

export { Real, PlistError, type PlistValue, type PlistDict, type BuildInput } from './types.js';
export { parsePlist } from './xml-parse.js';
export { buildPlist, PlistBuildError } from './xml-build.js';
export { parseBinaryPlist } from './binary-read.js';
export { buildBinaryPlist } from './binary-write.js';
export { toJSONSafe, asNumber, asString, asBool } from './coerce.js';

/** Parses a binary plist (`bplist00` magic) or else an XML one. */
export function parseAnyPlist(buf: Buffer): PlistValue {
  return isBinaryPlist(buf) ? parseBinaryPlist(buf) : parsePlist(buf);
}
