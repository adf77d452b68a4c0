// The storage interface, continued: Declarative Device Management (declarations, sets,
// assignments, sync tokens, device status). Part of Store (types.ts); split out to keep files small.
import type { EnqueueOutcome, EventInput, NewCommand } from './types.js';

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
  /** Updraft did not know the declaration when the device reported it (another server's, or deleted since). */
  unknown: boolean;
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
  /** The events and webhook bodies the outcome makes, written in the same transaction as the report. */
  records?: (outcome: DdmStatusOutcome) => { events: EventInput[]; outbox: Array<{ topic: string; body: string }> };
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
  /**
   * Which of the enrollments exist, the declarations of each one's assigned sets (once each, by
   * identifier; none: no entry) and their sync states, read together (one statement on PostgreSQL,
   * one read transaction on SQLite).
   */
  ddmSyncInputs(enrollmentIds: string[]): Promise<{ known: Set<string>; items: Map<string, DdmItemRecord[]>; states: Map<string, DdmSyncState> }>;
  ddmSaveSyncStates(states: DdmSyncState[]): Promise<void>;
  /**
   * In one transaction (one statement on PostgreSQL): the states `save`d (as ddmSaveSyncStates), the
   * enrollments' DeclarativeManagement commands still waiting and never handed out cancelled at
   * `command.at` (the new one supersedes them), then `command` queued for them as enqueue does (never
   * cancelled itself). One outcome per enrollment, each once.
   */
  ddmSupersedeAndEnqueue(command: NewCommand, enrollmentIds: string[], save: DdmSyncState[]): Promise<EnqueueOutcome[]>;
  /** Of `identifiers`, those of stored declarations (built-in ones are not stored). */
  ddmKnownIdentifiers(identifiers: string[]): Promise<Set<string>>;
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
