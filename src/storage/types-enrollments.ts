// Enrollments as the store keeps them: the record, what Authenticate and TokenUpdate carry and leave,
// the list filter, and the store's enrollment lifecycle (storage/enrollments.ts, and each backend's
// checkin.ts for Authenticate and TokenUpdate).
import type { EnrollmentType, Inventory, Platform } from '../mdm/types.js';
import type { AdeEnrollmentRecord } from './types-ade.js';
import type { EventInput } from './types.js';

export interface EnrollmentRecord extends Required<Inventory> {
  id: string;
  type: EnrollmentType;
  /** Device-channel enrollment this channel belongs to (itself for a device channel). */
  deviceId: string;
  udid: string | null;
  userId: string | null;
  userShortName: string | null;
  userLongName: string | null;
  topic: string | null;
  /** APNs token as lowercase hex. */
  pushToken: string | null;
  pushMagic: string | null;
  unlockToken: Buffer | null;
  /** Set when APNs said 410 Unregistered; cleared by the next TokenUpdate. */
  pushInvalidAt: Date | null;
  enabled: boolean;
  tokenUpdateTally: number;
  awaitingConfiguration: boolean;
  /** SHA-256 (hex) of the identity certificate bound to this enrollment. */
  certHash: string | null;
  lastSeenAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The channel an Authenticate or a TokenUpdate names, and its push topic. */
export interface ChannelInput {
  id: string;
  type: EnrollmentType;
  deviceId: string;
  udid: string | null;
  userId?: string | null;
  userShortName?: string | null;
  userLongName?: string | null;
  topic: string;
}

/** What Authenticate carries: creates or resets the enrollment. */
export interface AuthenticateInput extends ChannelInput {
  inventory: Inventory;
  /** Stored as the binding (a pending binding cleared, as setCertHash does). */
  certHash?: string | null;
  at: Date;
  /** The check-in's event, written with the enrollment (one statement on PostgreSQL, one transaction on SQLite). */
  event?: EventInput;
  /**
   * Set (at a device channel's Authenticate, by the ADE step): the device's ADE record is bound with
   * the enrollment (in its transaction on SQLite, the statement after it on PostgreSQL). When the
   * device fetched its profile through ADE within this many ms and has not authenticated since, the
   * enrollment is ADE (active, enrolledAt = at, Await Configuration not sent yet) and the outcome
   * carries the record; otherwise a record of this device is marked inactive (it enrolled another way).
   */
  adeBindWindowMs?: number;
}

/** What an Authenticate left: `ade` the ADE record it bound (null: none); `adeError` why the bind failed (the rest stands). */
export interface AuthenticateOutcome {
  ade: AdeEnrollmentRecord | null;
  adeError?: unknown;
}

export interface TokenUpdateInput extends ChannelInput {
  pushToken: string; // hex
  pushMagic: string;
  unlockToken?: Buffer | null;
  awaitingConfiguration?: boolean;
  certHash?: string | null;
  at: Date;
  /**
   * The check-in's event, written after the upsert (in its statement on PostgreSQL) for this
   * enrollment at `at`, its detail `{ tokenUpdateTally, ...detail }` with the tally the upsert left.
   */
  event?: { kind: string; detail: Record<string, unknown> };
}

export interface EnrollmentFilter {
  platform?: Platform;
  /** Exact OS version, or a prefix ending in '.' ("14." matches 14.x). */
  osVersion?: string;
  seenSince?: Date;
  seenBefore?: Date;
  enabled?: boolean;
  type?: EnrollmentType;
  ids?: string[];
  /** Match any of these serial numbers (MicroMDM's filter_serial). */
  serialNumbers?: string[];
  limit?: number; // default 100, max 1000
  offset?: number;
  /** Keyset paging: only enrollments whose id sorts after this one (results are ordered by id). */
  after?: string;
}

export interface EnrollmentStore {
  /** Create or reset an enrollment: stores inventory, disables it until TokenUpdate and clears its queue. */
  authenticate(input: AuthenticateInput): Promise<AuthenticateOutcome>;
  /**
   * Store push info, enable the enrollment, bump and return the tally; clears pushInvalidAt. adeActive:
   * whether the device's ADE enrollment record is active (read in the same statement, for the ADE step).
   */
  tokenUpdate(input: TokenUpdateInput): Promise<EnrollmentRecord & { adeActive: boolean }>;
  /** Disable the enrollment (and, for a device channel, its user channels). */
  checkOut(id: string, at: Date): Promise<void>;
  getEnrollment(id: string): Promise<EnrollmentRecord | null>;
  listEnrollments(filter: EnrollmentFilter): Promise<EnrollmentRecord[]>;
  updateInventory(id: string, inventory: Inventory, at: Date): Promise<void>;
  touch(id: string, at: Date): Promise<void>;
  /** Bind an identity certificate (clears a pending binding); one already bound is left as it is. */
  setCertHash(id: string, certHash: string, at: Date): Promise<void>;
  /**
   * Mark a device channel moved in from another server (NanoMDM's /migration) whose identity is not
   * bound yet: the first verified identity it presents, on any message, gets bound. No-op when one is bound.
   */
  markBindPending(deviceId: string, at: Date): Promise<void>;
  /** Whether the device channel waits for its first identity (see markBindPending). */
  bindPending(deviceId: string): Promise<boolean>;
  /** Ids of the enrollments bound to this certificate hash (refuses one identity reused across devices). */
  enrollmentIdsByCertHash(certHash: string): Promise<string[]>;
  /** The hash bound to a device channel (null: none, or no such enrollment) and enrollmentIdsByCertHash(certHash), read together. */
  certBinding(deviceId: string, certHash: string): Promise<{ bound: string | null; owners: string[] }>;
  setBootstrapToken(deviceId: string, token: Buffer | null, at: Date): Promise<void>;
  getBootstrapToken(deviceId: string): Promise<Buffer | null>;
}
