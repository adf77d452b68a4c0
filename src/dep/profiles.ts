// A device's ADE profile as Apple Business Manager holds it: fetched through the DEP API
// (GET /profile?profile_uuid=) and cached per DEP name and profile UUID, so the ADE enrollment answers
// with the supervision, removability and Await Configuration the admin chose in ABM (or through
// /proxy, or Updraft's assigner). Refreshed when the assigner assigns a profile and when a profile
// passes through /proxy; a profile not cached yet is fetched when a device asks to enroll.
import type { Logger } from 'pino';
import type { DepStore } from '../storage/types-dep.js';
import type { DepClient, DepProfile, GetProfileResponse } from './types.js';

/** What an ADE profile decides for the enrollment; null: the profile does not say (the settings decide). */
export interface AdeProfileFlags {
  supervised: boolean | null;
  removable: boolean | null;
  awaitConfiguration: boolean | null;
}

/**
 * Apple's defaults for keys a defined profile leaves out (Device Assignment API, "Profile"):
 * is_mdm_removable true, await_device_configured false. is_supervised (default false) is deprecated
 * and iOS 13 and later supervise every ADE device whatever it says, so when a profile leaves it out
 * the settings decide rather than its old default.
 */
export const PROFILE_DEFAULTS = { is_supervised: null, is_mdm_removable: true, await_device_configured: false } as const;

export function adeProfileFlags(p: Partial<DepProfile>): AdeProfileFlags {
  const flag = (v: unknown, fallback: boolean | null) => (typeof v === 'boolean' ? v : fallback);
  return {
    supervised: flag(p.is_supervised, PROFILE_DEFAULTS.is_supervised),
    removable: flag(p.is_mdm_removable, PROFILE_DEFAULTS.is_mdm_removable),
    awaitConfiguration: flag(p.await_device_configured, PROFILE_DEFAULTS.await_device_configured),
  };
}

type ProfileStore = Pick<DepStore, 'getDepProfile' | 'saveDepProfile'>;

/** Fetches profiles from the DEP API into the cache; a failure is logged and the others go on. Returns those fetched. */
export async function refreshDepProfiles(opts: {
  name: string; uuids: Iterable<string>; client: Pick<DepClient, 'getProfile'>; store: ProfileStore; at: Date; logger?: Logger;
}): Promise<GetProfileResponse[]> {
  const out: GetProfileResponse[] = [];
  for (const uuid of new Set(opts.uuids)) {
    try {
      const p = await opts.client.getProfile(uuid);
      if (p.profile_uuid !== uuid) p.profile_uuid = uuid; // keyed by what was asked, whatever the answer echoes
      await opts.store.saveDepProfile(opts.name, p, opts.at);
      out.push(p);
    } catch (err) {
      opts.logger?.warn({ dep: opts.name, profileUuid: uuid, code: (err as { code?: string }).code, err: (err as Error).message }, 'DEP profile could not be fetched');
    }
  }
  return out;
}

/** The profile from the cache, else fetched (and cached); null when neither works. */
export async function depProfile(opts: {
  name: string; uuid: string; client: (name: string) => Pick<DepClient, 'getProfile'>; store: ProfileStore; at: Date; logger?: Logger;
}): Promise<{ profile: GetProfileResponse; source: 'cache' | 'dep' } | null> {
  const cached = await opts.store.getDepProfile(opts.name, opts.uuid);
  if (cached) return { profile: cached.profile, source: 'cache' };
  const [fetched] = await refreshDepProfiles({ name: opts.name, uuids: [opts.uuid], client: opts.client(opts.name), store: opts.store, at: opts.at, logger: opts.logger });
  return fetched ? { profile: fetched, source: 'dep' } : null;
}

/**
 * A profile seen passing through /proxy (NanoDEP's tools define and read profiles there): a 200 to
 * POST /profile (the definition sent, under the UUID answered) or to GET /profile is cached. Returns
 * the UUID cached, or null.
 */
export async function cacheProxiedProfile(
  store: ProfileStore, name: string, req: { method: string; path: string; body?: Buffer }, res: { status: number; body: Buffer }, at: Date,
): Promise<string | null> {
  const [path] = req.path.split('?');
  if (res.status !== 200 || path?.replace(/\/+$/, '') !== '/profile' || (req.method !== 'POST' && req.method !== 'GET')) return null;
  try {
    const answer = JSON.parse(res.body.toString('utf8')) as Partial<GetProfileResponse>;
    if (typeof answer.profile_uuid !== 'string' || !answer.profile_uuid) return null;
    const profile: GetProfileResponse = req.method === 'GET'
      ? (answer as GetProfileResponse)
      : { ...(JSON.parse(req.body?.toString('utf8') ?? '{}') as DepProfile), profile_uuid: answer.profile_uuid };
    if (req.method === 'POST') delete profile.devices;
    await store.saveDepProfile(name, profile, at);
    return answer.profile_uuid;
  } catch {
    return null; // not JSON: nothing to learn
  }
}
