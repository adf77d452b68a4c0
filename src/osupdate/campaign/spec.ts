// The campaign request as the API takes it (snake_case JSON, fixed by POST /v1/campaigns) → a
// validated CampaignSpec. Every refusal names its field; unknown keys are refused, not ignored.
import type { Platform } from '../../mdm/types.js';
import type { CampaignSpec, Selection, Target, TargetPolicy, Wave, Window } from './types.js';
import { checkTimeZone, deadlineInstant, parseWindow, WindowError } from './window.js';

export class CampaignInputError extends Error {
  override readonly name = 'CampaignInputError';
  constructor(readonly field: string, reason: string) {
    super(`${field}: ${reason}`);
  }
}

const PLATFORMS: readonly Platform[] = ['macOS', 'iOS', 'iPadOS', 'tvOS', 'watchOS', 'visionOS'];
const POLICIES: readonly TargetPolicy[] = ['latest', 'latest-minor', 'latest-major', 'minimum'];
const ACTIONS = ['InstallASAP', 'InstallLater', 'Default', 'InstallForceRestart'] as const;
const VERSION = /^\d+(\.\d+){0,2}$/;
const BUILD = /^\d{1,2}[A-Z]\d{1,5}[a-z]?$/;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function only(obj: Json, field: string, keys: readonly string[]): void {
  for (const k of Object.keys(obj)) {
    if (!keys.includes(k)) throw new CampaignInputError(field ? `${field}.${k}` : k, `unknown key (expected ${keys.join(', ')})`);
  }
}

function str(v: unknown, field: string, re?: RegExp, hint?: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new CampaignInputError(field, 'must be a non-empty string');
  if (re && !re.test(v)) throw new CampaignInputError(field, `${JSON.stringify(v)} is not ${hint}`);
  return v.trim();
}

function strings(v: unknown, field: string, re?: RegExp, hint?: string): string[] {
  const list = typeof v === 'string' ? v.split(',') : v;
  if (!Array.isArray(list) || list.length === 0) throw new CampaignInputError(field, 'must be a non-empty array of strings');
  return list.map((x, i) => str(x, `${field}[${i}]`, re, hint));
}

function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new CampaignInputError(field, `must be an integer from ${min} to ${max}`);
  return v;
}

function selection(v: unknown): Selection {
  if (!isObject(v)) throw new CampaignInputError('select', 'must be an object: {"enrollment_ids": [...]} or {"platform", "models", "os_min", "os_max", "tags"} or {"all": true}');
  only(v, 'select', ['enrollment_ids', 'platform', 'models', 'os_min', 'os_max', 'tags', 'all']);
  const s: Selection = {};
  if (v.all !== undefined) {
    if (v.all !== true) throw new CampaignInputError('select.all', 'must be true when given');
    s.all = true;
  }
  if (v.enrollment_ids !== undefined) s.enrollmentIds = [...new Set(strings(v.enrollment_ids, 'select.enrollment_ids'))];
  if (v.platform !== undefined) {
    s.platform = strings(v.platform, 'select.platform').map((p, i) => {
      const found = PLATFORMS.find((x) => x.toLowerCase() === p.toLowerCase());
      if (!found) throw new CampaignInputError(`select.platform[${i}]`, `unknown platform ${JSON.stringify(p)} (one of ${PLATFORMS.join(', ')})`);
      return found;
    });
  }
  if (v.models !== undefined) s.models = strings(v.models, 'select.models');
  if (v.os_min !== undefined) s.osMin = str(v.os_min, 'select.os_min', VERSION, 'a version such as 15.2');
  if (v.os_max !== undefined) s.osMax = str(v.os_max, 'select.os_max', VERSION, 'a version such as 26.1');
  if (v.tags !== undefined) s.tags = strings(v.tags, 'select.tags');
  if (!s.all && !s.enrollmentIds && !s.platform && !s.models && !s.osMin && !s.osMax && !s.tags) {
    throw new CampaignInputError('select', 'selects nothing: name enrollment_ids, a platform, models, an OS range, tags, or "all": true');
  }
  return s;
}

