// The body of POST /v1/campaigns from `updraft campaign create` flags. The CLI only reshapes what was
// typed (KEY=VALUE selections, "minimum:15.0" targets, numbers); judging it is the API's job, so a
// value the CLI cannot read as intended is passed on as typed and the API names what is wrong.
import { CliError, readInput } from './client.js';

export interface CreateFlags {
  name: string;
  select?: string[];
  ids?: string;
  all?: boolean;
  target: string;
  waves?: string;
  window?: string;
  timeZone?: string;
  deadline?: string;
  maxInFlight?: string;
  retries?: string;
  installAction?: string;
  installWithinHours?: string;
  maxUserDeferrals?: string;
  detailsUrl?: string;
  successRate?: string;
  soakSeconds?: string;
  ddmSettings?: string;
  dryRun?: boolean;
}

/** --select keys as typed → the API's select keys. Keys not listed go to the API as typed (it refuses them by name). */
export const SELECT_KEYS: Readonly<Record<string, string>> = {
  platform: 'platform', platforms: 'platform',
  model: 'models', models: 'models',
  os_min: 'os_min', 'os-min': 'os_min', os_max: 'os_max', 'os-max': 'os_max',
  tag: 'tags', tags: 'tags',
  ids: 'enrollment_ids', id: 'enrollment_ids', enrollment_ids: 'enrollment_ids',
};
const SINGLE = new Set(['os_min', 'os_max']);

const list = (text: string): string[] => text.split(',').map((s) => s.trim()).filter(Boolean);

/**
 * "platform=macOS,os_min=14" or "platform=macOS,iOS" (a part without "=" adds a value to the key
 * before it); repeated --select flags add up. Answers the API's select object.
 */
export function parseSelect(flags: string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const flag of flags) {
    let key: string | null = null;
    for (const part of flag.split(',').map((s) => s.trim()).filter(Boolean)) {
      const eq = part.indexOf('=');
      let value = part;
      if (eq >= 0) {
        const typed = part.slice(0, eq).trim();
        if (!typed) throw new CliError(`--select expects KEY=VALUE[,…], got ${JSON.stringify(flag)}`);
        key = SELECT_KEYS[typed.toLowerCase()] ?? typed;
        value = part.slice(eq + 1).trim();
        if (SINGLE.has(key) && out[key] !== undefined) throw new CliError(`--select ${key} is given twice (it takes one version)`);
      } else if (key === null) {
        throw new CliError(`--select expects KEY=VALUE[,…] (keys: platform, model, os_min, os_max, tag, ids), got ${JSON.stringify(flag)}`);
      } else if (SINGLE.has(key)) {
        throw new CliError(`--select ${key} takes one version, got another: ${JSON.stringify(part)}`);
      }
      if (SINGLE.has(key)) out[key] = value;
      else out[key] = [...((out[key] as string[] | undefined) ?? []), ...(value ? [value] : [])];
    }
  }
  return out;
}

/** latest | latest-minor | latest-major | minimum:VERSION | VERSION[:BUILD] → the API's target object. */
export function parseTarget(text: string): Record<string, string> {
  const t = text.trim();
  if (t === 'latest' || t === 'latest-minor' || t === 'latest-major' || t === 'minimum') return { policy: t };
  const colon = t.indexOf(':');
  const head = colon < 0 ? t : t.slice(0, colon);
  const tail = colon < 0 ? undefined : t.slice(colon + 1);
  if (head === 'minimum') return { policy: 'minimum', version: tail ?? '' };
  return tail === undefined ? { version: head } : { version: head, build: tail };
}

/** A whole number as a number; anything else as typed (the API refuses it with its reason). */
const num = (v: string | undefined): number | string | undefined => (v === undefined ? undefined : /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v);

function ddmSettings(file: string): unknown {
  try {
    return JSON.parse(readInput(file, '--ddm-settings').toString('utf8'));
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`--ddm-settings ${file} is not JSON: ${(err as Error).message}`);
  }
}

export function createBody(f: CreateFlags): Record<string, unknown> {
  const select: Record<string, unknown> = parseSelect(f.select ?? []);
  if (f.ids !== undefined) select.enrollment_ids = [...((select.enrollment_ids as string[] | undefined) ?? []), ...list(f.ids)];
  if (f.all) select.all = true;
  const body: Record<string, unknown> = { name: f.name, target: parseTarget(f.target) };
  // No selection at all: say so here rather than send an empty object.
  if (Object.keys(select).length === 0) throw new CliError('choose devices: --select KEY=VALUE (platform, model, os_min, os_max, tag, ids), --ids ID,… or --all');
  body.select = select;
  if (f.waves !== undefined) body.waves = list(f.waves);
  if (f.window !== undefined) body.window = f.window;
  if (f.timeZone !== undefined) body.time_zone = f.timeZone;
  if (f.deadline !== undefined) body.deadline = f.deadline;
  if (f.maxInFlight !== undefined) body.max_in_flight = num(f.maxInFlight);
  if (f.retries !== undefined) body.retries = num(f.retries);
  if (f.installAction !== undefined) body.install_action = f.installAction;
  if (f.installWithinHours !== undefined) body.install_within_hours = num(f.installWithinHours);
  if (f.maxUserDeferrals !== undefined) body.max_user_deferrals = num(f.maxUserDeferrals);
  if (f.detailsUrl !== undefined) body.details_url = f.detailsUrl;
  if (f.successRate !== undefined || f.soakSeconds !== undefined) {
    body.promotion = {
      ...(f.successRate !== undefined ? { success_rate: num(f.successRate) } : {}),
      ...(f.soakSeconds !== undefined ? { soak_seconds: num(f.soakSeconds) } : {}),
    };
  }
  if (f.ddmSettings !== undefined) body.ddm_settings = ddmSettings(f.ddmSettings);
  if (f.dryRun) body.dry_run = true;
  return body;
}
