// Named leases (table `leases`, migration 015): a background job that must not run in two processes
// at once takes its lease before each pass. Taking it is one conditional upsert: it succeeds when
// the lease is free, expired, or already this owner's, so of several processes one wins and a
// process that dies hands the job over when its lease runs out.
import { sql } from 'kysely';
import type { LeaseStore } from './types.js';
import type { Ctx } from './context.js';

export function leaseStore({ db }: Ctx): LeaseStore {
  return {
    async takeLease(name, owner, now, until) {
      const { rows } = await sql<{ name: string }>`
        INSERT INTO leases (name, owner, until) VALUES (${name}, ${owner}, ${until.getTime()})
        ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
        WHERE leases.owner = excluded.owner OR leases.until < ${now.getTime()}
        RETURNING name`.execute(db);
      return rows.length > 0;
    },

    async dropLease(name, owner) {
      await sql`DELETE FROM leases WHERE name = ${name} AND owner = ${owner}`.execute(db);
    },
  };
}
