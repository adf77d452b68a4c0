// Small key/value state: one-time SCEP challenges and server settings.
import type { Kysely } from 'kysely';
import type { ChallengeStore, SettingStore } from './types.js';
import type { Ctx } from './context.js';
import type { Database } from './schema.js';
import { first, memoQuery } from './memo.js';

// A PKCSReq with a one-time challenge claims it: built once (memo.ts).
const claim = memoQuery((db: Kysely<Database>, hash: string) => db.deleteFrom('challenges').where('hash', '=', hash).returning('expires_at'));

export function challengeStore({ db }: Ctx): ChallengeStore {
  return {
    async addChallenge(hash, expiresAt) {
      await db
        .insertInto('challenges')
        .values({ hash, expires_at: expiresAt.getTime() })
        .onConflict((oc) => oc.column('hash').doUpdateSet({ expires_at: expiresAt.getTime() }))
        .execute();
    },

    // Deleting is the claim: of two concurrent consumers only one gets the row back.
    async consumeChallenge(hash, at) {
      const row = first(await claim(db, hash));
      return row !== undefined && row.expires_at > at.getTime();
    },
  };
}

export function settingStore({ db }: Ctx): SettingStore {
  return {
    async getSetting(key) {
      const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
      return row?.value ?? null;
    },

    async setSetting(key, value) {
      await db
        .insertInto('settings')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute();
    },
  };
}
