// What a .mobileconfig file given to `updraft cmd InstallProfile` is: signed (CMS SignedData around the
// plist) or not, and the profile's identifier. The bytes are sent as they are either way.
import { parseAnyPlist, type PlistDict } from '../plist/index.js';
import { parseSignedData } from '../pki/cms/index.js';

export interface ProfileInfo {
  signed: boolean;
  identifier: string | null;
  /** Why the file does not look like a configuration profile; null when it does. */
  problem: string | null;
}

export function describeProfile(bytes: Buffer): ProfileInfo {
  const signed = bytes[0] === 0x30;
  let plist: Buffer = bytes;
  if (signed) {
    try {
      const content = parseSignedData(bytes, true).content;
      if (!content) return { signed, identifier: null, problem: 'the signed file carries no profile (detached signature)' };
      plist = content;
    } catch (err) {
      return { signed, identifier: null, problem: `not a signed profile: ${(err as Error).message}` };
    }
  }
  let d: PlistDict;
  try {
    d = parseAnyPlist(plist) as PlistDict;
  } catch (err) {
    return { signed, identifier: null, problem: `not a plist: ${(err as Error).message}` };
  }
  const identifier = typeof d?.PayloadIdentifier === 'string' ? d.PayloadIdentifier : null;
  const problem = d?.PayloadType !== 'Configuration' ? 'its PayloadType is not Configuration' : identifier ? null : 'it has no PayloadIdentifier';
  return { signed, identifier, problem };
}
