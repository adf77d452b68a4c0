// Readiness and the gauges of /metrics: small aggregate queries, run per probe or scrape, not per request.
import { sql, type Kysely } from 'kysely';
import type { Ctx } from './context.js';
import type { OpsStore } from './types-ops.js';
import { migrations } from './migrations/index.js';

interface OpsDb {
  kysely_migration: { name: string };
  queue: { status: string };
  campaign_devices: { campaign_id: string; state: string };
  campaigns: { id: string; state: string };
}

export function opsStore(ctx: Ctx): OpsStore {
  const db = ctx.db as unknown as Kysely<OpsDb>;
  return {
    async pendingMigrations() {
      const known = Object.keys(await migrations(ctx.dialect).getMigrations());
      // The migration table lives in the store's own schema (search_path on PostgreSQL).
      const done = new Set((await db.selectFrom('kysely_migration').select('name').execute()).map((r) => r.name));
      return known.filter((name) => !done.has(name));
    },

    async queueDepth() {
      const row = await db.selectFrom('queue').select(sql<number | string>`count(*)`.as('n')).where('status', '=', 'queued').executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    async campaignDeviceStates() {
      const rows = await db
        .selectFrom('campaign_devices as d')
        .innerJoin('campaigns as c', 'c.id', 'd.campaign_id')
        .select(['d.state', sql<number | string>`count(*)`.as('n')])
        .where('c.state', 'in', ['running', 'paused'])
        .groupBy('d.state')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
    },
  };
}
