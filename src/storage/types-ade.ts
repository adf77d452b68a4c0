// ADE enrollments: a device's signed MachineInfo and the profile Updraft answered it, bound to the
// Authenticate that follows (so an enrollment is known to come through ADE) and the Await
// Configuration commands, sent once.
import type { Platform } from '../mdm/types.js';

/** What the ADE enrollment URL records when it answers a device its profile. */
export interface AdeServed {
  udid: string;
  serial: string;
  /** The DEP name (ABM server) the device's serial belongs to, when known. */
  depName: string | null;
  /** The ADE profile assigned to the device in ABM, when known. */
  profileUuid: string | null;
  product: string | null;
  platform: Platform | null;
  osVersion: string | null;
  buildVersion: string | null;
  language: string | null;
  /** The MachineInfo dictionary as the device signed it (JSON-safe). */
  machineInfo: Record<string, unknown>;
  supervised: boolean;
  removable: boolean;
  awaitConfiguration: boolean;
  at: Date;
}

export interface AdeEnrollmentRecord extends Omit<AdeServed, 'at'> {
  servedAt: Date;
  /** The Authenticate that followed the profile (null: the device has not enrolled since). */
  enrolledAt: Date | null;
  /** The device's current enrollment came through ADE. */
  active: boolean;
  /** When the Await Configuration commands (and DeviceConfigured) were queued. */
  configuredAt: Date | null;
}

export interface AdeStore {
  /** Record (or refresh) a device's ADE profile fetch. */
  recordAdeServed(served: AdeServed): Promise<void>;
  // The bind at a device channel's Authenticate is the Authenticate's own (AuthenticateInput.adeBindWindowMs).
  getAdeEnrollment(udid: string): Promise<AdeEnrollmentRecord | null>;
  /** The active ADE enrollments among `udids`, by UDID. */
  activeAdeEnrollments(udids: readonly string[]): Promise<Map<string, AdeEnrollmentRecord>>;
  /** ADE enrollments by UDID, `after` for keyset paging. */
  listAdeEnrollments(opts?: { limit?: number; after?: string }): Promise<AdeEnrollmentRecord[]>;
  /** Claims sending the Await Configuration commands: true for the one caller that sets configuredAt. */
  claimAdeConfiguration(udid: string, at: Date): Promise<boolean>;
}
