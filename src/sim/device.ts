// One simulated device's state: identity (UDID, serial, model), flags, installed profiles, the
// legacy OS update in progress and the DDM view. Plain data, so a fleet can be saved to a state
// file and restored with the same identities.
import { findModel, findRelease, MODELS, supports, type HardwareModel, type Platform } from './models.js';
import { flat, Rng } from './random.js';
import type { FleetGroup } from './scenario.js';

export interface LegacyUpdate {
  productKey: string;
  version: string;
  build: string;
  major: boolean;
  size: number;
  action: string;
  phase: 'downloading' | 'downloaded' | 'installing' | 'failed';
  percent: number;
  /** Simulated ms when percent was last brought up to date. */
  settledAt: number;
  /** Simulated ms the install in progress completes. */
  dueAt: number;
  /** The install waits for ScheduleOSUpdate to be sent again once downloaded. */
  needsResend: boolean;
  failure: string | null;
}

export interface DdmState {
  enabled: boolean;
  declarationsToken: string | null;
  /** identifier → { type, serverToken, payload } of the declarations fetched. */
  declarations: Record<string, { type: string; kind: string; serverToken: string; payload: Record<string, unknown> }>;
  /** Status items as last reported (dotted name → value). */
  reported: Record<string, unknown>;
  installState: string;
  pending: { version: string; build: string; targetLocalDateTime?: string } | null;
  failure: { count: number; reason?: string; timestamp?: string };
  lastFullReport: number;
  /** Simulated ms the current install-state step ends. */
  dueAt: number;
}

export interface DeviceState {
  index: number;
  platform: Platform;
  product: string;
  udid: string;
  /** User Enrollment: EnrollmentID instead of UDID. */
  enrollmentId: string | null;
  serial: string;
  name: string;
  osVersion: string;
  build: string;
  supervised: boolean;
  ade: boolean;
  userApproved: boolean;
  userEnrollment: boolean;
  acPower: boolean;
  locked: boolean;
  freeBytes: number;
  capacityBytes: number;
  utcOffsetHours: number;
  /** Push token (hex) and PushMagic given to the server in TokenUpdate. */
  token: string;
  pushMagic: string;
  /** macOS console user: the user channel (UDID:UserID). */
  user: { id: string; shortName: string; longName: string; token: string; pushMagic: string } | null;
  certDer: string | null;
  /** Index into the fleet's shared key pools (identity key, and the RSA key that signs its SCEP request). */
  keyIndex: number;
  /** The type of the identity key the device enrolled with. */
  keyType: 'rsa' | 'ec';
  enrolled: boolean;
  awaitingConfiguration: boolean;
  profiles: Array<{ identifier: string; uuid: string; displayName: string; payloadTypes: string[] }>;
  /** Product keys of configuration-data products installed, with the simulated ms they were. */
  installedProducts: Record<string, number>;
  lastScan: number;
  update: LegacyUpdate | null;
  ddm: DdmState;
  /** Simulated ms of the last boot. */
  bootedAt: number;
}

const GB = 1_000_000_000;
const APPLE_SILICON_UDID = (rng: Rng, chip: string) => flat(`${chip}-${rng.hex(16)}`);
const uuid = (rng: Rng) => flat(`${rng.hex(8)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}`);

function udidFor(model: HardwareModel, rng: Rng): string {
  if (model.product === 'iPhone10,4' || model.product === 'iPad7,5') return rng.hex(40).toLowerCase();
  if (model.arch === 'x86_64') return uuid(rng);
  return APPLE_SILICON_UDID(rng, `0000${rng.int(8100, 8140)}`);
}

/** Pre-2021 devices carry 12-character serials, later ones 10 random characters. */
function serialFor(model: HardwareModel, rng: Rng): string {
  const old = model.arch === 'x86_64' || ['iPhone10,4', 'iPhone12,1', 'iPad7,5'].includes(model.product);
  if (!old) return rng.alnum(10);
  return (model.platform === 'macos' ? 'C02' : 'F2L') + rng.alnum(9);
}

export function emptyDdm(): DdmState {
  return { enabled: false, declarationsToken: null, declarations: {}, reported: {}, installState: 'none', pending: null, failure: { count: 0 }, lastFullReport: 0, dueAt: 0 };
}

