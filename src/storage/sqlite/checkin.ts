// SQLite's Authenticate and TokenUpdate (PostgreSQL's are one Kysely statement each,
// postgres/checkin.ts): each is one better-sqlite3 transaction (one commit) on statements prepared
// on the raw connection, as the hot paths (hot.ts) and a first TokenUpdate's follow-ups (enroll.ts)
// are. Kysely built and compiled these statements on every check-in (~13 % of an Authenticate).
//   - authenticate: the enrollment's upsert (reset: disabled until TokenUpdate), a device channel's user
//     channels reset, the channels' queued commands cancelled, a device's inventory row (a new device's
//     inserted as the seed and its update leave it, an existing one read and updated) with its history,
//     the check-in event and the device's ADE bind (when the ADE step asks: AuthenticateInput.adeBindWindowMs);
//   - tokenUpdate: the upsert (reading whether the device's ADE record is active) and its event, whose
//     detail carries the tally the upsert left.
// An Authenticate's upsert and an inventory update write the columns the message carries: their
// statements are prepared once per set of columns. While a Kysely transaction holds the shared
// connection, these wait for it (whenFree) rather than slip their statements into that transaction.
import type Database from 'better-sqlite3';
import type { Kysely, Selectable } from 'kysely';
import type { AuthenticateInput, AuthenticateOutcome, ChannelInput, EnrollmentStore, TokenUpdateInput } from '../types.js';
import type { Database as Schema, EnrollmentsTable } from '../schema.js';
import type { InventoryTables } from '../inventory-schema.js';
import { authenticatedInventory, channelRow, inventoryRow, toEnrollment, tokenUpsert } from '../enrollments.js';
import { inventoryUpdate, seededInventory } from '../inventory.js';
import { eventRow } from '../events.js';
import { bindServedQuery, toRecord, type AdeEnrollmentsTable } from '../ade.js';
import { compiledOnce } from '../memo.js';
import { whenFree } from './enroll.js';

type Checkins = Pick<EnrollmentStore, 'authenticate' | 'tokenUpdate'>;
/** The channel's columns, as both upserts take them first. */
type ChannelValues = [id: string, type: string, deviceId: string, udid: string | null, userId: string | null, userShortName: string | null, userLongName: string | null, topic: string];
type InventoryRow = Selectable<InventoryTables['device_inventory']>;

/** The statements whose columns vary: few shapes in practice (a platform's Authenticate carries the same keys). */
const SHAPES_MAX = 64;

const CHANNEL = ['id', 'type', 'device_id', 'udid', 'user_id', 'user_short_name', 'user_long_name', 'topic'] as const;

