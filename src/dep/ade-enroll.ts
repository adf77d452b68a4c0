// The ADE enrollment URL's logic (the `url` of an ADE profile): the device posts its CMS-signed
// MachineInfo; Updraft checks the signature against the device CA, refuses unknown serials when told
// to, asks for an OS update first when the device is below the platform's minimum, else records the
// ADE enrollment and answers the enrollment profile (supervision and removability per the settings
// and the device's ADE profile). Nothing is stored for a refused request.
import { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import { readCertificates } from '../pki/pem.js';
import type { CatalogView } from '../osupdate/types.js';
import type { AdeStore, SettingStore } from '../storage/types.js';
import type { DepStore } from '../storage/types-dep.js';
import { effectiveAdeSettings, type AdeSettings } from './ade-settings.js';
import { MachineInfoError, verifyMachineInfo, type MachineInfo } from './machineinfo.js';
import { requiredUpdate, type SoftwareUpdateRequired } from './min-os.js';

/** What the DEP side knows of a serial (the device list synced from Apple Business Manager). */
export interface DepDeviceLookup {
  depName: string;
  profileUuid: string | null;
  /** From the device's ADE profile, when Updraft defined it; null: the settings decide. */
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

/** Looks serials up among the DEP devices synced from Apple (a device released from the organization is unknown). */
export function depLookupFrom(store: Pick<DepStore, 'getDepDevice'>): (serial: string) => Promise<DepDeviceLookup | null> {
  return async (serial) => {
    const d = await store.getDepDevice(serial);
    return d && d.opType !== 'deleted' ? { depName: d.depName, profileUuid: d.profileUuid } : null;
  };
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
    awaitConfiguration: dep?.awaitConfiguration ?? settings.await_device_configured,
    at,
  });
  deps.logger?.info({ serial: mi.serial, udid: mi.udid, depName: dep?.depName ?? null }, 'ADE enrollment profile served');
  return { status: 200, profile, machineInfo: mi };
}
