// The ADE (DEP) layer's contract: server tokens, a DEP name's configuration, Apple's Device
// Assignment Services request and answer shapes (field names as Apple documents them), the DEP
// client's methods and its errors. Storage keeps these through src/storage/types-dep.ts; the
// syncer, the assigner, the ADE enrollment and the NanoDEP-compatible API build on them.

/** Apple's Device Assignment Services. */
export const DEFAULT_DEP_BASE_URL = 'https://mdmenrollment.apple.com';
/** X-Server-Protocol-Version sent with every request (the version the documented shapes are from). */
export const DEP_PROTOCOL_VERSION = '7';
export const DEP_SESSION_HEADER = 'X-ADM-Auth-Session';
export const DEP_PROTOCOL_HEADER = 'X-Server-Protocol-Version';
/** Days before a server token's expiry from which Updraft warns (as for the push certificate). */
export const DEP_TOKEN_WARN_DAYS = 30;

/**
 * The OAuth 1.0a credentials inside a server token (the .p7m from Apple Business/School Manager),
 * exactly as its inner JSON names them and as NanoDEP's /v1/tokens answers them.
 */
export interface OAuth1Tokens {
  consumer_key: string;
  consumer_secret: string;
  access_token: string;
  access_secret: string;
  /** RFC 3339 time. */
  access_token_expiry: string;
}

/** NanoDEP's config of a DEP name: where its DEP API is (tests point it at the fake). */
export interface DepConfig {
  base_url: string;
}

/** A PEM certificate and its PKCS#8 PEM private key (the token PKI the server token is encrypted to). */
export interface TokenPki {
  certPem: string;
  keyPem: string;
}