function target(v: unknown): Target {
  if (!isObject(v)) throw new CampaignInputError('target', 'must be an object: {"version"[, "build"]} or {"policy"[, "version"]}');
  only(v, 'target', ['version', 'build', 'policy']);
  const t: Target = {};
  if (v.policy !== undefined) {
    if (!POLICIES.includes(v.policy as TargetPolicy)) throw new CampaignInputError('target.policy', `must be one of ${POLICIES.join(', ')}`);
    t.policy = v.policy as TargetPolicy;
  }
  if (v.version !== undefined) t.version = str(v.version, 'target.version', /^(\d+(\.\d+){0,2}|\d{1,2}[A-Z]\d{1,5}[a-z]?)$/, 'a version such as 26.2 (or a build such as 18A391)');
  if (v.build !== undefined) t.build = str(v.build, 'target.build', BUILD, 'a build such as 25C56');
  if (!t.policy && !t.version) throw new CampaignInputError('target', 'names no version and no policy');
  if (t.policy === 'minimum' && !t.version) throw new CampaignInputError('target.version', 'the minimum policy needs a version');
  if (t.policy && t.policy !== 'minimum' && t.version) throw new CampaignInputError('target.version', `the ${t.policy} policy picks the version itself`);
  if (t.build && !t.version) throw new CampaignInputError('target.build', 'a build goes with a version');
  return t;
}

function waves(v: unknown): Wave[] {
  if (v === undefined) return [{ percent: 100 }];
  const list = typeof v === 'string' ? v.split(',') : v;
  if (!Array.isArray(list) || list.length === 0) throw new CampaignInputError('waves', 'must be a non-empty array of percentages (5, "25%") or groups ({"enrollment_ids": [...]})');
  let last = 0;
  const out = list.map((w, i): Wave => {
    const field = `waves[${i}]`;
    if (isObject(w)) {
      only(w, field, ['enrollment_ids', 'percent']);
      if (w.enrollment_ids !== undefined) return { enrollmentIds: strings(w.enrollment_ids, `${field}.enrollment_ids`) };
      w = w.percent;
    }
    const n = typeof w === 'string' && /^\s*\d+(\.\d+)?\s*%?\s*$/.test(w) ? Number(w.replace('%', '')) : w;
    if (typeof n !== 'number' || !(n > 0 && n <= 100)) throw new CampaignInputError(field, 'must be a percentage above 0 and at most 100');
    if (n <= last) throw new CampaignInputError(field, 'percentages are cumulative and must grow (e.g. 5%, 25%, 100%)');
    last = n;
    return { percent: n };
  });
  const lastWave = out[out.length - 1]!;
  if (lastWave.percent !== undefined && lastWave.percent !== 100) out.push({ percent: 100 });
  return out;
}

function window(v: unknown, zone: string | undefined): Window | null {
  if (v === undefined || v === null) return null;
  try {
    // Without a zone of its own or the campaign's, a window is read on each device's clock.
    if (typeof v === 'string') return parseWindow(v, zone ?? 'device');
    if (!isObject(v)) throw new CampaignInputError('window', 'must be a string such as "Mon-Fri 19:00-23:00 Europe/Paris"');
    only(v, 'window', ['days', 'start', 'end', 'time_zone']);
    return parseWindow(`${str(v.days, 'window.days')} ${str(v.start, 'window.start')}-${str(v.end, 'window.end')}`, v.time_zone === undefined ? zone ?? 'device' : str(v.time_zone, 'window.time_zone'));
  } catch (err) {
    if (err instanceof WindowError) throw new CampaignInputError('window', err.message);
    throw err;
  }
}

export interface CampaignRequest {
  name: string;
  spec: CampaignSpec;
  dryRun: boolean;
}

export const REQUEST_KEYS = [
  'name', 'select', 'target', 'deadline', 'waves', 'window', 'time_zone', 'max_in_flight', 'dry_run', 'promotion',
  'retries', 'install_action', 'max_user_deferrals', 'details_url', 'ddm_settings', 'install_within_hours',
] as const;

