// The OS update layer's contract: the catalog model (what Apple says exists and for which hardware),
// a device's inventory as far as OS updates care, and its posture (how far behind, exposed to what).
// catalog/ fills CatalogView, inventory/ keeps DeviceInventory true, posture/ computes Posture from both;
// the campaign engine reads all three.
import type { Platform } from '../mdm/types.js';

/** The catalogs Updraft imports (the `kind` of `updraft catalog import` and `PUT /v1/catalogs/{kind}`). */
export const CATALOG_KINDS = ['gdmf', 'sofa-macos', 'sofa-ios', 'sucatalog'] as const;
export type CatalogKind = (typeof CATALOG_KINDS)[number];

/**
 * The OS families catalogs speak of. Apple's Software Lookup Service lists iPhones, iPads, Apple TVs
 * and Watches under iOS; a device's family comes from its platform (iPadOS → iOS).
 */
export type OsFamily = 'macOS' | 'iOS' | 'visionOS';

/** One OS release as the catalogs describe it, merged across gdmf and SOFA. */
export interface Release {
  family: OsFamily;
  /** ProductVersion, e.g. "26.6.2". */
  version: string;
  /** Empty for a release only SOFA lists, without a build. */
  build: string;
  /** Background Security Improvement / Rapid Security Response: ProductVersionExtra such as "(a)"; null for a full release. */
  extra: string | null;
  /** For a BSI/RSR, the build it applies on top of (gdmf PrerequisiteBuild). */
  prerequisiteBuild: string | null;
  /** First posting (gdmf PostingDate, else SOFA ReleaseDate); null when no catalog dates it. */
  postedAt: Date | null;
  /** gdmf ExpirationDate: after it Apple no longer offers the release for MDM enforcement. */
  expiresAt: Date | null;
  /** Board IDs (Macs) and model identifiers (iPhone, iPad, …) that can install it. Empty when unknown. */
  supportedDevices: readonly string[];
  /** CVE ids the release fixes (SOFA); empty when unknown or none. */
  cves: readonly string[];
  /** Of those, the ones Apple says were actively exploited. */
  activelyExploited: readonly string[];
  /** SOFA lists it as a security release. */
  security: boolean;
  /** Where Apple's security notes for it are, when known. */
  securityInfoUrl: string | null;
  /** Which imported catalogs mention it (gdmf: Apple still signs and offers it). */
  sources: readonly CatalogKind[];
}

/** A macOS full installer (InstallAssistant) or configuration-data product from a software update catalog. */
export interface SuProduct {
  productKey: string;
  title: string | null;
  version: string | null;
  build: string | null;
  postedAt: Date | null;
  kind: 'installer' | 'config-data' | 'other';
  serverMetadataUrl: string | null;
  packages: number;
}

/** What identifies a device to the catalogs: never the marketing name. */
export interface DeviceKeys {
  platform: Platform;
  /** Model identifier, e.g. Mac14,2 or iPhone15,2. */
  model: string | null;
  /** DeviceInformation SoftwareUpdateDeviceID (board ID on Macs, model identifier on iOS). */
  softwareUpdateDeviceId: string | null;
  /** Board ID where known (e.g. J413AP, Mac-937A206F2EE63C01). */
  boardId: string | null;
}

/** An imported catalog as the API lists it. */
export interface CatalogInfo {
  kind: CatalogKind;
  /** "file:NAME", "api" or the refresh URL it came from. */
  source: string;
  fetchedAt: Date;
  /** Newest release date inside the catalog (its own notion of age); null when it carries none. */
  contentDate: Date | null;
  entries: number;
  /** Whether the copy in use is older than the staleness limit. */
  stale: boolean;
  /** The last refresh or import that failed (the previous good copy stays in use), if any since. */
  lastError: { at: Date; message: string } | null;
}

/** Every imported catalog merged into one read-only view (rebuilt when a catalog changes). */
export interface CatalogView {
  info: readonly CatalogInfo[];
  /** Every release of a family, newest version first (BSI/RSR entries after their base release). */
  releases(family: OsFamily): readonly Release[];
  /** The releases this hardware can install, newest first; null when no catalog knows the hardware. */
  releasesFor(device: DeviceKeys): readonly Release[] | null;
  /** A release of the family by version or build. */
  findRelease(family: OsFamily, versionOrBuild: string): Release | null;
  /** Board ID(s) of a Mac model identifier and the reverse, from SOFA's mapping. */
  boardIdsOf(model: string): readonly string[];
  /**
   * The newest major a model (or board ID) supports per SOFA's model list (Macs); for hardware SOFA does
   * not list (iPhones, iPads, …), the newest major among the releases listing it; null when unknown.
   */
  newestMajorOf(model: string): number | null;
  /** sucatalog products (installers and config data). */
  suProducts(): readonly SuProduct[];
}

