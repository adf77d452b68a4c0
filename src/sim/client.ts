// The device side of the MDM protocol over HTTP: SCEP enrollment, Authenticate and TokenUpdate on
// the device and user channels, every request signed with Mdm-Signature, and the command loop
// (Idle → command → result → … until the server answers with an empty body).
import { buildPlist, parsePlist, type BuildInput, type PlistDict } from '../plist/index.js';
import { deviceIds, type DeviceState } from './device.js';
import { compareVersions } from './models.js';
import type { Http, HttpReply } from './http.js';
import { createHash, type KeyObject } from 'node:crypto';
import { signedData, type Digest, type KeyPool } from './pki.js';
import type { Enrollment } from './profile.js';
import { pkiOperation, scepEnroll } from './scep.js';
import { cloudConfig, fetchAdeProfile, UpdateRequired, updateInSetupAssistant, type AdeCa } from './ade.js';
import type { Stats } from './stats.js';

export const CHECKIN_TYPE = 'application/x-apple-aspen-mdm-checkin';
export const CONNECT_TYPE = 'application/x-apple-aspen-mdm';

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

export interface Channel {
  ids: Record<string, string>;
  token: string;
  pushMagic: string;
}

export function channels(d: DeviceState, enrollment: Enrollment): Channel[] {
  const device = { ids: deviceIds(d), token: d.token, pushMagic: d.pushMagic };
  if (!d.user || !enrollment.capabilities.includes('com.apple.mdm.per-user-connections')) return [device];
  const user = { ids: { UDID: d.udid, UserID: d.user.id, UserShortName: d.user.shortName, UserLongName: d.user.longName }, token: d.user.token, pushMagic: d.user.pushMagic };
  return [device, user];
}

export type KeyType = 'rsa' | 'ec';

export interface KeyPools {
  rsa: KeyPool;
  ec: KeyPool;
}

export class Client {
  constructor(
    readonly http: Http, readonly enrollment: Enrollment, readonly keys: KeyPools, readonly stats: Stats, readonly now: () => number,
    readonly keyType: KeyType = 'rsa',
    /** With a device CA, ADE devices enroll through the server's ADE URL (signed MachineInfo → profile). */
    readonly ade: { server: string; ca: AdeCa; depUrl?: string | null } | null = null,
    readonly digest: Digest = 'sha256',
  ) {}

  /** The device's identity key, from the shared pool of its type. */
  private identityKey(d: DeviceState): Promise<KeyObject> {
    return this.keys[d.keyType].key(d.keyIndex);
  }

  private async signed(url: string, body: Buffer, contentType: string, d: DeviceState, kind: string): Promise<HttpReply> {
    const headers: Record<string, string> = { 'content-type': contentType };
    if (this.enrollment.signMessage && d.certDer) {
      const key = await this.identityKey(d);
      const t = process.cpuUsage();
      headers['mdm-signature'] = signedData({ content: body, detached: true, certDer: Buffer.from(d.certDer, 'base64'), key, at: new Date(this.now()), digest: this.digest }).toString('base64');
      this.stats.signCpu(process.cpuUsage(t));
    }
    const started = performance.now();
    try {
      const res = await this.http.request('PUT', url, body, headers);
      this.stats.roundTrip(kind, performance.now() - started, res.status);
      return res;
    } catch (err) {
      this.stats.roundTrip(kind, performance.now() - started, 0);
      throw err;
    }
  }

