// ADE profiles cached per DEP name and profile UUID (migration 017_dep_profiles): the JSON GET /profile
// answered, and when.
import type { Kysely } from 'kysely';
import type { Ctx } from './context.js';
import type { GetProfileResponse } from '../dep/types.js';
import type { DepProfileStore } from './types-dep.js';

export interface DepProfilesTable {
  dep_name: string;
  profile_uuid: string;
  profile: string;
  fetched_at: number;
}

export function depProfileStore(ctx: Ctx): DepProfileStore {
  const db = ctx.db as unknown as Kysely<{ dep_profiles: DepProfilesTable }>;
  return {
    async saveDepProfile(depName, profile, at) {
      const row = { profile: JSON.stringify(profile), fetched_at: at.getTime() };
      await db
        .insertInto('dep_profiles')
        .values({ dep_name: depName, profile_uuid: profile.profile_uuid, ...row })
        .onConflict((oc) => oc.columns(['dep_name', 'profile_uuid']).doUpdateSet(row))
        .execute();
    },

    async getDepProfile(depName, profileUuid) {
      const r = await db.selectFrom('dep_profiles').selectAll().where('dep_name', '=', depName).where('profile_uuid', '=', profileUuid).executeTakeFirst();
      if (!r) return null;
      return { depName: r.dep_name, profileUuid: r.profile_uuid, profile: JSON.parse(r.profile) as GetProfileResponse, fetchedAt: new Date(Number(r.fetched_at)) };
    },
  };
}
