// The storage interface: everything Updraft keeps, in one place.
// Backends (sqlite/, postgres/) implement Store through the same Kysely migrations.
// All times are JS Dates; binary values are Buffers; ids are the normalized enrollment IDs
// of PROTOCOL.md §1.2 (UDID, UDID:UserID, UDID:UserShortName, EnrollmentID, EnrollmentID:EnrollmentUserID).

import type { EnrollmentType, Inventory, Platform } from '../mdm/types.js';
import type { DdmStore } from './types-ddm.js';
import type { CertificateStore } from './types-certs.js';
import type { CampaignStore, TagStore } from './types-campaigns.js';
import type { CatalogStore } from './types-catalogs.js';
import type { InventoryStore } from './types-inventory.js';
import type { PostureStore } from './types-posture.js';
import type { AdeStore } from './types-ade.js';
import type { EnrollmentStore } from './types-enrollments.js';
import type { AccessStore } from './types-access.js';
import type { OpsStore } from './types-ops.js';
import type { FleetStore } from './types-fleet.js';
import type { DepStore } from './types-dep.js';

/** Protocol shapes the store keeps, defined with the protocol model. */
export type { EnrollmentType, Inventory, Platform };

export type QueueStatus =
  | 'queued' // waiting for the device (includes NotNow'd commands)
  | 'acknowledged'
  | 'error'
  | 'format_error'
  | 'cancelled'
  | 'expired';

export type ResultStatus = 'Acknowledged' | 'Error' | 'CommandFormatError' | 'NotNow';

export interface NewCommand {
  uuid: string;
  requestType: string;
  /** The full command plist (XML) as it will be sent to the device. */
  raw: Buffer;
  priority?: number; // higher first; default 0
  expiresAt?: Date | null;
  at: Date;
}

export interface EnqueueOutcome {
  id: string;
  ok: boolean;
  error?: string; // e.g. "unknown enrollment"
}

export interface NextCommand {
  uuid: string;
  requestType: string;
  raw: Buffer;
}

/** A device's answer to a command. */
export interface CommandResultInput {
  /** Matched case-insensitively against the enrollment's queued commands. */
  uuid: string;
  status: ResultStatus;
  /** The RequestType the device echoed, if any (kept in the event). */
  requestType?: string | null;
  /** The raw result plist body as the device sent it. */
  raw: Buffer;
  /** The parsed result as JSON-safe data. */
  json: unknown;
}

/** A webhook event to commit with the report that caused it. */
export interface OutboxEntry {
  topic: string;
  body: string; // JSON text, delivered verbatim
}

export interface ReportInput {
  enrollmentId: string;
  at: Date;
  /** The result the device reports; null for an Idle poll. */
  result: CommandResultInput | null;
  /** Pass over commands that got a NotNow (this session saw one); implied by a NotNow result. */
  skipNotNow: boolean;
  /** Refresh lastSeenAt too. */
  touch?: boolean;
  outbox?: OutboxEntry[];
}

export interface ReportOutcome {
  /** Whether the result matched a queued command (false: finished, unknown or another enrollment's); null for Idle. */
  matched: boolean | null;
  /** The RequestType of the queued command the result matched (devices do not echo it); null when unmatched or Idle. */
  requestType: string | null;
  next: NextCommand | null;
}

export interface QueueEntry {
  enrollmentId: string;
  uuid: string;
  requestType: string;
  priority: number;
  status: QueueStatus;
  notNowTally: number;
  notNowAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date | null;
  /** When the command was last handed to the device. */
  sentAt: Date | null;
  resultAt: Date | null;
}

export interface CommandDetail extends QueueEntry {
  raw: Buffer;
  resultRaw: Buffer | null;
  resultJson: unknown | null;
}

export interface EventInput {
  enrollmentId: string | null;
  kind: string; // e.g. "checkin.Authenticate", "command.Acknowledged", "push.sent"
  detail?: unknown;
  at: Date;
}

export interface EventRecord extends EventInput {
  id: number;
}

export interface OutboxItem {
  id: number;
  topic: string;
  body: string; // JSON text, delivered verbatim
  attempts: number;
  nextAttemptAt: Date;
  createdAt: Date;
  lastError: string | null;
}

export interface PushCertRecord {
  topic: string;
  certPem: string;
  keyPem: string;
  notAfter: Date;
  updatedAt: Date;
}

export interface PushTarget {
  id: string;
  topic: string;
  pushToken: string;
  pushMagic: string;
}

export interface PushLogInput {
  enrollmentId: string;
  /** "sent" on 200; otherwise the APNs reason or a transport error name. */
  outcome: string;
  httpStatus: number | null;
  apnsId: string | null;
  at: Date;
}

export interface PushLogRecord extends PushLogInput {
  id: number;
}

