// Server configuration: one object, filled from flags and UPDRAFT_* environment variables (flag wins).
import type { CatalogKind } from './osupdate/types.js';

export interface Config {
  /** host:port to listen on. */
  listen: string;
  /** Where the SQLite file, CA, keys and API key live. */
  dataDir: string;
  /** "sqlite" (file in dataDir), a SQLite file path, or a postgres:// URL. */
  db: string;
  apiKey: string;
  webhookUrl: string | null;
  /** Optional HMAC-SHA256 secret: adds X-Hmac-Signature to webhook deliveries. */
  webhookSecret: string | null;
  /** Base URL devices reach, e.g. https://mdm.example.com (used in the enrollment profile). */
  publicUrl: string;
  tlsCert: string | null;
  tlsKey: string | null;
  /** Push topic to enforce on check-in (from the push certificate); null = not checked. */
  pushTopic: string | null;
  /** Largest request body accepted, bytes. */
  bodyLimit: number;
  /** Days to keep finished commands and events; 0 keeps forever. */
  retentionDays: number;
  logLevel: string;
  /** Header a TLS-terminating proxy puts the client certificate in (RFC 9440 or URL-escaped PEM); null = not trusted. */
  certHeader: string | null;
  /** --insecure-skip-identity: accept MDM requests without a verified device identity (migrations only). */
  identityOptional: boolean;
  /** APNs base URL (default DEFAULT_APNS_URL; port 2197 also works). */
  apnsUrl?: string;
  /** PEM file of an extra CA to trust for APNs (the fake APNs server's certificate); null = system CAs only. */
  apnsCa?: string | null;
  /** --ddm-auto: turn DDM on for each capable device at its first TokenUpdate (default true). */
  ddmAuto?: boolean;
  /** Re-push enrollments whose commands are still pending after this many seconds (default 3600). */
  repushIntervalSeconds?: number;
  /** Query each device's DeviceInformation when its inventory is older than this many seconds (default 86400); 0: Updraft never asks by itself. */
  inventoryIntervalSeconds?: number;
  /** Seconds between re-reads of the revoked certificates by this process (--revocation-refresh; default 5, 0 = every request). */
  revocationRefreshSeconds?: number;
  /** Static SCEP challenge (--scep-challenge, UPDRAFT_SCEP_CHALLENGE); null = the one generated once in dataDir. */
  scepChallenge?: string | null;
  /** --ca / UPDRAFT_CA: PEM files (each may hold several certificates) of extra CAs whose device identities are trusted. */
  caFiles?: string[];
  /** Lifetime of certificates issued over SCEP, days (default 365). */
  certValidityDays?: number;
  /** PEM certificate and key of an existing CA to issue with instead of the data dir's (import). */
  caCertFile?: string | null;
  caKeyFile?: string | null;
  /** PEM certificate (plus chain) and key that sign enrollment profiles; null = one made by our CA in dataDir. */
  profileSignCertFile?: string | null;
  profileSignKeyFile?: string | null;
  /** --catalog-url kind=URL,…: catalogs refreshed from these URLs on a schedule. */
  catalogUrls?: Partial<Record<CatalogKind, string>>;
  /** Seconds between catalog refreshes (--catalog-refresh; default 21600, 6 hours). */
  catalogRefreshSeconds?: number;
  /** Days after which a catalog not confirmed current is stale (--catalog-max-age; default 7). */
  catalogMaxAgeDays?: number;
  /** Seconds between a campaign's status polls and stall checks (--campaign-poll-seconds; default 300). */
  campaignPollSeconds?: number;
  /** --metrics-public: serve /metrics without an API key (default: any API key). */
  metricsPublic?: boolean;
  /** --ade-device-ca: PEM files of Apple's device CA (or a test CA) that ADE MachineInfo signers chain to. */
  adeDeviceCaFiles?: string[];
  /** Seconds between DEP device syncs of every DEP name (--dep-sync-interval; default 1800; 0: only when asked). */
  depSyncSeconds?: number;
}

export const DEFAULT_APNS_URL = 'https://api.push.apple.com';
export const DEFAULT_REPUSH_INTERVAL_SECONDS = 3600;

export const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;

/**
 * Largest request head (request line + headers), bytes: 1 MiB, as Go's net/http (NanoMDM) allows, so
 * `PUT /v1/enqueue/{ids}` takes NanoMDM's 10,000 ids in the path (10,000 UUIDs are 370 KB; 10,000
 * "UDID:UserGUID" user-channel ids about 740 KB). Node's own default is 16 KB.
 */
export const MAX_HEADER_BYTES = 1024 * 1024;
