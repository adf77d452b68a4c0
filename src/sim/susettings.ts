// com.apple.configuration.softwareupdate.settings on the device (macOS 15+, iOS/iPadOS 18+): which
// active declarations it accepts (and the reasons it gives for one it cannot), how several combine
// (apply: combined, each key by its combine rule), and what the result changes: deferrals hide
// recent releases from the device's own discovery, RecommendedCadence narrows the offer, and
// AutomaticActions turn the device's own downloads and installs on or off. Computed from the
// declarations the device already keeps: no state of its own.
import type { DeviceState } from './device.js';
import { major, osFamily } from './models.js';
import { deviceSeed } from './random.js';
import type { Scenario } from './scenario.js';

export const SETTINGS = 'com.apple.configuration.softwareupdate.settings';

type Family = 'macos' | 'ios';
export type Mode = 'Allowed' | 'AlwaysOn' | 'AlwaysOff';
const MODES: Mode[] = ['Allowed', 'AlwaysOn', 'AlwaysOff'];
const CADENCES = ['All', 'Oldest', 'Newest'];
const DAY = 86_400_000;

/** Schema facts: the OS major that introduced the declaration, keys a platform does not have
 * ("introduced: n/a": ignored there), and keys an iPhone or iPad applies only when supervised. */
const INTRODUCED: Record<Family, number> = { macos: 15, ios: 18 };
const NOT_ON: Record<Family, string[]> = {
  macos: ['Deferrals.CombinedPeriodInDays', 'RecommendedCadence', 'Beta'],
  ios: ['Deferrals.MajorPeriodInDays', 'Deferrals.MinorPeriodInDays', 'Deferrals.SystemPeriodInDays', 'AutomaticActions.InstallSecurityUpdate', 'AllowStandardUserOSUpdates'],
};
const IOS_SUPERVISED_ONLY = ['Deferrals', 'AutomaticActions', 'RapidSecurityResponse', 'Beta.ProgramEnrollment', 'Beta.RequireProgram'];
/** Integer keys and their range; string keys and their values (the schema's rangelist order). */
const RANGES: Record<string, [number, number]> = {
  'Deferrals.CombinedPeriodInDays': [1, 90], 'Deferrals.MajorPeriodInDays': [1, 90], 'Deferrals.MinorPeriodInDays': [1, 90], 'Deferrals.SystemPeriodInDays': [1, 90],
};
const ENUMS: Record<string, string[]> = {
  RecommendedCadence: CADENCES, 'AutomaticActions.Download': MODES, 'AutomaticActions.InstallOSUpdates': MODES,
  'AutomaticActions.InstallSecurityUpdate': MODES, 'Beta.ProgramEnrollment': MODES,
};
const BOOLEANS = ['Notifications', 'AllowStandardUserOSUpdates', 'RapidSecurityResponse.Enable', 'RapidSecurityResponse.EnableRollback'];

export interface Reason { code: string; description?: string; details?: Record<string, unknown> }

export interface Settings {
  notifications: boolean;
  /** Days; 0 = no deferral. Combined is iOS's, the others macOS's. */
  deferrals: { combined: number; major: number; minor: number; system: number };
  cadence: string;
  download: Mode;
  installOS: Mode;
  installSecurity: Mode;
  rsr: { enable: boolean; rollback: boolean };
  allowStandardUserOSUpdates: boolean;
  beta: { enrollment: Mode; offer: Array<{ Description: string; Token: string }>; require: { Description: string; Token: string } | null };
}

/** Identifiers of configurations referenced by an activation. */
function activeConfigs(d: DeviceState): Set<string> {
  const out = new Set<string>();
  for (const decl of Object.values(d.ddm.declarations)) {
    if (decl.kind !== 'activation') continue;
    for (const id of (decl.payload.StandardConfigurations as string[] | undefined) ?? []) out.add(id);
  }
  return out;
}

/** The active configurations of a type, [identifier, payload] in identifier order (the order
 * declarations of one type combine in). */
export function activeOfType(d: DeviceState, type: string): Array<[string, Record<string, unknown>]> {
  const active = activeConfigs(d);
  return Object.entries(d.ddm.declarations).filter(([id, x]) => x.type === type && active.has(id)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id, x]) => [id, x.payload]);
}