export interface CommandStore {
  /** Queue one command for many enrollments; unknown enrollments fail per id, the rest succeed. */
  enqueue(command: NewCommand, enrollmentIds: string[]): Promise<EnqueueOutcome[]>;
  /**
   * One command-channel report (an Idle poll or a result), in one transaction: the result lands on
   * its queue row, its event (`command.<Status>`) and the webhook outbox rows are written, lastSeenAt
   * is refreshed when asked, and the next queued command is picked (by priority then FIFO, expired
   * ones marked 'expired', NotNow'd ones passed over with skipNotNow or after a NotNow) and gets
   * sentAt. Either all of it is committed or none of it.
   */
  reportAndNext(input: ReportInput): Promise<ReportOutcome>;
  /**
   * The next queued command handed out as a report's would be (expired ones marked, NotNow'd ones
   * passed over while the session's NotNow mark is set, sentAt set), without a report: the mark is
   * read, never changed. For a command queued while the device's own result was handled (service/wake.ts).
   */
  nextCommand(enrollmentId: string, at: Date): Promise<NextCommand | null>;
  getCommand(uuid: string, enrollmentId?: string): Promise<CommandDetail[]>;
  listQueue(enrollmentId: string, opts?: { includeDone?: boolean; limit?: number }): Promise<QueueEntry[]>;
  /** Cancel one still-queued command. Returns false if it was not queued. */
  cancelCommand(enrollmentId: string, uuid: string, at: Date): Promise<boolean>;
  /** Cancel every queued command of the enrollment; returns how many. */
  clearQueue(enrollmentId: string, at: Date): Promise<number>;
  /**
   * Enrollments with queued commands not handed out since `sentBefore` (never handed out: queued
   * before it) for re-push, by id, leaving
   * out those whose push token APNs declared dead (until their next TokenUpdate); with `after`, only
   * ids greater than it (to page through a large fleet).
   */
  pendingEnrollments(sentBefore: Date, limit: number, after?: string): Promise<string[]>;
  /** Delete finished commands, results, events and delivered outbox rows older than `before`. */
  pruneHistory(before: Date): Promise<{ commands: number; events: number }>;
}

export interface EventStore {
  addEvent(event: EventInput): Promise<void>;
  listEvents(opts: { enrollmentId?: string; kindPrefix?: string; limit?: number }): Promise<EventRecord[]>;
}

export interface OutboxStore {
  outboxAdd(topic: string, body: string, at: Date): Promise<void>;
  /** Claim up to `limit` items due at `at`, leasing them until `leaseUntil` (safe with several processes). */
  outboxClaim(at: Date, leaseUntil: Date, limit: number): Promise<OutboxItem[]>;
  outboxDone(id: number, at: Date): Promise<void>;
  outboxRetry(id: number, nextAttemptAt: Date, error: string): Promise<void>;
  outboxPending(): Promise<number>;
}

export interface PushStore {
  savePushCert(cert: Omit<PushCertRecord, 'updatedAt'>, at: Date): Promise<void>;
  getPushCert(): Promise<PushCertRecord | null>;
  /** Push info for enabled enrollments among `ids` that have a token and are not marked invalid. */
  pushTargets(ids: string[]): Promise<PushTarget[]>;
  recordPush(entry: PushLogInput): Promise<void>;
  /**
   * A push batch's record in one commit: its attempts' push-log rows and its push events (push/record.ts
   * decides what they are). One transaction on SQLite, one statement on PostgreSQL.
   */
  recordPushes(entries: PushLogInput[], events?: EventInput[]): Promise<void>;
  listPushes(enrollmentId: string, limit?: number): Promise<PushLogRecord[]>;
  markPushInvalid(id: string, at: Date): Promise<void>;
}

export interface ChallengeStore {
  /** Store a one-time SCEP challenge (by hash) valid until expiresAt. */
  addChallenge(hash: string, expiresAt: Date): Promise<void>;
  /** Consume a challenge: true once, if it exists and has not expired. */
  consumeChallenge(hash: string, at: Date): Promise<boolean>;
}

export interface SettingStore {
  getSetting(key: string): Promise<string | null>;
  setSetting(key: string, value: string): Promise<void>;
}

export * from './types-enrollments.js';
export * from './types-ddm.js';
export * from './types-campaigns.js';
export * from './types-catalogs.js';
export * from './types-inventory.js';
export * from './types-posture.js';
export * from './types-ade.js';
export * from './types-access.js';
export * from './types-ops.js';
export * from './types-fleet.js';

/** Named leases for background jobs shared by several processes (storage/leases.ts). */
export interface LeaseStore {
  /** Take or renew the lease until `until`: true when it is free, expired at `now`, or already `owner`'s. */
  takeLease(name: string, owner: string, now: Date, until: Date): Promise<boolean>;
  /** Give the lease up (at shutdown), so another process takes it at once. */
  dropLease(name: string, owner: string): Promise<void>;
}

export interface Store
  extends EnrollmentStore,
    LeaseStore,
    CommandStore,
    EventStore,
    OutboxStore,
    PushStore,
    ChallengeStore,
    SettingStore,
    DdmStore,
    CertificateStore,
    CampaignStore,
    TagStore,
    CatalogStore,
    InventoryStore,
    PostureStore,
    AdeStore,
    AccessStore,
    OpsStore,
    FleetStore,
    DepStore {
  readonly dialect: 'sqlite' | 'postgres';
  close(): Promise<void>;
}
