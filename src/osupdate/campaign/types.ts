// The campaign engine's own vocabulary: the validated spec, device states, and what a step decides.
import type { Platform } from '../../mdm/types.js';

export type TargetPolicy = 'latest' | 'latest-minor' | 'latest-major' | 'minimum';

export interface Target {
  /** A specific version (and build), or the floor of `minimum`. */
  version?: string;
  build?: string;
  policy?: TargetPolicy;
}

export interface Selection {
  all?: boolean;
  enrollmentIds?: string[];
  platform?: Platform[];
  models?: string[];
  osMin?: string;
  osMax?: string;
  tags?: string[];
}

/** A weekly maintenance window: days 0 (Sunday) to 6, minutes after local midnight; end < start spans midnight. */
export interface Window {
  days: number[];
  start: number;
  end: number;
  /** An IANA time zone, or "device" (the device's own, UTC when it never said). */
  timeZone: string;
  text: string;
}

export interface Wave {
  /** Cumulative share of the selected devices released with this wave (the last is 100). */
  percent?: number;
  /** Or an explicit group. */
  enrollmentIds?: string[];
}

export interface CampaignSpec {
  select: Selection;
  target: Target;
  /** ISO 8601; without an offset it is a wall time in `timeZone` (device-local for DDM). */
  deadline: string | null;
  /** The campaign's zone for deadlines and windows: an IANA name, or "device" (UTC where the device never said). */
  timeZone: string;
  waves: Wave[];
  /** A wave is promoted when this share of its settled devices is done and the soak time has passed. */
  promotion: { successRate: number; soakSeconds: number };
  window: Window | null;
  maxInFlight: number | null;
  /** Attempts per device before it is failed. */
  retries: number;
  /** The InstallAction before the deadline (macOS); iOS always uses its two-step Default. */
  installAction: 'InstallASAP' | 'InstallLater' | 'Default' | 'InstallForceRestart';
  maxUserDeferrals: number | null;
  detailsUrl: string | null;
  /** DDM devices are given this long from their wave's start before the update is enforced (never past the deadline). */
  installWithinHours: number;
  /** Optional softwareupdate.settings payload for DDM devices (deferrals, automatic actions). */
  ddmSettings: Record<string, unknown> | null;
}

/** Terminal states (fixed by the API); the rest are the engine's in-between states. */
export const TERMINAL = ['done', 'blocked', 'not_eligible', 'failed', 'cancelled'] as const;
export type TerminalState = (typeof TERMINAL)[number];
export type WorkingState =
  | 'pending' // selected, waiting for its wave, the window or a slot
  | 'scanning' // ScheduleOSUpdateScan sent (macOS)
  | 'listing' // AvailableOSUpdates sent
  | 'prerequisite' // installing the configuration-data product a major upgrade needs listed
  | 'scheduling' // ScheduleOSUpdate sent
  | 'downloading'
  | 'installing'
  | 'verifying' // DeviceInformation sent after the install
  | 'enforcing'; // DDM: the enforcement declaration is assigned
export type DeviceState = WorkingState | TerminalState;

export const isTerminal = (s: string): s is TerminalState => (TERMINAL as readonly string[]).includes(s);

/** The outcome of planning one device (the dry run, and the start of each device). */
export interface Plan {
  deviceId: string;
  state: 'pending' | 'done' | 'not_eligible' | 'blocked';
  path: 'legacy' | 'ddm' | null;
  target: { version: string; build: string | null } | null;
  /** The device's own AvailableOSUpdates decides the product (no catalog covers the target or hardware). */
  deviceDecides: boolean;
  major: boolean;
  reason: string;
  osVersion: string | null;
  buildVersion: string | null;
  platform: Platform | null;
  model: string | null;
  /** With a maintenance window: the zone it is read in for this device, and why when that is a fallback. */
  window?: { zone: string; note: string | null };
}
