// The ADE enrollment URL's logic (the `url` of an ADE profile): the device posts its CMS-signed
// MachineInfo; Updraft checks the signature against the device CA, refuses unknown serials when told
// to, asks for an OS update first when the device is below the platform's minimum, else records the
// ADE enrollment and answers the enrollment profile (supervision, removability and Await Configuration
// per the device's ADE profile in ABM, else the settings, which the log says). Nothing is stored for a
// refused request.
import { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import { readCertificates } from '../pki/pem.js';
import type { CatalogView } from '../osupdate/types.js';
import type { AdeStore, SettingStore } from '../storage/types.js';
import type { DepStore } from '../storage/types-dep.js';
import { effectiveAdeSettings, type AdeSettings } from './ade-settings.js';
import { MachineInfoError, verifyMachineInfo, type MachineInfo } from './machineinfo.js';
import { requiredUpdate, type SoftwareUpdateRequired } from './min-os.js';
import { depClient } from './client.js';
import { adeProfileFlags, depProfile } from './profiles.js';
import type { DepClient } from './types.js';

/** What the DEP side knows of a serial (the device list synced from Apple Business Manager). */
export interface DepDeviceLookup {
  depName: string;
  profileUuid: string | null;
  /** Where the device's ADE profile came from: the cache, the DEP API just now, or null (none assigned, or not fetched). */
  profile?: 'cache' | 'dep' | null;
  /** From the device's ADE profile; null or absent: the settings decide. */
  supervised?: boolean | null;
  removable?: boolean | null;
  awaitConfiguration?: boolean | null;
}

export interface AdeEnrollDeps {
  store: AdeStore & SettingStore;
  /** Apple's device CA (or a test CA): MachineInfo signers must chain to one of these. */
  anchors: readonly X509Certificate[];
  catalog: () => Promise<CatalogView | null>;
  /** The signed enrollment profile; `removable` false marks it non-removable. */
  profile: (opts: { removable: boolean }) => Promise<Buffer>;
  /** Finds a serial among the DEP devices; absent or null: not known. */
  lookup?: (serial: string) => Promise<DepDeviceLookup | null>;
  logger?: Logger;
}

export type AdeAnswer =
  | { status: 200; profile: Buffer; machineInfo: MachineInfo }
  | { status: 403; updateRequired: SoftwareUpdateRequired; machineInfo: MachineInfo }
  | { status: 400 | 403; reason: string };

/** The PEM files of --ade-device-ca as trust anchors. */
export function loadAdeAnchors(files: readonly string[] = []): X509Certificate[] {
  return files.flatMap((f) => readCertificates(f)).map((der) => new X509Certificate(der));
}

/**
 * Looks serials up among the DEP devices synced from Apple (a device released from the organization
 * is unknown), with the flags of the ADE profile assigned to it (cached, else fetched through the DEP
 * API with a short time limit: the device waits in Setup Assistant).
 */
export function depLookupFrom(
  store: Pick<DepStore, 'getDepDevice' | 'getDepName' | 'saveDepSession' | 'getDepProfile' | 'saveDepProfile'>,
  opts: { client?: (name: string) => Pick<DepClient, 'getProfile'>; logger?: Logger; now?: () => Date } = {},
): (serial: string) => Promise<DepDeviceLookup | null> {
  const now = opts.now ?? (() => new Date());
  const client = opts.client ?? ((name: string) => depClient(name, { store, now, retries: 0, timeoutMs: 10_000 }));
  return async (serial) => {
    const d = await store.getDepDevice(serial);
    if (!d || d.opType === 'deleted') return null;
    const found = d.profileUuid ? await depProfile({ name: d.depName, uuid: d.profileUuid, client, store, at: now(), logger: opts.logger }) : null;
    return { depName: d.depName, profileUuid: d.profileUuid, profile: found?.source ?? null, ...(found ? adeProfileFlags(found.profile) : {}) };
  };
}

/** Which of the enrollment's decisions the settings made, and why (for the log). */
function fallbackNote(dep: DepDeviceLookup | null): { fromSettings: string[]; why: string } | null {
  if (!dep) return { fromSettings: ['supervised', 'mdm_removable', 'await_device_configured'], why: 'serial not among the DEP devices' };
  if (!dep.profile) {
    const why = dep.profileUuid ? `ADE profile ${dep.profileUuid} could not be fetched from the DEP API` : 'no ADE profile assigned to the serial (as of the last sync)';
    return { fromSettings: ['supervised', 'mdm_removable', 'await_device_configured'], why };
  }
  const keys = ([['supervised', dep.supervised], ['mdm_removable', dep.removable], ['await_device_configured', dep.awaitConfiguration]] as const).filter(([, v]) => v === null || v === undefined).map(([k]) => k);
  return keys.length ? { fromSettings: keys, why: `ADE profile ${dep.profileUuid} does not say` } : null;
}

export async function adeEnroll(deps: AdeEnrollDeps, body: Buffer, at = new Date()): Promise<AdeAnswer> {
  let mi: MachineInfo;
  try {
    mi = verifyMachineInfo(body, deps.anchors, at);
  } catch (e) {
    if (e instanceof MachineInfoError) return { status: e.status, reason: e.message };
    throw e;
  }
  const dep = (await deps.lookup?.(mi.serial)) ?? null;
  const settings: AdeSettings = await effectiveAdeSettings(deps.store, dep?.depName ?? null);
  if (!dep && settings.unknown_serials === 'refuse') {
    return { status: 403, reason: `serial ${mi.serial} is not among this server's ADE devices (unknown_serials: refuse)` };
  }
  const minimum = mi.platform ? settings.minimum_os[mi.platform] : undefined;
  const update = requiredUpdate(mi, minimum, await deps.catalog().catch(() => null));
  if (update) {
    deps.logger?.info({ serial: mi.serial, udid: mi.udid, os: mi.osVersion, minimum, to: update.details.OSVersion }, 'ADE enrollment: OS update required first');
    return { status: 403, updateRequired: update, machineInfo: mi };
  }
  const supervised = dep?.supervised ?? settings.supervised;
  const removable = dep?.removable ?? settings.mdm_removable;
  const awaitConfiguration = dep?.awaitConfiguration ?? settings.await_device_configured;
  const fallback = fallbackNote(dep);
  if (fallback) deps.logger?.info({ serial: mi.serial, depName: dep?.depName ?? null, settings: fallback.fromSettings }, `ADE enrollment: ${fallback.why}; ${fallback.fromSettings.join(', ')} from the ADE settings`);
  const profile = await deps.profile({ removable });
  await deps.store.recordAdeServed({
    udid: mi.udid,
    serial: mi.serial,
    depName: dep?.depName ?? null,
    profileUuid: dep?.profileUuid ?? null,
    product: mi.product,
    platform: mi.platform,
    osVersion: mi.osVersion,
    buildVersion: mi.buildVersion,
    language: mi.language,
    machineInfo: mi.raw,
    supervised,
    removable,
    awaitConfiguration,
    at,
  });
  deps.logger?.info({ serial: mi.serial, udid: mi.udid, depName: dep?.depName ?? null, profileUuid: dep?.profileUuid ?? null, profileFrom: dep?.profile ?? null, supervised, removable, awaitConfiguration }, 'ADE enrollment profile served');
  return { status: 200, profile, machineInfo: mi };
}
