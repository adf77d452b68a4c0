// DDM status storage: the latest value of each status item per enrollment with a history of changes,
// per-declaration status from management.declarations, and asset data the server hosts.
// A status report is applied in one transaction: all of it or nothing.
import { eventRow } from './events.js';
import type { DdmDeclarationStatusRecord, DdmKind, DdmStore } from './types.js';
import { chunks, toDate } from './context.js';
import type { DdmDb, DdmTables } from './ddm-schema.js';

type StatusMethods = Pick<
  DdmStore,
  | 'ddmKnownIdentifiers' | 'ddmApplyStatus' | 'ddmStatusItems' | 'ddmStatusHistory' | 'ddmDeclarationStatus' | 'ddmPruneStatusHistory'
  | 'ddmPutAssetData' | 'ddmGetAssetData' | 'ddmDeleteAssetData'
>;

const parseJson = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

type Entry = { identifier?: unknown; _removed?: unknown };

/**
 * An incremental array status item applied to the stored one: entries replace those with the same
 * `identifier`, `_removed: true` entries delete theirs. Without identifiers the new array replaces the old.
 */
export function mergeById(stored: unknown, incoming: unknown): unknown {
  if (!Array.isArray(incoming) || !Array.isArray(stored)) return incoming;
  const keyed = (a: unknown[]) => a.every((e) => typeof (e as Entry | null)?.identifier === 'string');
  if (!keyed(incoming) || !keyed(stored)) return incoming;
  const byId = new Map((stored as Entry[]).map((e) => [e.identifier as string, e]));
  for (const e of incoming as Entry[]) {
    if (e._removed === true) byId.delete(e.identifier as string);
    else byId.set(e.identifier as string, e);
  }
  return [...byId.values()];
}
const flag = (v: boolean | null): number | null => (v === null ? null : v ? 1 : 0);

function toDeclarationStatus(r: DdmTables['ddm_declaration_status']): DdmDeclarationStatusRecord {
  return {
    identifier: r.identifier,
    kind: r.kind as DdmKind,
    serverToken: r.server_token,
    active: r.active === null ? null : r.active === 1,
    valid: r.valid,
    reasons: parseJson(r.reasons) as unknown[] | null,
    unknown: r.unknown === 1,
    updatedAt: toDate(r.updated_at),
  };
}