/** What an EraseDevice leaves: not enrolled, no identity, profiles, update or DDM state; an ADE device
 * awaits configuration when it enrolls again. */
export function erase(d: DeviceState): void {
  d.enrolled = false;
  d.certDer = null;
  d.profiles = [];
  d.update = null;
  d.ddm = emptyDdm();
  d.awaitingConfiguration = d.ade;
}

export function newDevice(index: number, group: FleetGroup, rng: Rng, now: number): DeviceState {
  const osVersion = rng.pick(group.os);
  const candidates = (group.models ?? MODELS.filter((m) => m.platform === group.platform).map((m) => m.product))
    .map(findModel).filter((m) => supports(m, osVersion));
  if (!candidates.length) throw new Error(`no ${group.platform} model runs ${osVersion}`);
  const model = rng.pick(candidates);
  const userEnrollment = group.platform !== 'macos' && rng.chance(group.userEnrollment);
  const ade = !userEnrollment && rng.chance(group.ade);
  const capacity = rng.pick(model.platform === 'macos' ? [256, 512, 1000] : [128, 256, 512]) * GB;
  const [lo, hi] = group.freeDiskGB;
  const serial = serialFor(model, rng);
  const udid = udidFor(model, rng);
  const first = rng.pick(['Alex', 'Sam', 'Robin', 'Kim', 'Jo', 'Lee', 'Max', 'Ana']);
  return {
    index,
    platform: model.platform,
    product: model.product,
    udid,
    enrollmentId: userEnrollment ? uuid(rng) : null,
    serial,
    name: flat(model.platform === 'macos' ? `${first}'s ${model.product.startsWith('MacBook') || /^Mac1[45],(2|12)$/.test(model.product) ? 'MacBook' : 'Mac'}` : `${first}'s ${model.platform === 'ios' ? 'iPhone' : 'iPad'}`),
    osVersion,
    build: findRelease(model.platform, osVersion).build,
    supervised: !userEnrollment && (ade || rng.chance(group.supervised)),
    ade,
    userApproved: rng.chance(group.userApproved),
    userEnrollment,
    acPower: rng.chance(group.acPower),
    locked: rng.chance(group.locked),
    freeBytes: Math.round((lo + rng.next() * (hi - lo)) * GB),
    capacityBytes: capacity,
    utcOffsetHours: rng.pick(group.utcOffsetHours),
    token: rng.hex(64).toLowerCase(),
    pushMagic: uuid(rng),
    user: model.platform === 'macos'
      ? { id: uuid(rng), shortName: first.toLowerCase(), longName: first, token: rng.hex(64).toLowerCase(), pushMagic: uuid(rng) }
      : null,
    certDer: null,
    keyIndex: index,
    keyType: 'rsa',
    enrolled: false,
    awaitingConfiguration: ade,
    profiles: [],
    installedProducts: {},
    lastScan: 0,
    update: null,
    ddm: emptyDdm(),
    bootedAt: now,
  };
}

export const model = (d: DeviceState): HardwareModel => findModel(d.product);

/** The keys that identify the device channel in every message. */
export const deviceIds = (d: DeviceState): Record<string, string> => (d.enrollmentId ? { EnrollmentID: d.enrollmentId } : { UDID: d.udid });

/** Shares equal DDM values between devices: every device of a fleet fetches the same declarations
 * and reports mostly the same status values, each parsed into its own objects (~2.7 KB a device).
 * ddm.ts replaces declarations and reported values whole and never edits one in place, so one
 * object can stand for all equal ones. Bounded: past `max` distinct values, new ones stay unshared. */
export class Interner {
  private readonly seen = new Map<string, unknown>();
  constructor(private readonly max = 20_000) {}

  share<T>(value: T): T {
    if (typeof value !== 'object' || value === null) return value;
    const key = JSON.stringify(value);
    const hit = this.seen.get(key);
    if (hit !== undefined) return hit as T;
    if (this.seen.size < this.max) this.seen.set(key, value);
    return value;
  }

  compactDdm(d: DeviceState): void {
    const { declarations, reported } = d.ddm;
    for (const id of Object.keys(declarations)) declarations[id] = this.share(declarations[id]);
    for (const name of Object.keys(reported)) reported[name] = this.share(reported[name]);
  }
}
