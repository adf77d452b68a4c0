// DeviceInformation and SecurityInfo answers → the inventory fields they report. Lenient as devices
// are (PROTOCOL.md §1.7): booleans may come as strings or 0/1, numbers as reals, integers or strings;
// a value of the wrong kind is left out rather than failing the whole answer.
import { asBool, asNumber, toJSONSafe, type PlistDict, type PlistValue } from '../../plist/index.js';
import { platformOf } from '../../mdm/platform.js';
import type { Platform } from '../../mdm/types.js';
import type { InventoryPatch } from '../types.js';

/** A plain dictionary (a plist dict or a JSON object), not an array, data, date or real. */
export const isDict = (v: unknown): v is PlistDict =>
  typeof v === 'object' && v !== null && (Object.getPrototypeOf(v) ?? Object.prototype) === Object.prototype;

/** A trimmed, non-empty string (integers are taken as their text), else undefined. */
export function text(v: PlistValue | undefined): string | undefined {
  if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) return String(v);
  return undefined;
}

/** A finite number (reals, integers, numeric strings), else undefined. */
export function number(v: PlistValue | undefined): number | undefined {
  const n = asNumber(v);
  return n !== undefined && Number.isFinite(n) ? n : undefined;
}

/** An IANA time zone name this runtime knows (Europe/Paris, Etc/GMT+5), else undefined. */
export function ianaZone(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone ? name : undefined;
  } catch {
    return undefined;
  }
}

/** A model identifier such as Mac14,2, iPhone15,2 or iPad8,12 (not a marketing name or part number). */
const MODEL_IDENTIFIER = /^[A-Za-z][A-Za-z ]*\d+,\d+$/;

/** Which of ProductName and Model is the model identifier (iOS: ProductName; macOS: both). */
export function modelIdentifier(...candidates: Array<string | undefined>): string | undefined {
  return candidates.find((c) => c !== undefined && MODEL_IDENTIFIER.test(c));
}

/** Set `key` only when the value is known (undefined leaves the stored value as it is). */
function put<K extends keyof InventoryPatch>(patch: InventoryPatch, key: K, value: InventoryPatch[K] | undefined): void {
  if (value !== undefined) patch[key] = value;
}

/**
 * A DeviceInformation result's QueryResponses → inventory. `platform` is what is already known of the
 * device (used when the answer itself does not tell, e.g. for the board ID of a Mac).
 */
export function fromDeviceInformation(responses: PlistValue | undefined, known: Platform | null = null): InventoryPatch {
  const patch: InventoryPatch = {};
  if (!isDict(responses)) return patch;
  const r = responses;
  const productName = text(r.ProductName);
  const model = text(r.Model);
  const modelName = text(r.ModelName);
  const platform = platformOf(modelIdentifier(productName, model), productName, modelName) ?? known;
  if (platform && platform !== known) patch.platform = platform;
  put(patch, 'osVersion', text(r.OSVersion));
  put(patch, 'buildVersion', text(r.BuildVersion));
  put(patch, 'supplementalBuildVersion', text(r.SupplementalBuildVersion));
  // An empty SupplementalOSVersionExtra means no BSI/RSR is installed.
  if (typeof r.SupplementalOSVersionExtra === 'string') patch.supplementalOsVersionExtra = text(r.SupplementalOSVersionExtra) ?? null;
  put(patch, 'productName', productName);
  put(patch, 'model', modelIdentifier(productName, model));
  put(patch, 'modelName', modelName);
  put(patch, 'modelNumber', text(r.ModelNumber));
  put(patch, 'serialNumber', text(r.SerialNumber));
  put(patch, 'deviceName', text(r.DeviceName));
  const suId = text(r.SoftwareUpdateDeviceID);
  put(patch, 'softwareUpdateDeviceId', suId);
  // On a Mac, SoftwareUpdateDeviceID is its board ID (J413AP, Mac-937A206F2EE63C01).
  if (suId && platform === 'macOS') patch.boardId = suId;
  put(patch, 'isSupervised', asBool(r.IsSupervised));
  put(patch, 'isAppleSilicon', asBool(r.IsAppleSilicon));
  put(patch, 'deviceCapacity', number(r.DeviceCapacity));
  put(patch, 'availableDeviceCapacity', number(r.AvailableDeviceCapacity));
  const battery = number(r.BatteryLevel);
  // Devices without a battery gauge answer -1.
  if (battery !== undefined) patch.batteryLevel = battery >= 0 && battery <= 1 ? battery : null;
  put(patch, 'timeZone', ianaZone(text(r.TimeZone)));
  if (isDict(r.OSUpdateSettings)) patch.osUpdateSettings = toJSONSafe(r.OSUpdateSettings) as Record<string, unknown>;
  return patch;
}

/** A SecurityInfo result's SecurityInfo dictionary → enrollment and bootstrap-token facts. */
export function fromSecurityInfo(info: PlistValue | undefined): InventoryPatch {
  const patch: InventoryPatch = {};
  if (!isDict(info)) return patch;
  put(patch, 'bootstrapTokenRequiredForSoftwareUpdate', asBool(info.BootstrapTokenRequiredForSoftwareUpdate));
  const status = info.ManagementStatus;
  if (isDict(status)) {
    put(patch, 'enrolledViaDep', asBool(status.EnrolledViaDEP));
    put(patch, 'isUserEnrollment', asBool(status.IsUserEnrollment));
  }
  return patch;
}