export function ddmStatusStore(db: DdmDb): StatusMethods {
  return {
    async ddmKnownIdentifiers(identifiers) {
      const known = new Set<string>();
      for (const part of chunks([...new Set(identifiers)])) {
        const rows = await db.selectFrom('ddm_declarations').select('identifier').where('identifier', 'in', part).execute();
        for (const r of rows) known.add(r.identifier);
      }
      return known;
    },

    async ddmApplyStatus(input) {
      const id = input.enrollmentId;
      const now = input.at.getTime();
      return db.transaction().execute(async (trx) => {
        const stored = await trx.selectFrom('ddm_status_items').select(['name', 'value']).where('enrollment_id', '=', id).execute();
        const prev = new Map(stored.map((r) => [r.name, r.value]));
        const changed: string[] = [];
        const history: Array<{ enrollment_id: string; name: string; value: string | null; at: number }> = [];
        for (const { name, value, merge } of input.items) {
          const text = JSON.stringify(merge ? mergeById(parseJson(prev.get(name) ?? null), value) : value);
          if (prev.get(name) === text) continue;
          changed.push(name);
          history.push({ enrollment_id: id, name, value: text, at: now });
          await trx
            .insertInto('ddm_status_items')
            .values({ enrollment_id: id, name, value: text, updated_at: now })
            .onConflict((oc) => oc.columns(['enrollment_id', 'name']).doUpdateSet({ value: text, updated_at: now }))
            .execute();
        }
        const reported = new Set(input.items.map((i) => i.name));
        const removed = input.full ? [...prev.keys()].filter((n) => !reported.has(n)) : [];
        for (const part of chunks(removed)) {
          await trx.deleteFrom('ddm_status_items').where('enrollment_id', '=', id).where('name', 'in', part).execute();
        }
        for (const name of removed) history.push({ enrollment_id: id, name, value: null, at: now });
        for (const part of chunks(history, 200)) await trx.insertInto('ddm_status_history').values(part).execute();

        const newlyInvalid: DdmDeclarationStatusRecord[] = [];
        if (input.declarations) {
          const before = await trx.selectFrom('ddm_declaration_status').selectAll().where('enrollment_id', '=', id).execute();
          const old = new Map(before.map((r) => [r.identifier, r]));
          for (const d of input.declarations) {
            const o = old.get(d.identifier);
            if (d.valid === 'invalid' && !(o?.valid === 'invalid' && o.server_token === d.serverToken)) {
              newlyInvalid.push({ ...d, updatedAt: input.at });
            }
            const row = {
              kind: d.kind,
              server_token: d.serverToken,
              active: flag(d.active),
              valid: d.valid,
              reasons: d.reasons === null ? null : JSON.stringify(d.reasons),
              unknown: d.unknown ? 1 : 0,
              updated_at: now,
            };
            await trx
              .insertInto('ddm_declaration_status')
              .values({ enrollment_id: id, identifier: d.identifier, ...row })
              .onConflict((oc) => oc.columns(['enrollment_id', 'identifier']).doUpdateSet(row))
              .execute();
          }
          if (input.full) {
            const keep = new Set(input.declarations.map((d) => d.identifier));
            const gone = before.map((r) => r.identifier).filter((i) => !keep.has(i));
            for (const part of chunks(gone)) {
              await trx.deleteFrom('ddm_declaration_status').where('enrollment_id', '=', id).where('identifier', 'in', part).execute();
            }
          }
        }
        const outcome = { changed, removed, newlyInvalid };
        // The report's events and webhooks commit with it: a failure anywhere leaves nothing, and the
        // device's retry records all of it.
        const records = input.records?.(outcome);
        if (records?.events.length) await trx.insertInto('events').values(records.events.map(eventRow)).execute();
        for (const o of records?.outbox ?? []) {
          await trx.insertInto('outbox').values({ topic: o.topic, body: o.body, attempts: 0, next_attempt_at: now, created_at: now }).execute();
        }
        return outcome;
      });
    },

    async ddmStatusItems(enrollmentId, opts = {}) {
      let q = db.selectFrom('ddm_status_items').selectAll().where('enrollment_id', '=', enrollmentId).orderBy('name');
      if (opts.prefix) q = q.where('name', '>=', opts.prefix).where('name', '<', opts.prefix + '\uffff');
      const rows = await q.execute();
      return rows.map((r) => ({ name: r.name, value: parseJson(r.value), updatedAt: toDate(r.updated_at) }));
    },

    async ddmStatusHistory(enrollmentId, opts = {}) {
      let q = db.selectFrom('ddm_status_history').selectAll().where('enrollment_id', '=', enrollmentId);
      if (opts.name) q = q.where('name', '=', opts.name);
      const rows = await q.orderBy('id', 'desc').limit(Math.min(Math.max(opts.limit ?? 100, 1), 1000)).execute();
      return rows.map((r) => ({ id: Number(r.id), name: r.name, value: parseJson(r.value), at: toDate(r.at) }));
    },

    async ddmDeclarationStatus(enrollmentId) {
      const rows = await db
        .selectFrom('ddm_declaration_status')
        .selectAll()
        .where('enrollment_id', '=', enrollmentId)
        .orderBy('identifier')
        .execute();
      return rows.map(toDeclarationStatus);
    },

    async ddmPruneStatusHistory(before) {
      const r = await db.deleteFrom('ddm_status_history').where('at', '<', before.getTime()).executeTakeFirst();
      return Number(r.numDeletedRows);
    },

    async ddmPutAssetData(asset, at) {
      const row = { content_type: asset.contentType, data: asset.data, sha256: asset.sha256, updated_at: at.getTime() };
      await db
        .insertInto('ddm_asset_data')
        .values({ name: asset.name, ...row })
        .onConflict((oc) => oc.column('name').doUpdateSet(row))
        .execute();
    },

    async ddmGetAssetData(name) {
      const r = await db.selectFrom('ddm_asset_data').selectAll().where('name', '=', name).executeTakeFirst();
      return r
        ? { name: r.name, contentType: r.content_type, data: Buffer.from(r.data), sha256: r.sha256, updatedAt: toDate(r.updated_at) }
        : null;
    },

    async ddmDeleteAssetData(name) {
      const r = await db.deleteFrom('ddm_asset_data').where('name', '=', name).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}
