// PostgreSQL's Authenticate and TokenUpdate, each one statement built with Kysely (SQLite's run on
// statements prepared on the raw connection, sqlite/checkin.ts).
//   - Authenticate: the enrollment's reset, its queue cancelled, its check-in event and, for a new
//     device, its inventory row and history, in one statement without a transaction; then the ADE bind;
//   - TokenUpdate: the upsert (reading whether the device's ADE record is active) with its event.
import { sql, type Kysely, type QueryCreator } from 'kysely';
import type { EnrollmentStore } from '../types.js';
import type { Database } from '../schema.js';
import type { InventoryDb } from '../inventory-schema.js';
import { authenticatedInventory, channelRow, inventoryRow, toEnrollment, tokenUpsert, type TokenUpdateArgs } from '../enrollments.js';
import { applyInventory, seededInventory } from '../inventory.js';
import { memoQuery } from '../memo.js';
import { bindAdeEnrollment } from '../ade.js';
import { eventRow } from '../events.js';

const tokenUpdated = memoQuery((db: Kysely<Database>, ...args: TokenUpdateArgs) => tokenUpsert(db, ...args));
// PostgreSQL: the check-in's event in the same statement, its detail the tally the upsert left then
// the rest of the detail's JSON (`rest`: from its first key's comma on, or its closing brace).
const tokenUpdatedLogged = memoQuery((db: Kysely<Database>, kind: string, rest: string, at: number, ...args: TokenUpdateArgs) =>
  db
    .with('up', (w) => tokenUpsert(w as unknown as QueryCreator<Database>, ...args))
    .with('ev', () => sql`(insert into events (enrollment_id, kind, detail, at)
      select id, ${kind}, '{"tokenUpdateTally":' || token_update_tally || ${rest}, ${at} from up)`)
    .selectFrom('up')
    .selectAll());

export function postgresCheckinPath(db: Kysely<Database>): Pick<EnrollmentStore, 'authenticate' | 'tokenUpdate'> {
  return {
    async authenticate(input) {
      const at = input.at.getTime();
      const identity = channelRow(input);
      const inventory = inventoryRow(input.inventory);
      const reset = { enabled: 0, token_update_tally: 0, awaiting_configuration: 0, last_seen_at: at, updated_at: at };
      const upsert = (q: QueryCreator<Database>) =>
        q
          .insertInto('enrollments')
          .values({ id: input.id, ...identity, ...inventory, ...reset, cert_hash: input.certHash ?? null, created_at: at })
          .onConflict((oc) =>
            oc.column('id').doUpdateSet({
              ...identity,
              ...inventory,
              ...reset,
              ...(input.certHash ? { cert_hash: input.certHash, bind_pending: 0 } : {}),
            }),
          );
      // A re-enrollment starts fresh: the channel (and, for a device channel, its user channels)
      // is disabled until TokenUpdate and nothing queued before it will be sent.
      const device = input.id === input.deviceId;
      const channels = (q: QueryCreator<Database>) =>
        device
          ? q.selectFrom('enrollments').select('id').where('device_id', '=', input.id)
          : q.selectFrom('enrollments').select('id').where('id', '=', input.id);
      const others = (q: QueryCreator<Database>) =>
        q.updateTable('enrollments').set({ enabled: 0, token_update_tally: 0, updated_at: at }).where('device_id', '=', input.id).where('id', '!=', input.id);
      const cancel = (q: QueryCreator<Database>) =>
        q.updateTable('queue').set({ status: 'cancelled', updated_at: at }).where('enrollment_id', 'in', channels(q)).where('status', '=', 'queued');
      // A device channel's Authenticate seeds (or refreshes) its inventory row, history included.
      const patch = authenticatedInventory(input);
      // One statement and no transaction (they touch different rows, and no queue row can wait on a
      // new channel), the inventory row of a new device included: inserted as the seed and its update
      // would leave it, with its history rows. A device that has one already has it refreshed after,
      // as other inventory answers are (read, locked, updated). The casts: WITH only adds names to the type.
      type Q = QueryCreator<Database>;
      let q = db.with('cancelled', (w) => cancel(w as unknown as Q).returning('seq'));
      if (input.event) q = q.with('ev', (w) => (w as unknown as Q).insertInto('events').values(eventRow(input.event!))) as unknown as typeof q;
      if (device) q = q.with('others', (w) => others(w as unknown as Q).returning('id')) as unknown as typeof q;
      const seed = device ? seededInventory(input.id, patch, input.at) : null;
      if (seed) {
        const h = seed.history;
        q = q
          .with('seeded', (w) => (w as unknown as InventoryDb).insertInto('device_inventory').values(seed.row).onConflict((oc) => oc.column('device_id').doNothing()).returning('device_id'))
          .with('history', () => sql`(insert into inventory_history (device_id, field, old_value, new_value, at)
            select ${input.id}, h.f, h.o, h.n, ${at} from unnest(${h.map((x) => x.field)}::text[], ${h.map((x) => x.old_value)}::text[], ${h.map((x) => x.new_value)}::text[]) as h(f, o, n)
            where exists (select 1 from seeded))`) as unknown as typeof q;
      }
      const query = upsert(q as unknown as Q);
      if (!seed) await query.execute();
      else {
        const done = await query.returning(sql<boolean>`exists (select 1 from seeded)`.as('seeded')).executeTakeFirst();
        if (!done?.seeded) await db.transaction().execute((trx) => applyInventory(trx, 'postgres', input.id, patch, input.at, { syncEnrollment: false }));
      }
      // The ADE bind: its own statement after (a failure leaves the Authenticate standing).
      if (input.adeBindWindowMs === undefined || !device || !input.udid) return { ade: null };
      try {
        return { ade: await bindAdeEnrollment(db, input.udid, input.at, input.adeBindWindowMs) };
      } catch (adeError) {
        return { ade: null, adeError };
      }
    },

    async tokenUpdate(input) {
      const at = input.at.getTime();
      const c = channelRow(input);
      const args: TokenUpdateArgs = [input.id, c.type, c.device_id, c.udid, c.user_id, c.user_short_name, c.user_long_name, c.topic,
        input.pushToken, input.pushMagic, input.awaitingConfiguration ? 1 : 0, input.unlockToken ?? null, input.certHash || null, at, at, at];
      const ev = input.event;
      const json = ev && JSON.stringify(ev.detail);
      const row = ev
        ? (await tokenUpdatedLogged(db, ev.kind, json === '{}' ? '}' : `,${json!.slice(1)}`, at, ...args)).rows[0]!
        : (await tokenUpdated(db, ...args)).rows[0]!;
      return { ...toEnrollment(row), adeActive: Number(row.ade_active ?? 0) === 1 };
    },
  };
}