export function sqliteCheckinPath(raw: Database.Database, db: Kysely<Schema>): Checkins {
  const shapes = new Map<string, Database.Statement>();
  /** The statement of `sql` (built from column names only), prepared once. */
  function shaped(key: string, sql: () => string): Database.Statement {
    let s = shapes.get(key);
    if (!s) {
      if (shapes.size >= SHAPES_MAX) shapes.clear();
      s = raw.prepare(sql());
      shapes.set(key, s);
    }
    return s;
  }
  const list = (cols: readonly string[], each: (c: string) => string) => cols.map(each).join(', ');

  /** Authenticate's upsert with the inventory columns `inv` carries; `bind`: the certificate replaces the stored one. */
  const authUpsert = (inv: readonly string[], bind: boolean) =>
    shaped(`auth:${inv.join()}:${bind}`, () => {
      const cols = [...CHANNEL, ...inv];
      return `INSERT INTO enrollments (${list(cols, (c) => c)}, enabled, token_update_tally, awaiting_configuration, last_seen_at, updated_at, cert_hash, created_at)
        VALUES (${list(cols, () => '?')}, 0, 0, 0, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET ${list(cols.slice(1), (c) => `${c} = excluded.${c}`)},
          enabled = 0, token_update_tally = 0, awaiting_configuration = 0, last_seen_at = excluded.last_seen_at, updated_at = excluded.updated_at
          ${bind ? ', cert_hash = excluded.cert_hash, bind_pending = 0' : ''}`;
    });
  const resetOthers = raw.prepare('UPDATE enrollments SET enabled = 0, token_update_tally = 0, updated_at = ? WHERE device_id = ? AND id != ?');
  const cancelDevice = raw.prepare(
    "UPDATE queue SET status = 'cancelled', updated_at = ? WHERE enrollment_id IN (SELECT id FROM enrollments WHERE device_id = ?) AND status = 'queued'",
  );
  const cancelChannel = raw.prepare("UPDATE queue SET status = 'cancelled', updated_at = ? WHERE enrollment_id = ? AND status = 'queued'");
  const seedInventory = (cols: readonly string[]) =>
    shaped(`seed:${cols.join()}`, () => `INSERT INTO device_inventory (${list(cols, (c) => c)}) VALUES (${list(cols, () => '?')}) ON CONFLICT (device_id) DO NOTHING`);
  const inventoryOf = raw.prepare<[string], InventoryRow>('SELECT * FROM device_inventory WHERE device_id = ?');
  const updateInventory = (cols: readonly string[]) =>
    shaped(`inv:${cols.join()}`, () => `UPDATE device_inventory SET ${list(cols, (c) => `${c} = ?`)} WHERE device_id = ?`);
  const addHistory = raw.prepare('INSERT INTO inventory_history (device_id, field, old_value, new_value, at) VALUES (?, ?, ?, ?, ?)');
  const addEvent = raw.prepare('INSERT INTO events (enrollment_id, kind, detail, at) VALUES (?, ?, ?, ?)');
  // The ADE bind and the TokenUpdate upsert: the statements the shared builders make (ade.ts,
  // enrollments.ts), compiled once for SQLite and prepared here.
  const adeBind = compiledOnce(db as unknown as Parameters<typeof bindServedQuery>[0], bindServedQuery, 5);
  const bindAde = raw.prepare<unknown[], Selectable<AdeEnrollmentsTable>>(adeBind.sql);
  const upsert = compiledOnce(db, tokenUpsert, 16);
  const tokenUpsertStatement = raw.prepare<unknown[], Selectable<EnrollmentsTable> & { ade_active: number | null }>(upsert.sql);

  const channelValues = (input: ChannelInput): ChannelValues => {
    const c = channelRow(input);
    return [input.id, c.type, c.device_id, c.udid, c.user_id, c.user_short_name, c.user_long_name, c.topic];
  };

  /** A device's inventory as its Authenticate leaves it: a new device's row inserted final, an existing one updated. */
  function inventory(input: AuthenticateInput, at: number): void {
    const id = input.id;
    const patch = authenticatedInventory(input);
    const seed = seededInventory(id, patch, input.at);
    const cols = Object.keys(seed.row);
    let history = seed.history;
    if (seedInventory(cols).run(...cols.map((c) => seed.row[c as keyof InventoryRow])).changes === 0) {
      const row = inventoryOf.get(id);
      if (!row) throw new Error(`device_inventory ${id}: neither inserted nor found`);
      const change = inventoryUpdate(row, id, patch, input.at);
      const set = Object.keys(change.set);
      updateInventory(set).run(...set.map((c) => change.set[c as keyof InventoryRow]), id);
      history = change.history;
    }
    for (const h of history) addHistory.run(id, h.field, h.old_value, h.new_value, at);
  }

  const authenticate = raw.transaction((input: AuthenticateInput): AuthenticateOutcome => {
    const at = input.at.getTime();
    const inv = inventoryRow(input.inventory);
    const invCols = Object.keys(inv);
    const bind = Boolean(input.certHash);
    authUpsert(invCols, bind).run(...channelValues(input), ...invCols.map((c) => inv[c as keyof typeof inv]), at, at, input.certHash ?? null, at);
    // A re-enrollment starts fresh: the channel (and, for a device channel, its user channels) is
    // disabled until TokenUpdate and nothing queued before it will be sent.
    const device = input.id === input.deviceId;
    if (device) resetOthers.run(at, input.id, input.id);
    (device ? cancelDevice : cancelChannel).run(at, input.id);
    if (device) inventory(input, at);
    if (input.event) {
      const e = eventRow(input.event);
      addEvent.run(e.enrollment_id, e.kind, e.detail, e.at);
    }
    if (input.adeBindWindowMs === undefined || !device || !input.udid) return { ade: null };
    try {
      const since = at - input.adeBindWindowMs;
      const row = bindAde.get(...adeBind.parameters(input.udid, at, since, since, since));
      return { ade: row && row.active === 1 ? toRecord(row) : null };
    } catch (adeError) {
      // A failed bind leaves the Authenticate standing, as it did when it came after; unless SQLite
      // rolled the whole transaction back (a full disk, an I/O error): then the Authenticate failed too.
      if (!raw.inTransaction) throw adeError;
      return { ade: null, adeError };
    }
  });

  const tokenUpdate = raw.transaction((input: TokenUpdateInput) => {
    const at = input.at.getTime();
    const row = tokenUpsertStatement.get(...upsert.parameters(...channelValues(input), input.pushToken, input.pushMagic,
      input.awaitingConfiguration ? 1 : 0, input.unlockToken ?? null, input.certHash || null, at, at, at))!;
    const ev = input.event;
    if (ev) addEvent.run(input.id, ev.kind, JSON.stringify({ tokenUpdateTally: row.token_update_tally, ...ev.detail }), at);
    return { ...toEnrollment(row), adeActive: Number(row.ade_active ?? 0) === 1 };
  });

  return {
    authenticate: (input) => whenFree(raw, db, () => authenticate.immediate(input)),
    tokenUpdate: (input) => whenFree(raw, db, () => tokenUpdate.immediate(input)),
  };
}
