// What Apple's Push Certificates Portal and the mdmcert.download service expect, kept as data.
// Sources: Apple's "Setting up push notifications for your MDM customers" (the request plist, the
// chain, SHA-256; SHA-1 in its earlier "MDM Vendor CSR Signing Overview"), and MicroMDM's
// `mdmctl mdmcert.download` (the service's URL, API key, request fields and reply format).

export const PORTAL = {
  url: 'https://identity.apple.com',
  /** The push certificate request is an XML plist with exactly these string keys, then base64 of the whole. */
  requestKeys: ['PushCertRequestCSR', 'PushCertCertificateChain', 'PushCertSignature'] as const,
  /** Digest of the vendor's RSA signature over the CSR's DER: SHA-256 now, SHA-1 for older vendor certificates. */
  digests: ['sha256', 'sha1'] as const,
  /** Apple names an MDM vendor ("MDM CSR") certificate "MDM Vendor: <organization>" and issues it under WWDR. */
  vendorCommonName: /^MDM Vendor: /,
  vendorIssuerCommonName: /^Apple Worldwide Developer Relations/,
  /** Where Apple publishes the WWDR intermediates and the Apple Root CA the chain must end with. */
  certificateAuthorityUrl: 'https://www.apple.com/certificateauthority/',
} as const;

export type RequestDigest = (typeof PORTAL.digests)[number];

/** Why a renewal must keep its topic: the rule the portal applies. */
export const APPLE_ID_RULE =
  'a push certificate keeps its topic only when it is renewed (Renew, not Create a Certificate) at identity.apple.com ' +
  'by the same Apple ID that created it; devices enrolled under the old topic cannot be woken by a certificate with another one';

export const MDMCERT_DOWNLOAD = {
  url: 'https://mdmcert.download/api/v1/signrequest',
  /** Where an admin registers the email address first. */
  site: 'https://mdmcert.download/',
  /** The API key published in MicroMDM's source (mdmcert.download asks each product for its own; --service-key replaces it). */
  apiKey: 'f847aea2ba06b41264d587b229e2712c89b1490a1208b7ff1aafab5bb40d47bc',
  /** JSON body: csr = base64 of the PEM CSR, email, key = API key, encrypt = base64 of the PEM certificate to encrypt the reply to. */
  requestFields: ['csr', 'email', 'key', 'encrypt'] as const,
  /** The answer: {"result": "success"} or {"result": "failure", "reason": "..."}. */
  success: 'success',
  /** The emailed reply (…plist.b64.p7): hex text of a CMS EnvelopedData whose content is the base64 request plist. */
  replyEncoding: 'hex',
} as const;
