// The enrollment profile as a device reads it: the SCEP payload (URL, challenge, subject) and the
// com.apple.mdm payload (ServerURL, CheckInURL, Topic, SignMessage, capabilities).
import { parseAnyPlist, type PlistDict, type PlistValue } from '../plist/index.js';
import type { Http } from './http.js';
import { OID, parseSignedData } from './pki.js';

export interface Enrollment {
  scepUrl: string;
  challenge: string | null;
  subject: Array<[string, string]>;
  serverUrl: string;
  checkinUrl: string;
  topic: string;
  signMessage: boolean;
  capabilities: string[];
}

export class ProfileError extends Error {
  override name = 'ProfileError';
}

const ATTR: Record<string, string> = { CN: OID.commonName, O: OID.organization };
const isDict = (v: PlistValue | undefined): v is PlistDict =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Date) && !('value' in v && Object.keys(v).length === 1);

/** Points a URL from the profile at the server the simulator was told to use (same path and query). */
export function rebaseUrl(url: string, server: string | null): string {
  if (!server) return url;
  const u = new URL(url);
  const s = new URL(server);
  return `${s.origin}${s.pathname.replace(/\/$/, '')}${u.pathname}${u.search}`;
}

export function readProfile(body: Buffer, server: string | null): Enrollment {
  const raw = body[0] === 0x30 ? parseSignedData(body).content : body;
  if (!raw) throw new ProfileError('the signed profile carries no content');
  const profile = parseAnyPlist(raw);
  if (!isDict(profile) || !Array.isArray(profile.PayloadContent)) throw new ProfileError('not a configuration profile');
  const payloads = profile.PayloadContent.filter(isDict);
  const scep = payloads.find((p) => p.PayloadType === 'com.apple.security.scep');
  const mdm = payloads.find((p) => p.PayloadType === 'com.apple.mdm');
  if (!scep || !isDict(scep.PayloadContent) || !mdm) throw new ProfileError('the profile needs one SCEP and one com.apple.mdm payload');
  const sc = scep.PayloadContent;
  const subject: Array<[string, string]> = [];
  for (const rdn of Array.isArray(sc.Subject) ? sc.Subject : []) {
    for (const pair of Array.isArray(rdn) ? rdn : []) {
      if (Array.isArray(pair) && ATTR[String(pair[0])]) subject.push([ATTR[String(pair[0])], String(pair[1])]);
    }
  }
  const serverUrl = String(mdm.ServerURL ?? '');
  if (!serverUrl || typeof mdm.Topic !== 'string') throw new ProfileError('the com.apple.mdm payload lacks ServerURL or Topic');
  return {
    scepUrl: rebaseUrl(String(sc.URL), server),
    challenge: typeof sc.Challenge === 'string' ? sc.Challenge : null,
    subject: subject.length ? subject : [[OID.commonName, 'Updraft Device Identity']],
    serverUrl: rebaseUrl(serverUrl, server),
    checkinUrl: rebaseUrl(String(mdm.CheckInURL ?? serverUrl), server),
    topic: mdm.Topic,
    signMessage: mdm.SignMessage === true,
    capabilities: Array.isArray(mdm.ServerCapabilities) ? mdm.ServerCapabilities.map(String) : [],
  };
}

/** Downloads the enrollment profile from the server, as a user opening its enrollment URL would. */
export async function fetchProfile(http: Http, server: string, path = '/mdm/enroll'): Promise<Enrollment> {
  const res = await http.request('GET', server.replace(/\/$/, '') + path);
  if (res.status !== 200) throw new ProfileError(`GET ${path} answered ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`);
  return readProfile(res.body, server);
}
