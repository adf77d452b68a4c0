// What an admin sets for ADE enrollment, globally and per DEP name (a DEP name's settings override
// the global ones key by key). Kept as JSON in the settings table under "ade" and "ade:NAME".
import { buildCommand, fromMicroMDMJson, CommandValidationError, type WireCommand } from '../commands/index.js';
import type { Platform } from '../mdm/types.js';
import type { SettingStore } from '../storage/types.js';

export const ADE_PLATFORMS: readonly Platform[] = ['macOS', 'iOS', 'iPadOS', 'tvOS', 'visionOS'];

export interface AdeSettings {
  /** Oldest OS each platform may enroll with (Setup Assistant updates first: 403 com.apple.softwareupdate.required). */
  minimum_os: Partial<Record<Platform, string>>;
  /** A serial no DEP name lists: "allow" (default) enrolls it, "refuse" answers 403. */
  unknown_serials: 'allow' | 'refuse';
  /** Whether the enrollment is recorded supervised (ADE profiles supervise by default). */
  supervised: boolean;
  /** Whether the user may remove the enrollment profile (is_mdm_removable). */
  mdm_removable: boolean;
  /** Await Configuration: hold the device in Setup Assistant until the initial commands are sent, then DeviceConfigured. */
  await_device_configured: boolean;
  /** Commands sent once at enrollment, MicroMDM JSON without udid: {"request_type": "…", …fields}. */
  initial_commands: Array<Record<string, unknown>>;
}

export const DEFAULT_ADE_SETTINGS: AdeSettings = {
  minimum_os: {},
  unknown_serials: 'allow',
  supervised: true,
  mdm_removable: false,
  await_device_configured: true,
  initial_commands: [],
};

export class AdeSettingsError extends Error {
  override name = 'AdeSettingsError';
}

const VERSION = /^\d+(\.\d+){0,2}$/;
const keyOf = (depName: string | null): string => (depName ? `ade:${depName}` : 'ade');

/** Checks a (partial) settings document as the API takes it; throws AdeSettingsError naming the key. */
export function validateAdeSettings(input: unknown): Partial<AdeSettings> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new AdeSettingsError('settings must be a JSON object');
  const out: Partial<AdeSettings> = {};
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    switch (key) {
      case 'minimum_os': {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AdeSettingsError('minimum_os must be an object of platform → version');
        const min: Partial<Record<Platform, string>> = {};
        for (const [p, v] of Object.entries(value as Record<string, unknown>)) {
          if (!ADE_PLATFORMS.includes(p as Platform)) throw new AdeSettingsError(`minimum_os: unknown platform ${JSON.stringify(p)} (one of ${ADE_PLATFORMS.join(', ')})`);
          if (v === null || v === '') continue;
          if (typeof v !== 'string' || !VERSION.test(v)) throw new AdeSettingsError(`minimum_os.${p} must be a version such as "17.4", got ${JSON.stringify(v)}`);
          min[p as Platform] = v;
        }
        out.minimum_os = min;
        break;
      }
      case 'unknown_serials':
        if (value !== 'allow' && value !== 'refuse') throw new AdeSettingsError('unknown_serials must be "allow" or "refuse"');
        out.unknown_serials = value;
        break;
      case 'supervised':
      case 'mdm_removable':
      case 'await_device_configured':
        if (typeof value !== 'boolean') throw new AdeSettingsError(`${key} must be true or false`);
        out[key] = value;
        break;
      case 'initial_commands':
        if (!Array.isArray(value)) throw new AdeSettingsError('initial_commands must be an array of commands ({"request_type": …})');
        value.forEach((c, i) => {
          try {
            if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new AdeSettingsError('must be an object');
            if ((c as Record<string, unknown>).request_type === 'DeviceConfigured') throw new AdeSettingsError('DeviceConfigured is sent by Updraft after the others');
            fromMicroMDMJson({ ...(c as Record<string, unknown>), udid: 'check' });
          } catch (e) {
            if (e instanceof CommandValidationError || e instanceof AdeSettingsError) throw new AdeSettingsError(`initial_commands[${i}]: ${e.message}`);
            throw e;
          }
        });
        out.initial_commands = value as Array<Record<string, unknown>>;
        break;
      default:
        throw new AdeSettingsError(`unknown setting ${JSON.stringify(key)}`);
    }
  }
  return out;
}

async function readPart(store: SettingStore, depName: string | null): Promise<Partial<AdeSettings>> {
  const raw = await store.getSetting(keyOf(depName));
  if (!raw) return {};
  try {
    return validateAdeSettings(JSON.parse(raw));
  } catch {
    return {};
  }
}

/** The settings as stored for one scope (global with null), without defaults. */
export const storedAdeSettings = readPart;

/** The settings in force for a device of `depName` (defaults ← global ← the DEP name's). */
export async function effectiveAdeSettings(store: SettingStore, depName: string | null): Promise<AdeSettings> {
  const global = await readPart(store, null);
  const own = depName ? await readPart(store, depName) : {};
  return { ...DEFAULT_ADE_SETTINGS, ...global, ...own };
}

/** Replaces one scope's settings (validated); returns what is stored. */
export async function saveAdeSettings(store: SettingStore, depName: string | null, input: unknown): Promise<Partial<AdeSettings>> {
  const checked = validateAdeSettings(input);
  await store.setSetting(keyOf(depName), JSON.stringify(checked));
  return checked;
}

/** The Await Configuration commands, built: the admin's initial commands, then DeviceConfigured. */
export function configurationCommands(settings: AdeSettings): WireCommand[] {
  const out = settings.initial_commands.map((c) => {
    const parsed = fromMicroMDMJson({ ...c, udid: 'ade' });
    return buildCommand(parsed.requestType, parsed.payload); // a new CommandUUID per device
  });
  out.push(buildCommand('DeviceConfigured', {}));
  return out;
}