/** Whether a configuration the activations reference is one the device applies. */
export function isActive(d: DeviceState, id: string): boolean {
  const decl = d.ddm.declarations[id];
  if (!decl || decl.kind !== 'configuration' || !activeConfigs(d).has(id)) return decl !== undefined && decl.kind !== 'configuration';
  return decl.type !== SETTINGS || validity(d, decl.type, decl.payload).length === 0;
}

/** The settings in force: the combined valid, active softwareupdate.settings, or null for none. */
export function settingsOf(d: DeviceState): Settings | null {
  const payloads = activeOfType(d, SETTINGS).filter(([, p]) => validity(d, SETTINGS, p).length === 0).map(([, p]) => p);
  return payloads.length ? combine(d, payloads) : null;
}

const get = (payload: Record<string, unknown>, path: string): unknown =>
  path.split('.').reduce<unknown>((at, k) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[k] : undefined), payload);

/** Whether the device accepts a settings declaration, and if not, the reasons it reports. */
export function validity(d: DeviceState, type: string, payload: Record<string, unknown>): Reason[] {
  const fam = osFamily(d.platform);
  if (major(d.osVersion) < INTRODUCED[fam]) return [{ code: 'Error.UnknownDeclarationType', description: 'Unknown Declaration Type', details: { UnknownDeclarationType: type } }];
  if (d.userEnrollment || (fam === 'macos' && !d.supervised)) {
    return [{ code: 'Error.ConfigurationCannotBeApplied', description: 'The configuration is not supported for this enrollment type.', details: { Type: type } }];
  }
  const bad: string[] = [];
  for (const [key, [lo, hi]] of Object.entries(RANGES)) {
    const v = get(payload, key);
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi)) bad.push(key);
  }
  for (const [key, values] of Object.entries(ENUMS)) {
    const v = get(payload, key);
    if (v !== undefined && !values.includes(v as string)) bad.push(key);
  }
  for (const key of BOOLEANS) {
    const v = get(payload, key);
    if (v !== undefined && typeof v !== 'boolean') bad.push(key);
  }
  return bad.length ? [{ code: 'Error.ConfigurationCannotBeDeserialized', description: 'The configuration payload is invalid.', details: { InvalidKeys: bad } }] : [];
}

/** Whether the device applies this key (it ignores keys its platform lacks, and on an unsupervised
 * iPhone or iPad the supervised-only ones). */
function applies(d: DeviceState, path: string): boolean {
  const fam = osFamily(d.platform);
  const under = (list: string[]) => list.some((k) => path === k || path.startsWith(k + '.'));
  if (under(NOT_ON[fam])) return false;
  return !(fam === 'ios' && !d.supervised && under(IOS_SUPERVISED_ONLY));
}

/** The combined settings of the active, valid declarations (in identifier order): number-max for
 * deferrals, enum-last (the value latest in the schema's list wins) for modes and cadence,
 * boolean-and for booleans, set-union for offered beta programs, first for the required one. */
