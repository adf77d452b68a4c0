// The storage interface for computed OS update posture (one row per device) and the lease of the
// background fleet recompute. The posture itself is computed in osupdate/posture/compute.ts.
import type { Platform } from '../mdm/types.js';

/** One device's stored posture: the columns the summary aggregates, plus a JSON detail for the API. */
export interface PostureRecord {
  deviceId: string;
  platform: Platform | null;
  model: string | null;
  osVersion: string | null;
  buildVersion: string | null;
  latestVersion: string | null;
  latestBuild: string | null;
  latestInMajorVersion: string | null;
  newestMajor: string | null;
  onLatest: boolean;
  /** The hardware supports a newer major than the device runs. */
  majorBehind: boolean;
  releasesBehind: number;
  daysBehind: number;
  cveCount: number;
  exploitedCount: number;
  updateAllowed: boolean;
  majorUpgradeAllowed: boolean;
  reason: string | null;
  /** JSON-safe detail (the API's per-device fields that have no column). */
  detail: unknown;
  computedAt: Date;
  /** What it was computed from (catalogs and day): see catalogStamp in osupdate/posture/compute.ts. */
  catalogStamp: string;
}

export interface PostureFilter {
  platform?: Platform;
  /** Model identifier, exact (Mac14,2, iPhone15,2). */
  model?: string;
  /** Lowest OS version, inclusive; missing parts are 0 ("15.7" starts at 15.7.0). */
  osMin?: string;
  /** Highest OS version, inclusive; missing parts take in everything ("15" ends after every 15.x). */
  osMax?: string;
}

/** Counts over a set of devices. */
export interface PostureCounts {
  devices: number;
  onLatest: number;
  /** Missing releases of their own major (releases_behind > 0). */
  behind: number;
  /** Able to run a newer major than they do. */
  majorBehind: number;
  /** Exposed to at least one actively exploited CVE. */
  exposedActivelyExploited: number;
  /** No posture: hardware or version unknown to the catalogs. */
  unknown: number;
  majorUpgradeAllowed: number;
}

export interface PostureVersionCounts extends PostureCounts {
  platform: Platform | null;
  osVersion: string | null;
}

export interface PostureSummaryRecord extends PostureCounts {
  /** Per platform and OS version, newest version first. */
  byVersion: PostureVersionCounts[];
  /** Rows computed from another catalog stamp than the one given (a recompute is due or running). */
  outdated: number;
  oldestComputedAt: Date | null;
}

/** The background fleet recompute: who holds it, until when, towards which stamp, and how far it got. */
export interface PostureJob {
  name: string;
  owner: string | null;
  leaseUntil: Date;
  /** The catalog stamp being computed towards. */
  stamp: string | null;
  /** Last device id done in this run (devices are taken in id order). */
  cursor: string | null;
  /** Devices done in this run. */
  done: number;
  /** The stamp of the last complete run. */
  doneStamp: string | null;
  updatedAt: Date;
}

export interface PostureStore {
  /** Insert or replace the posture of many devices (batched, one transaction per batch). */
  upsertPostures(records: PostureRecord[]): Promise<void>;
  getPosture(deviceId: string): Promise<PostureRecord | null>;
  getPostures(deviceIds: string[]): Promise<PostureRecord[]>;
  deletePosture(deviceId: string): Promise<void>;
  /** Counts and per-version counts, in SQL over the stored rows; `stamp` is the current catalog stamp. */
  postureSummary(filter: PostureFilter, stamp: string): Promise<PostureSummaryRecord>;
  /** Ids of the devices with an inventory (device_inventory), in id order, after `after`: the fleet recompute's pages. */
  inventoryDeviceIds(after: string | null, limit: number): Promise<string[]>;
  getPostureJob(name: string): Promise<PostureJob | null>;
  /**
   * Take (or keep) the job's lease for a run towards `stamp` unless another owner holds an
   * unexpired lease or `stamp` is already done. A new stamp restarts the cursor. Null when not taken.
   */
  claimPostureJob(name: string, owner: string, stamp: string, now: Date, leaseUntil: Date): Promise<PostureJob | null>;
  /** Record progress (and extend the lease) while still the owner; false when the lease was lost. */
  advancePostureJob(name: string, owner: string, cursor: string, done: number, now: Date, leaseUntil: Date): Promise<boolean>;
  /** Mark the run complete and release the lease; false when the lease was lost. */
  finishPostureJob(name: string, owner: string, now: Date): Promise<boolean>;
}
