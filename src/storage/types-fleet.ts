// The storage interface for the dashboard's fleet views: the device list (searched, filtered by
// posture and last check-in, sorted and paged in SQL over the whole fleet), the figures of the fleet
// page that the posture summary does not give, and a campaign's progress over time.
import type { EnrollmentType, Platform } from '../mdm/types.js';

/** Posture filters of the device list (what the fleet page's figures link to). */
export type PostureFilterName = 'latest' | 'behind' | 'major_behind' | 'exploited' | 'unknown';
export const POSTURE_FILTERS: readonly PostureFilterName[] = ['latest', 'behind', 'major_behind', 'exploited', 'unknown'];

export type DeviceSort = 'name' | 'serial' | 'model' | 'os' | 'seen' | 'type' | 'behind';
export const DEVICE_SORTS: readonly DeviceSort[] = ['name', 'serial', 'model', 'os', 'seen', 'type', 'behind'];

export interface DeviceListQuery {
  /** Case-insensitive prefix of the device name, serial number, model or enrollment id. */
  search?: string;
  platform?: Platform;
  /** Exact OS version. */
  osVersion?: string;
  model?: string;
  posture?: PostureFilterName;
  /** releases_behind at least this (with posture 'behind' or alone). */
  behindMin?: number;
  /** releases_behind at most this. */
  behindMax?: number;
  /** Last check-in before this time (or never). */
  seenBefore?: Date;
  type?: EnrollmentType;
  supervised?: boolean;
  sort?: DeviceSort;
  desc?: boolean;
  limit?: number; // default 50, max 500
  offset?: number;
}

/** One row of the device list: the device channel's enrollment with its inventory flags and posture. */
export interface DeviceListRow {
  id: string;
  type: EnrollmentType;
  deviceName: string | null;
  serialNumber: string | null;
  model: string | null;
  modelName: string | null;
  platform: Platform | null;
  osVersion: string | null;
  lastSeenAt: Date | null;
  enabled: boolean;
  supervised: boolean | null;
  /** Null: no posture (no inventory yet, or hardware unknown to the catalogs). */
  posture: { onLatest: boolean; releasesBehind: number; majorBehind: boolean; exploitedCount: number; latestVersion: string | null; reason: string | null } | null;
}

export interface FleetOverview {
  /** Device channels (one per device). */
  devices: number;
  /** Devices behind their own major, by how many releases (releases_behind > 0), fewest first. */
  behindBy: Array<{ releases: number; devices: number }>;
  /** Devices whose last check-in is older than N days (or that never checked in), per N asked. */
  notSeen: Array<{ days: number; devices: number }>;
}

/** A filtered device list counts its matches up to this many; past it, the total is "more than COUNT_CAP". */
export const COUNT_CAP = 10_000;

export interface DeviceListPage {
  rows: DeviceListRow[];
  /** How many devices match: the whole fleet exactly, a filtered list up to COUNT_CAP. */
  total: number;
  /** More than COUNT_CAP devices match (total is COUNT_CAP). */
  capped: boolean;
  /** Another page follows this one. */
  more: boolean;
}

export interface FleetStore {
  /** A page of the device list and how many devices match (counted up to COUNT_CAP). */
  deviceList(query: DeviceListQuery): Promise<DeviceListPage>;
  fleetOverview(now: Date, notSeenDays: readonly number[]): Promise<FleetOverview>;
  /** Devices of a campaign that reached done, counted per time bucket (bucket start, count), oldest first. */
  campaignDoneSeries(campaignId: string, bucketMs: number): Promise<Array<{ at: Date; done: number }>>;
}
