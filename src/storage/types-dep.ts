// The storage interface for ADE (DEP): DEP names (server tokens, token PKI, config, assigner profile,
// session and sync cursor) and the devices Apple Business/School Manager lists for each name.
import type { DepName, GetProfileResponse, OAuth1Tokens, OpType, ProfileStatus, TokenPki } from '../dep/types.js';

export type { DepName };

/** A device as the DEP API last described it, kept per (DEP name, serial). */
export interface DepDeviceRecord {
  depName: string;
  serialNumber: string;
  model: string | null;
  description: string | null;
  color: string | null;
  assetTag: string | null;
  /** Apple's os: "iOS", "OSX", … */
  os: string | null;
  deviceFamily: string | null;
  deviceAssignedBy: string | null;
  deviceAssignedDate: Date | null;
  /** Null for a device known from a full fetch (no op_type there). */
  opType: OpType | null;
  opDate: Date | null;
  profileUuid: string | null;
  profileStatus: ProfileStatus | null;
  profileAssignTime: Date | null;
  profilePushTime: Date | null;
  updatedAt: Date;
}

/** The row to write (updatedAt is the call's `at`). */
export type DepDeviceInput = Omit<DepDeviceRecord, 'updatedAt'>;

export interface DepDeviceFilter {
  depName?: string;
  serials?: string[];
  opType?: OpType;
  profileStatus?: ProfileStatus;
  /** true: only serials no enrollment reports; false: only enrolled ones. */
  enrolled?: boolean;
  /** Leave out devices whose last op_type is "deleted" (released from the organization). */
  excludeDeleted?: boolean;
  limit?: number; // default 100, max 1000
  offset?: number;
}

/** An ADE profile as GET /profile answered it, cached per DEP name and profile UUID. */
export interface DepProfileRecord {
  depName: string;
  profileUuid: string;
  profile: GetProfileResponse;
  fetchedAt: Date;
}

export interface DepProfileStore {
  /** Keeps (or replaces) a profile the DEP API answered, under its profile_uuid. */
  saveDepProfile(depName: string, profile: GetProfileResponse, at: Date): Promise<void>;
  getDepProfile(depName: string, profileUuid: string): Promise<DepProfileRecord | null>;
}

export interface DepStore extends DepProfileStore {
  /** Every DEP name, by name. */
  listDepNames(): Promise<DepName[]>;
  /** A DEP name, or null when none was ever configured. */
  getDepName(name: string): Promise<DepName | null>;
  /** Keeps a new staging key pair (made by tokenpki); creates the name when new. */
  saveDepStagingPki(name: string, pki: TokenPki, at: Date): Promise<void>;
  /**
   * Stores the tokens; with promoteStaging the staging key pair becomes current in the same
   * statement (a token decrypted with it), and it is cleared from staging. Creates the name when new.
   */
  saveDepTokens(name: string, tokens: OAuth1Tokens, at: Date, opts?: { promoteStaging?: boolean }): Promise<void>;
  /** Null: back to Apple's base URL. Creates the name when new. */
  saveDepConfig(name: string, baseUrl: string | null, at: Date): Promise<void>;
  saveDepAssignerProfile(name: string, profileUuid: string | null, at: Date): Promise<void>;
  /** The session token every process reuses (null forgets it). */
  saveDepSession(name: string, sessionToken: string | null, at: Date): Promise<void>;
  /** The sync cursor (null: fetch from the start next time). */
  saveDepCursor(name: string, cursor: string | null, at: Date): Promise<void>;
  /** Removes a DEP name, its devices and its cached profiles. */
  deleteDepName(name: string): Promise<boolean>;

  /** Inserts or replaces devices by (depName, serialNumber). */
  upsertDepDevices(devices: DepDeviceInput[], at: Date): Promise<void>;
  /** Ordered by DEP name then serial. */
  listDepDevices(filter?: DepDeviceFilter): Promise<DepDeviceRecord[]>;
  /** A serial's record (the most recently updated one when several DEP names list it), or null. */
  getDepDevice(serialNumber: string, depName?: string): Promise<DepDeviceRecord | null>;
  /** Records a profile assignment (or removal with profileUuid null) the DEP API accepted. */
  setDepDeviceProfile(depName: string, serials: string[], profile: { profileUuid: string | null; profileStatus: ProfileStatus; at: Date }): Promise<void>;
}