/** Apple's numbering: the major of "26.6.2" is 26 ("10.14.6" → 10.14 for macOS before 11). */
export type MajorVersion = string;

/** A device's inventory, as far as OS updates care (one row per device channel). */
export interface DeviceInventory {
  deviceId: string;
  platform: Platform | null;
  osVersion: string | null;
  buildVersion: string | null;
  supplementalBuildVersion: string | null;
  /** SupplementalOSVersionExtra, e.g. "(a)" on a BSI/RSR. */
  supplementalOsVersionExtra: string | null;
  productName: string | null;
  /** Model identifier (Mac14,2, iPhone15,2). */
  model: string | null;
  modelNumber: string | null;
  modelName: string | null;
  softwareUpdateDeviceId: string | null;
  boardId: string | null;
  isSupervised: boolean | null;
  isAppleSilicon: boolean | null;
  availableDeviceCapacity: number | null;
  batteryLevel: number | null;
  isUserEnrollment: boolean | null;
  enrolledViaDep: boolean | null;
  /** DeviceInformation OSUpdateSettings as reported (JSON-safe). */
  osUpdateSettings: Record<string, unknown> | null;
  bootstrapTokenRequiredForSoftwareUpdate: boolean | null;
  /** Whether Updraft holds an escrowed bootstrap token for the device. */
  bootstrapTokenEscrowed: boolean;
  /** The last OS update attempt the device told us about (ScheduleOSUpdate/OSUpdateStatus results or DDM softwareupdate.* status). */
  lastUpdateAttempt: UpdateAttempt | null;
  updatedAt: Date;
  // Added by inventory/ beyond the contract above; optional so that code building an inventory by hand
  // (tests, fixtures) need not name them. The store always fills them.
  serialNumber?: string | null;
  deviceName?: string | null;
  /** DDM device.model.marketing-name, e.g. "MacBook Pro (14-inch, 2023)". */
  modelMarketingName?: string | null;
  /** DDM device.operating-system.marketing-name, e.g. "macOS Sequoia". */
  osMarketingName?: string | null;
  /** DeviceCapacity in GB (AvailableDeviceCapacity is also GB). */
  deviceCapacity?: number | null;
  /** DDM softwareupdate.pending-version: the update the device has staged or is enforcing, if any. */
  pendingUpdate?: { version: string | null; build: string | null; targetLocalDateTime: string | null } | null;
  /** DeviceInformation TimeZone: the device's IANA zone (iOS/iPadOS 14+; macOS does not report one). */
  timeZone?: string | null;
  /** When the device last answered DeviceInformation (the scheduled inventory keeps this within --inventory-interval). */
  informationAt?: Date | null;
  /** When Updraft last queued a DeviceInformation for the device by itself. */
  queriedAt?: Date | null;
}

/** The part of an inventory a report can set (parsers produce it, the store diffs it against the row). */
export type InventoryPatch = Partial<Omit<DeviceInventory, 'deviceId' | 'updatedAt' | 'informationAt' | 'queriedAt'>>;

export interface UpdateAttempt {
  at: Date;
  source: 'ScheduleOSUpdate' | 'OSUpdateStatus' | 'ddm';
  /** e.g. "Installing", "Downloading", "Idle", "failed", "installed". */
  status: string;
  productKey: string | null;
  version: string | null;
  /** The error, explained in plain language, when the attempt failed. */
  error: { code: number | null; domain: string | null; message: string } | null;
  /** DDM softwareupdate.install-reason: why the pending update is installing (mdm, declaration, auto-update, …). */
  installReasons?: readonly string[];
}

/** One change of an inventory field: admins ask for a device's OS history. */
export interface InventoryChange {
  deviceId: string;
  field: string;
  oldValue: unknown;
  newValue: unknown;
  at: Date;
}

/** A device's update posture (the fixed JSON of GET /v1/devices/{id}/os is built from it). */
export interface Posture {
  deviceId: string;
  platform: Platform | null;
  model: string | null;
  osVersion: string | null;
  buildVersion: string | null;
  latest: { version: string; build: string } | null;
  latestInMajor: { version: string; build: string } | null;
  /** Newest major the hardware supports (e.g. "26"). */
  newestMajor: string | null;
  onLatest: boolean;
  releasesBehind: number;
  /** Days since the first release the device missed was posted; 0 when current. */
  daysBehind: number;
  missingSecurityReleases: readonly string[];
  cves: readonly string[];
  activelyExploited: readonly string[];
  majorUpgradeAllowed: boolean;
  /** Why the posture is incomplete or an upgrade is not possible (no catalog knows the model, stale catalog, …). */
  reason: string | null;
  computedAt: Date;
}
