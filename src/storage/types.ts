// The storage interface: everything Updraft keeps, in one place.
// Backends (sqlite/, postgres/) implement Store through the same Kysely migrations.
// All times are JS Dates; binary values are Buffers; ids are the normalized enrollment IDs
// of PROTOCOL.md §1.2 (UDID, UDID:UserID, UDID:UserShortName, EnrollmentID, EnrollmentID:EnrollmentUserID).

export type EnrollmentType =
  | 'Device'
  | 'User'
  | 'SharediPad'
  | 'UserEnrollmentDevice'
  | 'UserEnrollment';

/** Inventory learned from Authenticate (and later DeviceInformation). */
export interface Inventory {
  serialNumber?: string | null;
  model?: string | null; // e.g. MacBookPro18,3 or iPhone14,2 (Authenticate "ProductName" on iOS, "Model" on macOS)
  modelName?: string | null; // e.g. MacBook Pro, iPad
  productName?: string | null;
  deviceName?: string | null;
  osVersion?: string | null;
  buildVersion?: string | null;
  imei?: string | null;
  meid?: string | null;
  platform?: Platform | null;
}

export type Platform = 'macOS' | 'iOS' | 'iPadOS' | 'tvOS' | 'watchOS' | 'visionOS';

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

/** What Authenticate carries: creates or resets the enrollment. */
export interface AuthenticateInput {
  id: string;
  type: EnrollmentType;
  deviceId: string;
  udid: string | null;
  userId?: string | null;
  userShortName?: string | null;
  userLongName?: string | null;
  topic: string;
  inventory: Inventory;
  certHash?: string | null;
  at: Date;
}

export interface TokenUpdateInput {
  id: string;
  type: EnrollmentType;
  deviceId: string;
  udid: string | null;
  userId?: string | null;
  userShortName?: string | null;
  userLongName?: string | null;
  topic: string;
  pushToken: string; // hex
  pushMagic: string;
  unlockToken?: Buffer | null;
  awaitingConfiguration?: boolean;
  certHash?: string | null;
  at: Date;
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
}

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

