// Automated Device Enrollment from the device side: the MachineInfo plist (Apple's keys), signed with
// the device's own identity issued by "Apple's device CA" (a test CA the caller supplies), posted to
// the ADE enrollment URL; the answer is the enrollment profile, or 403 with the OS update required
// before enrolling (com.apple.softwareupdate.required).
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { buildPlist, type BuildInput } from '../plist/index.js';
import type { DeviceState } from './device.js';
import type { Http } from './http.js';
import { compareVersions, findRelease } from './models.js';
import { issuedCert, signedData } from './pki.js';
import { readProfile, rebaseUrl, ProfileError, type Enrollment } from './profile.js';

export const ADE_ENROLL_PATH = '/mdm/ade/enroll';

export interface AdeCa {
  certDer: Buffer;
  key: KeyObject;
}

/** The device CA from PEM text (certificate and private key). */
export function adeCa(certPem: string, keyPem: string): AdeCa {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(certPem);
  if (!m) throw new Error('the ADE device CA file holds no certificate');
  return { certDer: Buffer.from(m[1].replace(/\s+/g, ''), 'base64'), key: createPrivateKey(keyPem) };
}

/** The OS from which MachineInfo carries OS_VERSION and the device can update in Setup Assistant. */
const UPDATE_FLOW_FROM: Record<string, string> = { macos: '14.0', ios: '17.0', ipados: '17.0' };

export function machineInfo(d: DeviceState): Record<string, BuildInput> {
  const from = UPDATE_FLOW_FROM[d.platform];
  const modern = from !== undefined && compareVersions(d.osVersion, from) >= 0;
  return {
    UDID: d.udid, SERIAL: d.serial, PRODUCT: d.product, VERSION: d.build, LANGUAGE: 'en',
    ...(modern ? { OS_VERSION: d.osVersion, MDM_CAN_REQUEST_SOFTWARE_UPDATE: true } : {}),
  };
}

/** The server asked for an OS update before enrollment (403 com.apple.softwareupdate.required). */
export class UpdateRequired extends Error {
  override name = 'UpdateRequired';
  constructor(readonly osVersion: string, readonly buildVersion: string | null) {
    super(`the server requires ${osVersion}${buildVersion ? ` (${buildVersion})` : ''} before enrollment`);
  }
}

/** What Setup Assistant takes from the ADE profile assigned to the device. */
export interface CloudConfig {
  /** Where to post MachineInfo. */
  url: string | null;
  /** is_supervised when the profile states it (iOS 13 and later supervise every ADE device anyway). */
  supervised: boolean | null;
  /** await_device_configured (Apple's default false): Setup Assistant waits for DeviceConfigured. */
  awaitDeviceConfigured: boolean;
}

/** The DEP service's answer for a serial in Setup Assistant (the fake DEP's /_fake/cloudconfig stands
 * for Apple's activation step); null when no ADE profile is assigned. */
export async function cloudConfig(http: Http, depUrl: string, serial: string): Promise<CloudConfig | null> {
  const res = await http.request('POST', `${depUrl.replace(/\/$/, '')}/_fake/cloudconfig/${encodeURIComponent(serial)}`, Buffer.alloc(0));
  if (res.status === 404) return null;
  if (res.status !== 200) throw new ProfileError(`DEP cloud configuration answered ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`);
  const p = (JSON.parse(res.body.toString('utf8')) as { profile?: { url?: unknown; is_supervised?: unknown; await_device_configured?: unknown } }).profile ?? {};
  return {
    url: typeof p.url === 'string' && p.url ? p.url : null,
    supervised: typeof p.is_supervised === 'boolean' ? p.is_supervised : null,
    awaitDeviceConfigured: p.await_device_configured === true,
  };
}

/** Tells the DEP service (the fake's admin route) about devices, as Apple Business Manager lists purchases. */
export async function registerWithDep(http: Http, depUrl: string, devices: DeviceState[]): Promise<void> {
  if (devices.length === 0) return;
  const family = (d: DeviceState) => (d.platform === 'macos' ? 'Mac' : d.platform === 'ios' ? 'iPhone' : 'iPad');
  const body = { devices: devices.map((d) => ({ serial_number: d.serial, model: d.product, os: d.platform === 'macos' ? 'OSX' : 'iOS', device_family: family(d), description: d.name })) };
  const res = await http.request('POST', `${depUrl.replace(/\/$/, '')}/_fake/devices`, Buffer.from(JSON.stringify(body)), { 'content-type': 'application/json' });
  if (res.status !== 200) throw new ProfileError(`DEP device registration answered ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`);
}

/** Posts the signed MachineInfo and reads the profile the server answers (`url`: the ADE profile's, else the server's ADE path). */
export async function fetchAdeProfile(http: Http, server: string, d: DeviceState, ca: AdeCa, key: KeyObject, url?: string | null): Promise<Enrollment> {
  const cert = issuedCert(key, d.udid, ca.certDer, ca.key, new Date());
  const body = signedData({ content: Buffer.from(buildPlist(machineInfo(d))), detached: false, certDer: cert, key, at: new Date() });
  const target = url ? rebaseUrl(url, server) : server.replace(/\/$/, '') + ADE_ENROLL_PATH;
  const res = await http.request('POST', target, body, { 'content-type': 'application/pkcs7-signature' });
  if (res.status === 403) {
    let json: { code?: string; details?: { OSVersion?: string; BuildVersion?: string } } = {};
    try {
      json = JSON.parse(res.body.toString('utf8')) as typeof json;
    } catch {
      // not the update body
    }
    if (json.code === 'com.apple.softwareupdate.required' && json.details?.OSVersion) throw new UpdateRequired(json.details.OSVersion, json.details.BuildVersion ?? null);
  }
  if (res.status !== 200) throw new ProfileError(`POST ${new URL(target).pathname} answered ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
  return readProfile(res.body, server);
}

/** The device installs the release the server asked for (Setup Assistant's update before enrollment). */
export function updateInSetupAssistant(d: DeviceState, req: UpdateRequired): void {
  let build = req.buildVersion;
  if (!build) {
    try {
      build = findRelease(d.platform, req.osVersion).build;
    } catch {
      build = d.build;
    }
  }
  d.osVersion = req.osVersion;
  d.build = build;
}