/** A DEP name (one ABM/ASM MDM server) as Updraft keeps it. */
export interface DepName {
  name: string;
  tokens: OAuth1Tokens | null;
  /** access_token_expiry as a Date (null without tokens or when it does not parse). */
  tokensExpireAt: Date | null;
  tokensUpdatedAt: Date | null;
  /** The key pair made by `tokenpki` and not yet used to decrypt a token. */
  stagingPki: TokenPki | null;
  /** The key pair the current token was decrypted with. */
  currentPki: TokenPki | null;
  /** Null: Apple's DEFAULT_DEP_BASE_URL. */
  baseUrl: string | null;
  /** The assigner's default profile UUID (NanoDEP's /v1/assigner). */
  assignerProfileUuid: string | null;
  /** The last X-ADM-Auth-Session token (shared by every process). */
  sessionToken: string | null;
  /** The devices/sync cursor (persisted so a restart continues). */
  cursor: string | null;
  cursorAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

// ---- Apple's shapes ------------------------------------------------------------------------

export type OpType = 'added' | 'modified' | 'deleted';
export type ProfileStatus = 'empty' | 'assigned' | 'pushed' | 'removed';

/** A device as fetch, sync and details answer it (every field but serial_number may be absent). */
export interface DepDevice {
  serial_number: string;
  model?: string;
  description?: string;
  color?: string;
  asset_tag?: string;
  /** "iOS", "OSX", "tvOS", "visionOS", "watchOS". */
  os?: string;
  /** "iPad", "iPhone", "iPod", "Mac", "AppleTV", "Vision", "Watch". */
  device_family?: string;
  profile_status?: ProfileStatus;
  profile_uuid?: string;
  /** RFC 3339 times. */
  profile_assign_time?: string;
  profile_push_time?: string;
  device_assigned_date?: string;
  device_assigned_by?: string;
  /** Sync only. */
  op_type?: OpType;
  op_date?: string;
}

/** POST /server/devices (cursor optional) and POST /devices/sync (cursor required). */
export interface DeviceListRequest {
  cursor?: string;
  /** Apple's default 100, maximum 1000. */
  limit?: number;
}

export interface DeviceListResponse {
  devices: DepDevice[];
  cursor: string;
  more_to_follow: boolean;
  /** RFC 3339. */
  fetched_until: string;
}

/** Per-serial outcome of details, define (with devices), assign and remove. */
export type DeviceStatus = 'SUCCESS' | 'NOT_ACCESSIBLE' | 'FAILED';

/** POST /devices: { devices: [serials] } → details per serial. */
export interface DeviceDetailsResponse {
  devices: Record<string, DepDevice & { response_status: DeviceStatus }>;
}

export interface AccountDetail {
  server_name: string;
  server_uuid: string;
  admin_id: string;
  facilitator_id?: string;
  org_name: string;
  org_email: string;
  org_phone: string;
  org_address: string;
  org_id?: string;
  org_id_hash?: string;
  /** "edu" or "org". */
  org_type?: string;
  /** "v1" (ADP) or "v2" (ABM/ASM). */
  org_version?: string;
  urls?: Array<{ uri: string; http_method: string[]; limit?: { default: number; maximum: number } }>;
}

/** An ADE profile as POST /profile takes it and GET /profile answers it. */
export interface DepProfile {
  profile_name: string;
  /** The MDM server's enrollment URL (where the device posts its MachineInfo). */
  url: string;
  allow_pairing?: boolean;
  is_supervised?: boolean;
  is_multi_user?: boolean;
  is_mandatory?: boolean;
  await_device_configured?: boolean;
  is_mdm_removable?: boolean;
  support_phone_number?: string;
  support_email_address?: string;
  auto_advance_setup?: boolean;
  org_magic?: string;
  /** Base64 DER certificates. */
  anchor_certs?: string[];
  supervising_host_certs?: string[];
  skip_setup_items?: string[];
  department?: string;
  language?: string;
  region?: string;
  configuration_web_url?: string;
  /** Serials to assign at definition. */
  devices?: string[];
}

export interface DefineProfileResponse {
  profile_uuid: string;
  devices: Record<string, DeviceStatus>;
}

/** GET /profile?profile_uuid=… */
export type GetProfileResponse = DepProfile & { profile_uuid: string };

/** PUT /profile/devices { profile_uuid, devices } (NanoDEP's tools POST it; both are accepted by Apple). */
export interface AssignProfileResponse {
  profile_uuid: string;
  devices: Record<string, DeviceStatus>;
}

/** DELETE /profile/devices { devices, profile_uuid? } */
export interface RemoveProfileResponse {
  devices: Record<string, DeviceStatus>;
}

/** POST /device/activationlock */
export interface ActivationLockRequest {
  device: string;
  /** Hex of the bypass code's hash, as the device escrowed it. */
  escrow_key?: string;
  lost_message?: string;
}

export interface ActivationLockResponse {
  serial_number: string;
  /** "SUCCESS", "NOT_ACCESSIBLE", "ORG_NOT_SUPPORTED", "DEVICE_NOT_SUPPORTED", "DEVICE_ALREADY_LOCKED", "FAILED". */
  response_status: string;
}

// ---- the client ----------------------------------------------------------------------------

/** What an Updraft caller does about a DEP error. */
export type DepErrorAction =
  /** Get a new session and try again (the client does it once by itself). */
  | 'reauthenticate'
  /** Wait (retryAfterMs when Apple said) and try again. */
  | 'retry'
  /** The sync cursor is no longer usable: drop it and fetch from the start. */
  | 'refetch'
  /** Nothing Updraft can do: an admin must act (terms, expired or revoked token, access). */
  | 'admin'
  /** The request itself is wrong (bad serial, bad profile, unknown profile): fix the input. */
  | 'input';

export interface DepErrorInfo {
  /** HTTP status from Apple, or 0 when it could not be reached or answered garbage. */
  status: number;
  /** Apple's error code from the body (T_C_NOT_SIGNED, EXPIRED_CURSOR, …), or a name Updraft gives. */
  code: string;
  action: DepErrorAction;
  /** For admins: what happened and what to do. */
  message: string;
  retryAfterMs?: number;
}

/** The DEP API of one DEP name; every method throws DepApiError (src/dep/errors.ts) on failure. */
export interface DepClient {
  readonly name: string;
  account(): Promise<AccountDetail>;
  /** POST /server/devices: every device, paged by cursor. */
  fetchDevices(req?: DeviceListRequest): Promise<DeviceListResponse>;
  /** POST /devices/sync: changes since the cursor (at most 7 days old). */
  syncDevices(req: DeviceListRequest & { cursor: string }): Promise<DeviceListResponse>;
  deviceDetails(serials: string[]): Promise<DeviceDetailsResponse>;
  defineProfile(profile: DepProfile): Promise<DefineProfileResponse>;
  getProfile(profileUuid: string): Promise<GetProfileResponse>;
  assignProfile(profileUuid: string, serials: string[]): Promise<AssignProfileResponse>;
  removeProfile(serials: string[], profileUuid?: string): Promise<RemoveProfileResponse>;
  activationLock(req: ActivationLockRequest): Promise<ActivationLockResponse>;
  /** A raw request through the session handling (the /proxy route): body replayed on re-authentication. */
  raw(req: RawDepRequest): Promise<RawDepResponse>;
}

export interface RawDepRequest {
  method: string;
  /** Apple path with query, e.g. "/profile?profile_uuid=…". */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

export interface RawDepResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}