export interface CommandResultInput {
  enrollmentId: string;
  uuid: string;
  status: ResultStatus;
  /** The raw result plist body as the device sent it. */
  raw: Buffer;
  /** The parsed result as JSON-safe data. */
  json: unknown;
  at: Date;
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

export interface EnrollmentStore {
  /** Create or reset an enrollment: stores inventory, disables it until TokenUpdate and clears its queue. */
  authenticate(input: AuthenticateInput): Promise<void>;
  /** Store push info, enable the enrollment, bump and return the tally; clears pushInvalidAt. */
  tokenUpdate(input: TokenUpdateInput): Promise<number>;
  /** Disable the enrollment (and, for a device channel, its user channels). */
  checkOut(id: string, at: Date): Promise<void>;
  getEnrollment(id: string): Promise<EnrollmentRecord | null>;
  listEnrollments(filter: EnrollmentFilter): Promise<EnrollmentRecord[]>;
  updateInventory(id: string, inventory: Inventory, at: Date): Promise<void>;
  touch(id: string, at: Date): Promise<void>;
  setCertHash(id: string, certHash: string, at: Date): Promise<void>;
  /** Ids of the enrollments bound to this certificate hash (refuses one identity reused across devices). */
  enrollmentIdsByCertHash(certHash: string): Promise<string[]>;
  setBootstrapToken(deviceId: string, token: Buffer | null, at: Date): Promise<void>;
  getBootstrapToken(deviceId: string): Promise<Buffer | null>;
}

export interface CommandStore {
  /** Queue one command for many enrollments; unknown enrollments fail per id, the rest succeed. */
  enqueue(command: NewCommand, enrollmentIds: string[]): Promise<EnqueueOutcome[]>;
  /**
   * The next queued command for the enrollment, by priority then FIFO, skipping expired ones
   * (marked 'expired'). With skipNotNow, commands that got NotNow are passed over. Marks sentAt.
   */
  nextCommand(enrollmentId: string, opts: { skipNotNow: boolean; at: Date }): Promise<NextCommand | null>;
  /** Record a device result. Returns false when no queued command matches (uuid compared case-insensitively). */
  recordResult(input: CommandResultInput): Promise<boolean>;
  getCommand(uuid: string, enrollmentId?: string): Promise<CommandDetail[]>;
  listQueue(enrollmentId: string, opts?: { includeDone?: boolean; limit?: number }): Promise<QueueEntry[]>;
  /** Cancel one still-queued command. Returns false if it was not queued. */
  cancelCommand(enrollmentId: string, uuid: string, at: Date): Promise<boolean>;
  /** Cancel every queued command of the enrollment; returns how many. */
  clearQueue(enrollmentId: string, at: Date): Promise<number>;
  /**
   * Enrollments with queued commands not handed out since `sentBefore` (for re-push), by id;
   * with `after`, only ids greater than it (to page through a large fleet).
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

export type DdmKind = 'activation' | 'configuration' | 'asset' | 'management';

/** A declaration as the server keeps it; `payload` is the JSON object sent as the declaration's Payload. */
export interface DdmDeclarationRecord {
  identifier: string;
  type: string;
  kind: DdmKind;
  payload: Record<string, unknown>;
  serverToken: string;
  createdAt: Date;
  updatedAt: Date;
}

export type DdmDeclarationInput = Omit<DdmDeclarationRecord, 'createdAt' | 'updatedAt'>;

/** One declaration of an enrollment's effective set (what `declaration-items` lists). */
export interface DdmItemRecord {
  identifier: string;
  type: string;
  kind: DdmKind;
  serverToken: string;
}

export interface DdmSetRecord {
  name: string;
  declarations: string[];
  /** How many enrollments the set is assigned to. */
  enrollments: number;
  createdAt: Date;
  updatedAt: Date;
}

/** The DeclarationsToken last computed for an enrollment and when it last changed. */
export interface DdmSyncState {
  enrollmentId: string;
  declarationsToken: string;
  changedAt: Date;
}

export interface DdmStatusItemRecord {
  name: string;
  value: unknown;
  updatedAt: Date;
}

export interface DdmStatusHistoryRecord {
  id: number;
  name: string;
  /** null: the item was absent from a full report. */
  value: unknown;
  at: Date;
}

/** A declaration's state as the device reported it in management.declarations. */
export interface DdmDeclarationStatusRecord {
  identifier: string;
  kind: DdmKind;
  serverToken: string | null;
  active: boolean | null;
  /** "valid", "invalid" or "unknown" (kept as sent). */
  valid: string | null;
  reasons: unknown[] | null;
  updatedAt: Date;
}

export interface DdmStatusInput {
  enrollmentId: string;
  /** FullReport: stored items (and declaration statuses, when reported) absent from the report are dropped. */
  full: boolean;
  /**
   * Flattened status items (dotted names), management.declarations excluded. `merge`: the value is an
   * incremental array of objects keyed by `identifier` (entries with `_removed: true` drop one).
   */
  items: Array<{ name: string; value: unknown; merge?: boolean }>;
  /** From management.declarations, when the report carries it. */
  declarations: Array<Omit<DdmDeclarationStatusRecord, 'updatedAt'>> | null;
  at: Date;
}

export interface DdmStatusOutcome {
  /** Items whose value changed (or appeared). */
  changed: string[];
  /** Items dropped by a full report. */
  removed: string[];
  /** Declarations reported invalid that were not invalid at that ServerToken before. */
  newlyInvalid: DdmDeclarationStatusRecord[];
}

export interface DdmAssetData {
  name: string;
  contentType: string;
  data: Buffer;
  /** SHA-256 of the data, lowercase hex. */
  sha256: string;
  updatedAt: Date;
}

/** Declarative Device Management: declarations, sets, assignments, sync tokens and device status. */
export interface DdmStore {
  ddmPutDeclaration(d: DdmDeclarationInput, at: Date): Promise<'created' | 'updated' | 'unchanged'>;
  ddmGetDeclaration(identifier: string): Promise<DdmDeclarationRecord | null>;
  ddmListDeclarations(opts?: { type?: string; identifiers?: string[] }): Promise<DdmDeclarationRecord[]>;
  /** Deletes the declaration and its set memberships. */
  ddmDeleteDeclaration(identifier: string): Promise<boolean>;
  /** Create the set if needed and make `identifiers` its exact members (all must exist). */
  ddmPutSet(name: string, identifiers: string[], at: Date): Promise<void>;
  ddmAddToSet(name: string, identifiers: string[], at: Date): Promise<void>;
  ddmRemoveFromSet(name: string, identifiers: string[], at: Date): Promise<void>;
  ddmDeleteSet(name: string): Promise<boolean>;
  ddmGetSet(name: string): Promise<DdmSetRecord | null>;
  ddmListSets(): Promise<DdmSetRecord[]>;
  /** Assign a set to enrollments (which must exist); already assigned ones are left as they are. */
  ddmAssign(name: string, enrollmentIds: string[], at: Date): Promise<void>;
  ddmUnassign(name: string, enrollmentIds: string[]): Promise<void>;
  ddmEnrollmentSets(enrollmentId: string): Promise<string[]>;
  /** Enrollments assigned to any of the sets. */
  ddmSetEnrollments(names: string[]): Promise<string[]>;
  /** Enrollments whose assigned sets include the declaration. */
  ddmDeclarationEnrollments(identifier: string): Promise<string[]>;
  /** The declarations of each enrollment's assigned sets, once each, by identifier. */
  ddmEffectiveItems(enrollmentIds: string[]): Promise<Map<string, DdmItemRecord[]>>;
  ddmSyncStates(enrollmentIds: string[]): Promise<Map<string, DdmSyncState>>;
  ddmSaveSyncStates(states: DdmSyncState[]): Promise<void>;
  /** Cancel DeclarativeManagement commands still waiting, never handed out, for these enrollments (a newer one supersedes them). */
  ddmSupersedeSyncCommands(enrollmentIds: string[], at: Date): Promise<number>;
  /** Of `identifiers`, those the server knows: stored declarations, or ones the enrollment reported before. */
  ddmKnownIdentifiers(enrollmentId: string, identifiers: string[]): Promise<Set<string>>;
  /** Applies one status report atomically: latest values, history of changes, declaration statuses. */
  ddmApplyStatus(input: DdmStatusInput): Promise<DdmStatusOutcome>;
  ddmStatusItems(enrollmentId: string, opts?: { prefix?: string }): Promise<DdmStatusItemRecord[]>;
  ddmStatusHistory(enrollmentId: string, opts?: { name?: string; limit?: number }): Promise<DdmStatusHistoryRecord[]>;
  ddmDeclarationStatus(enrollmentId: string): Promise<DdmDeclarationStatusRecord[]>;
  /** Delete status history entries older than `before`; returns how many (latest values are kept). */
  ddmPruneStatusHistory(before: Date): Promise<number>;
  ddmPutAssetData(asset: Omit<DdmAssetData, 'updatedAt'>, at: Date): Promise<void>;
  ddmGetAssetData(name: string): Promise<DdmAssetData | null>;
  ddmDeleteAssetData(name: string): Promise<boolean>;
}

export interface Store
  extends EnrollmentStore,
    CommandStore,
    EventStore,
    OutboxStore,
    PushStore,
    ChallengeStore,
    SettingStore,
    DdmStore {
  readonly dialect: 'sqlite' | 'postgres';
  close(): Promise<void>;
}