export function combine(d: DeviceState, payloads: Array<Record<string, unknown>>): Settings {
  const s: Settings = {
    notifications: true, deferrals: { combined: 0, major: 0, minor: 0, system: 0 }, cadence: 'All',
    download: 'Allowed', installOS: 'Allowed', installSecurity: 'Allowed', rsr: { enable: true, rollback: true },
    allowStandardUserOSUpdates: true, beta: { enrollment: 'Allowed', offer: [], require: null },
  };
  const val = (p: Record<string, unknown>, key: string): unknown => (applies(d, key) ? get(p, key) : undefined);
  const last = <T extends string>(list: readonly string[], a: T, b: unknown): T => (typeof b === 'string' && list.indexOf(b) > list.indexOf(a) ? (b as T) : a);
  const and = (a: boolean, b: unknown) => a && b !== false;
  const max = (a: number, b: unknown) => (typeof b === 'number' ? Math.max(a, b) : a);
  for (const p of payloads) {
    s.notifications = and(s.notifications, val(p, 'Notifications'));
    s.deferrals = {
      combined: max(s.deferrals.combined, val(p, 'Deferrals.CombinedPeriodInDays')), major: max(s.deferrals.major, val(p, 'Deferrals.MajorPeriodInDays')),
      minor: max(s.deferrals.minor, val(p, 'Deferrals.MinorPeriodInDays')), system: max(s.deferrals.system, val(p, 'Deferrals.SystemPeriodInDays')),
    };
    s.cadence = last(CADENCES, s.cadence, val(p, 'RecommendedCadence'));
    s.download = last(MODES, s.download, val(p, 'AutomaticActions.Download'));
    s.installOS = last(MODES, s.installOS, val(p, 'AutomaticActions.InstallOSUpdates'));
    s.installSecurity = last(MODES, s.installSecurity, val(p, 'AutomaticActions.InstallSecurityUpdate'));
    s.rsr = { enable: and(s.rsr.enable, val(p, 'RapidSecurityResponse.Enable')), rollback: and(s.rsr.rollback, val(p, 'RapidSecurityResponse.EnableRollback')) };
    s.allowStandardUserOSUpdates = and(s.allowStandardUserOSUpdates, val(p, 'AllowStandardUserOSUpdates'));
    s.beta = {
      enrollment: last(MODES, s.beta.enrollment, val(p, 'Beta.ProgramEnrollment')),
      offer: [...s.beta.offer, ...((val(p, 'Beta.OfferPrograms') as Settings['beta']['offer'] | undefined) ?? []).filter((x) => !s.beta.offer.some((o) => o.Token === x.Token))],
      require: s.beta.require ?? ((val(p, 'Beta.RequireProgram') as Settings['beta']['require'] | undefined) ?? null),
    };
  }
  return s;
}

/** Days a release of this kind is held back from the device's own discovery. */
export function deferralDays(d: DeviceState, s: Settings, kind: { major: boolean; configData: boolean }): number {
  if (osFamily(d.platform) === 'ios') return kind.configData ? 0 : s.deferrals.combined;
  return kind.configData ? s.deferrals.system : kind.major ? s.deferrals.major : s.deferrals.minor;
}

/** A release is hidden while it is fewer than `days` days old (by the simulated clock). */
export const deferred = (released: number | undefined, days: number, now: number): boolean =>
  days > 0 && released !== undefined && now - released < days * DAY;

/** RecommendedCadence (iOS): of several OS versions offered, All shows each, Oldest the lowest, Newest the highest. */
export function byCadence<T extends { version: string; configData: boolean }>(s: Settings, items: T[], compare: (a: string, b: string) => number): T[] {
  const os = items.filter((i) => !i.configData);
  if (s.cadence === 'All' || os.length < 2) return items;
  const pick = os.reduce((a, b) => ((compare(b.version, a.version) < 0) === (s.cadence === 'Oldest') ? b : a));
  return items.filter((i) => i.configData || i === pick);
}

/** A user preference fixed per device (hashed from the seed and index: nothing stored). */
const userChoice = (d: DeviceState, scenario: Scenario, salt: number, p: number): boolean =>
  p > 0 && deviceSeed(scenario.seed ^ salt, d.index) / 0x1_0000_0000 < p;

/** Whether the device downloads, installs OS updates, installs security/system-data updates by itself. */
export function automatic(d: DeviceState, s: Settings, scenario: Scenario): { download: boolean; installOS: boolean; installSecurity: boolean } {
  const on = (mode: Mode, user: boolean) => mode === 'AlwaysOn' || (mode === 'Allowed' && user);
  const download = on(s.download, userChoice(d, scenario, 0xd0, scenario.quirks.userAutoDownload)) || (s.download !== 'AlwaysOff' && s.installOS === 'AlwaysOn');
  return {
    download,
    installOS: download && on(s.installOS, userChoice(d, scenario, 0x1a, scenario.quirks.userAutoInstall)),
    installSecurity: osFamily(d.platform) === 'macos' && s.installSecurity === 'AlwaysOn', // the user's own choice is not simulated
  };
}

/** softwareupdate.beta-enrollment: the program the device is enrolled in ("" for none). */
export function betaProgram(s: Settings): string {
  if (s.beta.enrollment === 'AlwaysOff') return '';
  return s.beta.enrollment === 'AlwaysOn' && s.beta.require ? s.beta.require.Description : '';
}