  async checkin(d: DeviceState, message: Record<string, BuildInput>): Promise<HttpReply> {
    const res = await this.signed(this.enrollment.checkinUrl, Buffer.from(buildPlist(message)), CHECKIN_TYPE, d, 'checkin');
    if (res.status !== 200) throw new ProtocolError(`${String(message.MessageType)} answered ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
    return res;
  }

  /** ADE: the profile from the ADE URL (signed MachineInfo, then SCEP afresh); SCEP (once), then Authenticate and TokenUpdate for each channel. */
  async enroll(d: DeviceState): Promise<void> {
    const enrollment = await this.profile(d);
    if (!d.certDer) await this.scep(d, enrollment);
    await this.authenticate(d);
    await this.tokenUpdates(d);
    await this.bootstrapToken(d);
    d.enrolled = true;
  }

  /** The profile the device enrolls with: for an ADE device (with a device CA) the one its signed
   * MachineInfo gets from the ADE URL, which also takes its identity away; else the fleet's. */
  async profile(d: DeviceState): Promise<Enrollment> {
    if (!d.ade || !this.ade) return this.enrollment;
    const started = performance.now();
    const key = await this.keys.rsa.key(d.keyIndex);
    // With a DEP service, the profile Apple Business Manager assigned says where to post MachineInfo.
    const cloud = this.ade.depUrl ? await cloudConfig(this.http, this.ade.depUrl, d.serial) : null;
    const url = cloud?.url ?? null;
    const enrollment = await fetchAdeProfile(this.http, this.ade.server, d, this.ade.ca, key, url).catch(async (e: Error) => {
      if (!(e instanceof UpdateRequired)) throw e;
      updateInSetupAssistant(d, e); // as Setup Assistant does, then it asks again
      return fetchAdeProfile(this.http, this.ade!.server, d, this.ade!.ca, key, url);
    });
    this.stats.roundTrip('ade', performance.now() - started, 200);
    d.certDer = null; // the ADE profile's SCEP payload gives the device a new identity
    // Setup Assistant waits for DeviceConfigured when the ADE profile says so (always without a DEP service).
    d.awaitingConfiguration = cloud ? cloud.awaitDeviceConfigured : true;
    if (cloud?.supervised != null) d.supervised = cloud.supervised;
    return enrollment;
  }

  /** SCEP: GetCACert (unless `caDer` is given, from an earlier GetCACert), then PKIOperation; the device gets its identity. */
  async scep(d: DeviceState, enrollment: Enrollment, caDer?: Buffer): Promise<void> {
    d.keyType = this.keyType;
    const signerKey = await this.keys.rsa.key(d.keyIndex);
    const key = await this.identityKey(d);
    const started = performance.now();
    const req = { url: enrollment.scepUrl, key, signerKey, subject: enrollment.subject, challenge: enrollment.challenge, cn: d.serial, at: new Date() };
    const cert = caDer ? await pkiOperation(this.http, req, caDer) : await scepEnroll(this.http, req);
    this.stats.roundTrip('scep', performance.now() - started, 200);
    d.certDer = cert.toString('base64');
  }

  async authenticate(d: DeviceState): Promise<void> {
    await this.checkin(d, {
      MessageType: 'Authenticate', Topic: this.enrollment.topic, ...deviceIds(d), BuildVersion: d.build, OSVersion: d.osVersion, ProductName: d.product,
      ...(d.enrollmentId ? {} : { SerialNumber: d.serial, DeviceName: d.name, Model: d.product, ModelName: d.platform === 'macos' ? 'Mac' : d.platform === 'ios' ? 'iPhone' : 'iPad' }),
    });
  }

  /** TokenUpdate on each channel (device, and the user's where the server takes per-user connections). */
  async tokenUpdates(d: DeviceState): Promise<void> {
    for (const ch of channels(d, this.enrollment)) {
      await this.checkin(d, {
        MessageType: 'TokenUpdate', Topic: this.enrollment.topic, ...ch.ids, Token: Buffer.from(ch.token, 'hex'), PushMagic: ch.pushMagic,
        ...(ch.ids.UserID ? {} : { AwaitingConfiguration: d.awaitingConfiguration }),
      });
    }
  }

  /** A supervised Mac (10.15 and later) escrows its bootstrap token once a secure-token user logs in;
   * the profile advertises com.apple.mdm.bootstraptoken, so it does at enrollment here. */
  async bootstrapToken(d: DeviceState): Promise<void> {
    if (escrowsBootstrapToken(d)) {
      await this.checkin(d, { MessageType: 'SetBootstrapToken', ...deviceIds(d), BootstrapToken: createHash('sha256').update(`bootstrap:${d.udid}`).digest() });
    }
  }

  /** One PUT on the command channel; returns the next command, or null on an empty body. */
  async report(d: DeviceState, ch: Channel, status: string, extra: Record<string, BuildInput> = {}): Promise<PlistDict | null> {
    const body = Buffer.from(buildPlist({ ...extra, Status: status, ...ch.ids }));
    const res = await this.signed(this.enrollment.serverUrl, body, CONNECT_TYPE, d, status === 'Idle' ? 'idle' : 'result');
    if (res.status !== 200) throw new ProtocolError(`command channel answered ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
    if (res.body.length === 0) return null;
    const reply = parsePlist(res.body) as PlistDict;
    return typeof reply.CommandUUID === 'string' ? reply : null;
  }
}

/** Supervised Macs on 10.15 or later escrow a bootstrap token with a server that advertises it. */
export const escrowsBootstrapToken = (d: DeviceState): boolean =>
  d.platform === 'macos' && d.supervised && d.enrollmentId === null && compareVersions(d.osVersion, '10.15') >= 0;
