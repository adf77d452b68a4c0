// What the OS update campaign engine keeps: campaigns and one row per (campaign, device) holding the
// device's state machine. Specs and step memory are opaque JSON to the store; the engine owns them.
// Every change of a device row is conditional on its version, so several server processes can drive
// one campaign: whoever loses a race re-reads and decides again, and nobody sends a command twice.

export type CampaignState = 'running' | 'paused' | 'done' | 'cancelled';

export interface CampaignRecord {
  id: string;
  name: string;
  state: CampaignState;
  /** The validated campaign spec (selection, target, waves, window, deadline, limits). */
  spec: unknown;
  /** Index of the newest wave released (0 = the first). */
  wave: number;
  waveStartedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  endedAt: Date | null;
}

/** A device row as the engine creates it. */
export interface NewCampaignDevice {
  deviceId: string;
  wave: number;
  state: string;
  reason: string | null;
  path: 'legacy' | 'ddm' | null;
  targetVersion: string | null;
  targetBuild: string | null;
  osVersion: string | null;
  buildVersion: string | null;
  /** The engine's memory for the device (pending command, attempts, progress, stall timers). */
  step: Record<string, unknown>;
  /** Whether this row holds the device (one active campaign per device); false for rows that end at once. */
  active: boolean;
  /** When the timer should look at the device next; null: only events move it. */
  nextAt: Date | null;
}

export interface CampaignDeviceRecord extends NewCampaignDevice {
  campaignId: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  doneAt: Date | null;
}

/** The fields of a device row an engine step may change. */
export type CampaignDevicePatch = Partial<Omit<NewCampaignDevice, 'deviceId' | 'wave'>> & { doneAt?: Date | null };

export interface CampaignStore {
  /**
   * Create a campaign with its device rows in one transaction. A device already held by another
   * active campaign gets no active row here: it is returned in `refused` with that campaign's id
   * (and recorded in this campaign as refused, inactive).
   */
  campaignCreate(
    c: { id: string; name: string; spec: unknown; at: Date },
    devices: NewCampaignDevice[],
  ): Promise<{ refused: Array<{ deviceId: string; campaignId: string }> }>;
  campaignGet(id: string): Promise<CampaignRecord | null>;
  campaignList(opts?: { state?: CampaignState; limit?: number }): Promise<CampaignRecord[]>;
  /** Change state/wave; `from`: only if the campaign is in one of these states (returns whether it changed). */
  campaignUpdate(id: string, patch: { state?: CampaignState; wave?: number; waveStartedAt?: Date | null; endedAt?: Date | null }, at: Date, from?: CampaignState[]): Promise<boolean>;
  /** Device rows of a campaign, by device id, optionally of some states, paged. */
  campaignDevices(id: string, opts?: { states?: string[]; limit?: number; after?: string }): Promise<CampaignDeviceRecord[]>;
  /** Count of device rows per state (and per wave and state). */
  campaignCounts(id: string): Promise<Array<{ wave: number; state: string; count: number }>>;
  /** The active row holding a device, if any. */
  campaignDeviceActive(deviceId: string): Promise<CampaignDeviceRecord | null>;
  campaignDeviceGet(campaignId: string, deviceId: string): Promise<CampaignDeviceRecord | null>;
  /** Apply a patch if the row is still at `version`; returns the new row, or null when someone else changed it first. */
  campaignDeviceUpdate(campaignId: string, deviceId: string, version: number, patch: CampaignDevicePatch, at: Date): Promise<CampaignDeviceRecord | null>;
  /**
   * Claim up to `limit` active rows of running campaigns whose nextAt is due: each claimed row's nextAt
   * moves to `leaseUntil` (and its version on), so another process does not take it meanwhile.
   */
  campaignClaimDue(at: Date, leaseUntil: Date, limit: number): Promise<CampaignDeviceRecord[]>;
  /** Release every active row of a campaign (it ended); returns how many. */
  campaignRelease(id: string, at: Date): Promise<number>;
}

/** Admin tags on devices (campaign selection by tag). */
export interface TagStore {
  /** Replace a device's tags. */
  setTags(deviceId: string, tags: string[], at: Date): Promise<void>;
  getTags(deviceId: string): Promise<string[]>;
  /** Devices carrying any of the tags. */
  devicesTagged(tags: string[]): Promise<string[]>;
}
