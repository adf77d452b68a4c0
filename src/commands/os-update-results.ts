// Hand-tuned typed shapes for the legacy OS update results (PROTOCOL.md §2): AvailableOSUpdates items,
// OSUpdateStatus items and ScheduleOSUpdate UpdateResults, each with every field present (null, or the
// schema's default, when the device left it out) so campaign and inventory code can read them directly.
// They refine the schema-typed response (results.ts); keys newer than the schema are kept after them.
import type { PlistDict } from '../plist/index.js';
import type { ExplainedError } from './results.js';

/** Refines the schema-typed response of one command; may add or replace warnings. */
export type ResponseRefiner = (response: Record<string, unknown>, raw: PlistDict, warnings: string[]) => Record<string, unknown>;

export interface AvailableOsUpdate {
  product_key: string | null;
  human_readable_name: string | null;
  human_readable_name_locale: string | null;
  product_name: string | null;
  /** Marketing version ("14.6.1"); null when the device gave only a build where the version belongs. */
  version: string | null;
  /** Build; macOS major installers in 2018 sent it as Version ("18A391") and no Build. */
  build: string | null;
  /** Bytes; devices have sent it as <real>. */
  download_size: number | null;
  install_size: number | null;
  is_critical: boolean;
  is_config_data_update: boolean;
  is_firmware_update: boolean;
  is_major_os_update: boolean;
  is_security_response: boolean;
  restart_required: boolean;
  allows_install_later: boolean;
  requires_bootstrap_token: boolean;
  deferred_until: string | null;
  metadata_url: string | null;
  app_identifiers_to_close: string[];
  supplemental_build_version: string | null;
  supplemental_os_version_extra: string | null;
}

export interface OsUpdateStatusItem {
  product_key: string | null;
  /** Idle, Downloading (includes preparing) or Installing. */
  status: string | null;
  is_downloaded: boolean | null;
  /** 0.0 to 1.0, not a percentage. */
  download_percent_complete: number | null;
  max_deferrals: number | null;
  deferrals_remaining: number | null;
  next_scheduled_install: string | null;
  past_notifications: string[];
  error_chain: ExplainedError[] | null;
}

export interface UpdateResult {
  product_key: string | null;
  /** What the device scheduled (never "Default"); "Error" when it could not. */
  install_action: string | null;
  status: string | null;
  error_chain: ExplainedError[] | null;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'string' && v !== '' && Number.isFinite(Number(v)) ? Number(v) : null);
const bool = (v: unknown, fallback: boolean): boolean => (typeof v === 'boolean' ? v : fallback);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const chain = (v: unknown): ExplainedError[] | null => (Array.isArray(v) && v.every(isObj) ? (v as unknown as ExplainedError[]) : null);

/** A build number such as 18A391, 23G93 or 22F770820d, as opposed to a version such as 14.6.1. */
export const looksLikeBuild = (s: string): boolean => /^\d{1,2}[A-Z]\d{1,6}[a-z]?$/.test(s);

/** The fixed fields first, then whatever else the device sent (newer keys stay visible). */
function withRest<T extends object>(fixed: T, item: Obj): T & Obj {
  const out: Obj = { ...(fixed as Obj) };
  for (const [k, v] of Object.entries(item)) {
    if (!(k in out)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out as T & Obj;
}

function items(response: Obj, key: string): Obj[] {
  const v = response[key];
  return Array.isArray(v) ? v.filter(isObj) : [];
}

function availableItem(item: Obj, index: number, warnings: string[]): AvailableOsUpdate & Obj {
  const reported = str(item.version);
  let version = reported;
  let build = str(item.build);
  if (reported !== null && looksLikeBuild(reported)) {
    version = null; // a build where the version belongs: the marketing version is not known from the item
    if (build === null) {
      build = reported;
      // The build was there, under Version: not a missing key.
      const at = warnings.indexOf(`AvailableOSUpdates[${index}].Build: required key missing`);
      if (at >= 0) warnings.splice(at, 1);
    }
  }
  return withRest<AvailableOsUpdate>({
    product_key: str(item.product_key),
    human_readable_name: str(item.human_readable_name),
    human_readable_name_locale: str(item.human_readable_name_locale),
    product_name: str(item.product_name),
    version,
    build,
    download_size: num(item.download_size),
    install_size: num(item.install_size),
    is_critical: bool(item.is_critical, false),
    is_config_data_update: bool(item.is_config_data_update, false),
    is_firmware_update: bool(item.is_firmware_update, false),
    is_major_os_update: bool(item.is_major_os_update, false),
    is_security_response: bool(item.is_security_response, false),
    restart_required: bool(item.restart_required, false),
    allows_install_later: bool(item.allows_install_later, false),
    requires_bootstrap_token: bool(item.requires_bootstrap_token, false),
    deferred_until: str(item.deferred_until),
    metadata_url: str(item.metadata_url),
    app_identifiers_to_close: strings(item.app_identifiers_to_close),
    supplemental_build_version: str(item.supplemental_build_version),
    supplemental_os_version_extra: str(item.supplemental_os_version_extra),
  }, item);
}

function statusItem(item: Obj, index: number, warnings: string[]): OsUpdateStatusItem & Obj {
  const percent = num(item.download_percent_complete);
  if (percent !== null && (percent < 0 || percent > 1)) {
    warnings.push(`OSUpdateStatus[${index}].DownloadPercentComplete: ${percent} is outside 0.0–1.0 (it is a fraction, not a percentage)`);
  }
  return withRest<OsUpdateStatusItem>({
    product_key: str(item.product_key),
    status: str(item.status),
    is_downloaded: typeof item.is_downloaded === 'boolean' ? item.is_downloaded : null,
    download_percent_complete: percent,
    max_deferrals: num(item.max_deferrals),
    deferrals_remaining: num(item.deferrals_remaining),
    next_scheduled_install: str(item.next_scheduled_install),
    past_notifications: strings(item.past_notifications),
    error_chain: chain(item.error_chain),
  }, item);
}

function updateResult(item: Obj): UpdateResult & Obj {
  return withRest<UpdateResult>({
    product_key: str(item.product_key),
    install_action: str(item.install_action),
    status: str(item.status),
    error_chain: chain(item.error_chain),
  }, item);
}

export const OS_UPDATE_REFINERS: Readonly<Record<string, ResponseRefiner>> = {
  AvailableOSUpdates: (r, _raw, w) => ({ ...r, available_os_updates: items(r, 'available_os_updates').map((it, i) => availableItem(it, i, w)) }),
  OSUpdateStatus: (r, _raw, w) => ({ ...r, os_update_status: items(r, 'os_update_status').map((it, i) => statusItem(it, i, w)) }),
  ScheduleOSUpdate: (r) => ({ ...r, update_results: items(r, 'update_results').map(updateResult) }),
};