/** Validate a POST /v1/campaigns body. `now` checks that the deadline is ahead. */
export function parseCampaignRequest(body: unknown, now: Date): CampaignRequest {
  if (!isObject(body)) throw new CampaignInputError('body', 'must be a JSON object');
  only(body, '', REQUEST_KEYS);
  const name = str(body.name, 'name');
  if (name.length > 200) throw new CampaignInputError('name', 'is longer than 200 characters');
  const zone = body.time_zone === undefined ? undefined : (() => {
    try { return checkTimeZone(str(body.time_zone, 'time_zone')); } catch (e) {
      if (e instanceof WindowError) throw new CampaignInputError('time_zone', e.message);
      throw e;
    }
  })();
  const win = window(body.window, zone);
  let deadline: string | null = null;
  if (body.deadline !== undefined && body.deadline !== null) {
    deadline = str(body.deadline, 'deadline', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/i, 'an ISO 8601 date-time such as 2026-12-15T18:00');
    const at = deadlineInstant(deadline, zone && zone !== 'device' ? zone : 'UTC');
    if (Number.isNaN(at.getTime())) throw new CampaignInputError('deadline', `${JSON.stringify(deadline)} is not a valid date-time`);
    // Device-local deadlines may lie up to 14 hours behind UTC's.
    const slack = offsetLess(deadline) ? 14 * 3600_000 : 0;
    if (at.getTime() + slack <= now.getTime()) throw new CampaignInputError('deadline', `${deadline} is in the past`);
  }
  const promotion = { successRate: 0.9, soakSeconds: 0 };
  if (body.promotion !== undefined) {
    if (!isObject(body.promotion)) throw new CampaignInputError('promotion', 'must be an object {"success_rate", "soak_seconds"}');
    only(body.promotion, 'promotion', ['success_rate', 'soak_seconds']);
    const p = body.promotion;
    if (p.success_rate !== undefined) {
      if (typeof p.success_rate !== 'number' || p.success_rate < 0 || p.success_rate > 1) throw new CampaignInputError('promotion.success_rate', 'must be a number from 0 to 1');
      promotion.successRate = p.success_rate;
    }
    if (p.soak_seconds !== undefined) promotion.soakSeconds = int(p.soak_seconds, 'promotion.soak_seconds', 0, 90 * 86400);
  }
  let installAction: CampaignSpec['installAction'] = 'InstallASAP';
  if (body.install_action !== undefined) {
    if (!ACTIONS.includes(body.install_action as (typeof ACTIONS)[number])) throw new CampaignInputError('install_action', `must be one of ${ACTIONS.join(', ')}`);
    installAction = body.install_action as CampaignSpec['installAction'];
  }
  if (body.dry_run !== undefined && typeof body.dry_run !== 'boolean') throw new CampaignInputError('dry_run', 'must be true or false');
  if (body.ddm_settings !== undefined && !isObject(body.ddm_settings)) throw new CampaignInputError('ddm_settings', 'must be a softwareupdate.settings payload object');
  const spec: CampaignSpec = {
    select: selection(body.select),
    target: target(body.target),
    deadline,
    timeZone: zone ?? 'UTC',
    waves: waves(body.waves),
    promotion,
    window: win,
    maxInFlight: body.max_in_flight === undefined || body.max_in_flight === null ? null : int(body.max_in_flight, 'max_in_flight', 1, 1_000_000),
    retries: body.retries === undefined ? 3 : int(body.retries, 'retries', 0, 20),
    installAction,
    installWithinHours: body.install_within_hours === undefined ? 24 : int(body.install_within_hours, 'install_within_hours', 1, 90 * 24),
    maxUserDeferrals: body.max_user_deferrals === undefined ? null : int(body.max_user_deferrals, 'max_user_deferrals', 0, 99),
    detailsUrl: body.details_url === undefined ? null : str(body.details_url, 'details_url', /^https?:\/\/\S+$/, 'an http(s) URL'),
    ddmSettings: (body.ddm_settings as Record<string, unknown> | undefined) ?? null,
  };
  return { name, spec, dryRun: body.dry_run === true };
}

const offsetLess = (iso: string): boolean => !/(Z|[+-]\d{2}:?\d{2})$/i.test(iso);
