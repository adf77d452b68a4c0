// The enrollment profile: a SCEP identity payload plus the com.apple.mdm payload (PROTOCOL.md §1.5),
// optionally CMS-signed so devices show who it comes from.
import { createHash } from 'node:crypto';
import { buildPlist } from '../plist/index.js';
import { signData } from '../pki/cms/index.js';
import type { SigningIdentity } from '../pki/signer.js';

/** Every MDM access right (PROTOCOL.md §1.5): 1 | 2 | 4 | … | 4096. */
export const ALL_ACCESS_RIGHTS = 8191;
export const SERVER_CAPABILITIES = ['com.apple.mdm.per-user-connections', 'com.apple.mdm.bootstraptoken'];
/** Used until a push certificate is imported; devices cannot enroll with it. */
export const PLACEHOLDER_TOPIC = 'com.apple.mgmt.External.PUSH-CERTIFICATE-NOT-IMPORTED';
export const PROFILE_CONTENT_TYPE = 'application/x-apple-aspen-config';

export interface ProfileOptions {
  /** Base URL devices reach, e.g. https://mdm.example.com (no trailing slash needed). */
  publicUrl: string;
  /** Push topic from the push certificate; null gives the placeholder. */
  topic: string | null;
  /** SCEP challenge to embed. */
  challenge: string;
  /** Seeds the payload UUIDs so every download of one server's profile carries the same ones (e.g. the CA certificate). */
  uuidSeed: Buffer;
  /** Name shown on the device. */
  organization?: string;
  /** SHA-1 of the CA certificate DER: the device checks the CA that GetCACert returns against it (CAFingerprint). */
  caFingerprint?: Buffer;
  /** ADE with is_mdm_removable false: the user cannot remove the profile (PayloadRemovalDisallowed). */
  removalDisallowed?: boolean;
}

/** A stable UUID (version 4 layout) derived from the seed and a label. */
function stableUuid(seed: Buffer, label: string): string {
  const h = createHash('sha256').update(seed).update(label).digest();
  h[6] = (h[6] & 0x0f) | 0x40;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex').toUpperCase();
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The profile's reverse-DNS identifier base, from the server's host name. */
function identifierBase(publicUrl: string): string {
  const host = new URL(publicUrl).hostname.split('.').filter(Boolean).reverse().join('.');
  return `${host || 'localhost'}.updraft.enroll`;
}

/** The enrollment profile as an XML plist. */
export function buildEnrollmentProfile(opts: ProfileOptions): Buffer {
  const base = opts.publicUrl.replace(/\/+$/, '');
  const id = identifierBase(base);
  const org = opts.organization ?? 'Updraft';
  const scepUuid = stableUuid(opts.uuidSeed, 'scep');
  const profile = {
    PayloadContent: [
      {
        PayloadContent: {
          URL: `${base}/scep`,
          Name: 'Updraft',
          Subject: [[['O', org]], [['CN', 'Updraft Device Identity']]],
          Challenge: opts.challenge,
          Keysize: 2048,
          'Key Type': 'RSA',
          'Key Usage': 5,
          ...(opts.caFingerprint ? { CAFingerprint: opts.caFingerprint } : {}),
        },
        PayloadDescription: 'Device identity for MDM, issued over SCEP',
        PayloadDisplayName: 'MDM identity',
        PayloadIdentifier: `${id}.scep`,
        PayloadType: 'com.apple.security.scep',
        PayloadUUID: scepUuid,
        PayloadVersion: 1,
      },
      {
        AccessRights: ALL_ACCESS_RIGHTS,
        CheckInURL: `${base}/mdm`,
        CheckOutWhenRemoved: true,
        IdentityCertificateUUID: scepUuid,
        PayloadDescription: 'Mobile device management',
        PayloadDisplayName: 'MDM',
        PayloadIdentifier: `${id}.mdm`,
        PayloadType: 'com.apple.mdm',
        PayloadUUID: stableUuid(opts.uuidSeed, 'mdm'),
        PayloadVersion: 1,
        ServerCapabilities: SERVER_CAPABILITIES,
        ServerURL: `${base}/mdm`,
        SignMessage: true,
        Topic: opts.topic ?? PLACEHOLDER_TOPIC,
      },
    ],
    PayloadDescription: `Enrolls this device in ${org} device management`,
    PayloadDisplayName: `${org} MDM enrollment`,
    PayloadIdentifier: id,
    PayloadOrganization: org,
    ...(opts.removalDisallowed ? { PayloadRemovalDisallowed: true } : {}),
    PayloadType: 'Configuration',
    PayloadUUID: stableUuid(opts.uuidSeed, 'profile'),
    PayloadVersion: 1,
  };
  return Buffer.from(buildPlist(profile), 'utf8');
}

/** The profile wrapped in an attached CMS SignedData (DER), as devices accept it. */
export function signProfile(profile: Buffer, signer: SigningIdentity, at = new Date()): Buffer {
  return signData({ content: profile, signerCert: signer.cert, signerKey: signer.key, digest: 'sha256', certs: signer.chain, at });
}
